import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError

from careloop.crm.models import Appointment, LedgerEntry, Slot
from careloop.crm.services import (
    BookingConflict,
    appointment_book,
    appointment_cancel,
    appointment_check_in,
    appointment_no_show,
    appointment_reschedule,
    slots_publish,
)
from careloop.followups.models import FollowupTask
from careloop.messaging.models import Message
from tests.crm.builders import consent, slot, template

TODAY = dt.date(2026, 11, 23)  # a Monday


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(dt.datetime(2026, 11, 23, 8, 0, tzinfo=ZoneInfo("Asia/Shanghai")), tick=False) as t:
        yield t


def test_publish_from_weekly_templates_skips_holidays(world):
    template(world.bj_site, 0, "08:00", "10:00", capacity=5)  # Mondays: 4 slots
    template(world.bj_site, 3, "14:00", "15:00")  # Thursdays: 2 slots
    created = slots_publish(site=world.bj_site, start_date=TODAY, end_date=TODAY + dt.timedelta(days=13),
                            acting_user=world.lead)
    assert created == 12
    assert slots_publish(site=world.bj_site, start_date=TODAY, end_date=TODAY + dt.timedelta(days=13),
                         acting_user=world.lead) == 0
    first = Slot.objects.order_by("start").first()
    assert (first.capacity, first.start.astimezone(ZoneInfo("Asia/Shanghai")).hour) == (5, 8)
    # 2026-10-01 (National Day) is a Thursday off: the Thursday template publishes nothing that day
    assert slots_publish(site=world.bj_site, start_date=dt.date(2026, 10, 1), end_date=dt.date(2026, 10, 1),
                         acting_user=world.lead) == 0
    assert slots_publish(site=world.bj_site, start_date=dt.date(2026, 10, 15), end_date=dt.date(2026, 10, 15),
                         acting_user=world.lead) == 2
    with pytest.raises(PermissionDenied):
        slots_publish(site=world.bj_site, start_date=TODAY, end_date=TODAY, acting_user=world.nurse)
    with pytest.raises(ValidationError) as err:
        slots_publish(site=world.bj, start_date=TODAY, end_date=TODAY, acting_user=world.lead)
    assert list(err.value.message_dict) == ["site"]


def test_book_queues_confirmation_and_reminder(world, django_capture_on_commit_callbacks):
    consent(world.own)
    s = slot(world.bj_site, TODAY + dt.timedelta(days=2), "09:30")
    appointment = appointment_book(client=world.own, slot=s, acting_user=world.service, notes="空腹")
    s.refresh_from_db()
    assert (appointment.status, s.booked) == ("booked", 1)
    confirmation = Message.objects.get(pk=appointment.confirmation_message_id)
    assert confirmation.purpose == "appointment_confirmation"
    assert "2026年11月25日 09:30" in confirmation.body and "北京朝阳体检中心" in confirmation.body and "空腹" in confirmation.body
    reminder = Message.objects.get(pk=appointment.reminder_message_id)
    assert reminder.purpose == "appointment_reminder"
    assert reminder.scheduled_at >= s.start - dt.timedelta(hours=24)


def test_window_per_tier(world):
    far = slot(world.bj_site, TODAY + dt.timedelta(days=5))
    with pytest.raises(BookingConflict) as err:
        appointment_book(client=world.own, slot=far, acting_user=world.service)
    assert "3" in err.value.message_dict["slot"][0] and "2026-11-26" in err.value.message_dict["slot"][0]
    world.own.tier = "A"
    world.own.save(update_fields=["tier"])
    assert appointment_book(client=world.own, slot=far, acting_user=world.service).status == "booked"
    farther = slot(world.bj_site, TODAY + dt.timedelta(days=8))
    with pytest.raises(BookingConflict):
        appointment_book(client=world.own, slot=farther, acting_user=world.service)


def test_last_places_held_for_tier_a(world):
    s = slot(world.bj_site, TODAY + dt.timedelta(days=1), capacity=5, booked=4)  # 20% of 5 = 1 held for A
    with pytest.raises(BookingConflict) as err:
        appointment_book(client=world.other_team, slot=s, acting_user=world.service)
    assert err.value.conflict == "held"
    world.own.tier = "A"
    world.own.save(update_fields=["tier"])
    appointment_book(client=world.own, slot=s, acting_user=world.service)
    s.refresh_from_db()
    assert s.booked == 5
    world.other_team.tier = "A"
    world.other_team.save(update_fields=["tier"])
    with pytest.raises(BookingConflict) as err:
        appointment_book(client=world.other_team, slot=s, acting_user=world.service)
    assert err.value.conflict == "full"
    assert Appointment.objects.count() == 1


def test_cancel_releases_and_cancels_reminder(world):
    consent(world.own)
    s = slot(world.bj_site, TODAY + dt.timedelta(days=2))
    a = appointment_book(client=world.own, slot=s, acting_user=world.service)
    appointment_cancel(appointment=a, reason="出差", acting_user=world.service)
    s.refresh_from_db()
    assert s.booked == 0
    assert Message.objects.get(pk=a.reminder_message_id).status == "cancelled"
    with pytest.raises(BookingConflict):
        appointment_cancel(appointment=a, reason="again", acting_user=world.service)


def test_reschedule(world):
    s1 = slot(world.bj_site, TODAY + dt.timedelta(days=1))
    s2 = slot(world.bj_site, TODAY + dt.timedelta(days=2))
    a = appointment_book(client=world.own, slot=s1, acting_user=world.service)
    b = appointment_reschedule(appointment=a, slot=s2, acting_user=world.service)
    a.refresh_from_db()
    s1.refresh_from_db()
    s2.refresh_from_db()
    assert (a.status, b.status, b.rescheduled_from_id, s1.booked, s2.booked) == ("cancelled", "booked", a.pk, 0, 1)


def test_check_in_and_no_show(world, frozen):
    s = slot(world.bj_site, TODAY, "09:00")
    late = slot(world.bj_site, TODAY, "10:00")
    a = appointment_book(client=world.own, slot=s, acting_user=world.service)
    b = appointment_book(client=world.other_team, slot=late, acting_user=world.service)
    with pytest.raises(ValidationError):
        appointment_no_show(appointment=b, acting_user=world.service)
    appointment_check_in(appointment=a, acting_user=world.service)
    assert LedgerEntry.objects.get(source=f"appointment:{a.pk}").kind == "visit"
    frozen.move_to(dt.datetime(2026, 11, 23, 11, 0, tzinfo=ZoneInfo("Asia/Shanghai")))
    b = appointment_no_show(appointment=b, acting_user=world.service)
    task = FollowupTask.objects.get(pk=b.followup_task_id)
    assert (task.client, task.status) == (world.other_team, "pending")
    assert "爽约" in task.reason


def test_refusals_change_nothing(world):
    s = slot(world.bj_site, TODAY + dt.timedelta(days=1))
    with pytest.raises(PermissionDenied):
        appointment_book(client=world.own, slot=s, acting_user=world.nurse)
    with pytest.raises(PermissionDenied):
        appointment_book(client=world.other_branch, slot=s, acting_user=world.service)
    s.refresh_from_db()
    assert s.booked == 0 and not Appointment.objects.exists()
