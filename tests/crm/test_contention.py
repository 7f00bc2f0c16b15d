"""Two desks booking the last place of a slot at the same moment (PostgreSQL: real row locks)."""

import datetime as dt
import threading
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection, connections

from careloop.crm.models import Appointment, Slot
from careloop.crm.services import BookingConflict, appointment_book
from tests.crm.builders import slot

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL row locking")


@pytest.mark.django_db(transaction=True)
def test_two_people_book_the_last_place_at_once(world):
    with time_machine.travel(dt.datetime(2026, 11, 23, 8, 0, tzinfo=ZoneInfo("Asia/Shanghai")), tick=False):
        last = slot(world.bj_site, dt.date(2026, 11, 24), capacity=1)
        barrier = threading.Barrier(2)
        outcomes: list[str] = []

        def book(client):
            try:
                barrier.wait(timeout=10)
                appointment_book(client=client, slot=last, acting_user=world.service)
                outcomes.append("booked")
            except BookingConflict as exc:
                outcomes.append(exc.conflict)
            finally:
                connections.close_all()

        threads = [threading.Thread(target=book, args=(c,)) for c in (world.own, world.other_team)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=30)
    assert sorted(outcomes) == ["booked", "full"]
    assert Slot.objects.get(pk=last.pk).booked == 1
    assert Appointment.objects.filter(slot=last).count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_desks_register_the_last_place_of_a_salon_at_once(world):
    from careloop.crm.engagement import EventConflict, event_register
    from careloop.crm.models import CommunityEvent, EventRegistration

    with time_machine.travel(dt.datetime(2026, 11, 23, 8, 0, tzinfo=ZoneInfo("Asia/Shanghai")), tick=False):
        event = CommunityEvent.objects.create(
            kind="salon", title="健康沙龙", place="报告厅", capacity=1, tiers="C", branch=world.bj,
            starts_at=dt.datetime(2026, 12, 12, 14, 0, tzinfo=ZoneInfo("Asia/Shanghai")))
        barrier = threading.Barrier(2)
        outcomes: list[str] = []

        def register(client):
            try:
                barrier.wait(timeout=10)
                event_register(event=event, client=client, acting_user=world.service)
                outcomes.append("registered")
            except EventConflict as exc:
                outcomes.append(exc.conflict)
            finally:
                connections.close_all()

        threads = [threading.Thread(target=register, args=(c,)) for c in (world.own, world.other_team)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=30)
    assert sorted(outcomes) == ["full", "registered"]
    event.refresh_from_db()
    assert event.registered == 1 and EventRegistration.objects.filter(status="registered").count() == 1
