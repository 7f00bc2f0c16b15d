"""`careloop demo`'s desk data: a few hundred tickets and survey answers whose NPS is known (50.0)."""

from __future__ import annotations

import datetime as dt
import random

from careloop.servicedesk import selectors
from careloop.servicedesk.demo import DEMO_NPS, generate_desk
from careloop.servicedesk.models import Survey, Ticket
from tests.servicedesk.conftest import NOW


def test_demo_tickets_and_known_nps(world) -> None:
    summary = generate_desk([world.own, world.other_team, world.other_branch], random.Random(7))
    assert Ticket.objects.count() == 302
    assert Ticket.objects.filter(status__in=("open", "investigating")).count() == 22
    assert Ticket.objects.filter(urgent=True, status="open", due_at__lt=NOW).exists()  # one overdue for the desk
    answers = Survey.objects.filter(answered_at__isnull=False).count()
    assert answers > 100 and answers % 20 == 0
    today = NOW.date()
    assert selectors.nps(start=today - dt.timedelta(days=89), end=today).score == DEMO_NPS == 50.0
    assert selectors.nps(start=today - dt.timedelta(days=89), end=today, units=[world.bj]).score == 50.0
    assert f"NPS {DEMO_NPS}" in summary
