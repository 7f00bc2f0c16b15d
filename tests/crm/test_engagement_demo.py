"""The demo's offers and salons (issue 14 item 3): deterministic, made through the services."""

import datetime as dt
import io
from collections import Counter

import pytest
import time_machine
from django.core.management import call_command
from django.test import override_settings

from careloop.crm.models import CommunityEvent, EventRegistration, OfferSent


@pytest.mark.slow
@pytest.mark.django_db
@override_settings(DEMO_PASSWORD="demo-pass-2026")
def test_demo_has_a_past_salon_with_attendance_a_coming_one_with_registrations_and_tier_c_offers():
    with time_machine.travel(dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC), tick=False):
        out = io.StringIO()
        call_command("demo", stdout=out)
    events = {e.title: e for e in CommunityEvent.objects.all()}
    past = events["慢病管理健康沙龙（高血压专题）"]
    coming = events["冬季养生健康沙龙"]
    assert Counter(EventRegistration.objects.filter(event=past).values_list("status", flat=True)) == {
        "attended": 10, "no_show": 2}
    statuses = Counter(EventRegistration.objects.filter(event=coming).values_list("status", flat=True))
    assert statuses["registered"] == coming.registered > 0
    assert OfferSent.objects.filter(origin="tier_c").exists()  # the daily rule ran once in the demo
    sent = Counter(OfferSent.objects.filter(status="sent").values_list("client__tier", flat=True))
    assert sent["B"] > 0 and sent["C"] > 0
    print(statuses, sent, Counter(OfferSent.objects.values_list("status", "origin")))
