"""SEC-2 made structural (issue 10, finding 6): walk every URL pattern and API operation; any GET that answers
200 with a client's data must have written an audit row (audit.services.audit_read). A new page or operation
that shows client data without auditing fails here, whoever adds it."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.test import Client as WebClient
from django.urls import URLPattern, URLResolver, get_resolver

from careloop.audit.models import AuditEvent
from careloop.checkups.models import Checkup
from careloop.clients.models import Client
from careloop.clients.services import consent_record
from careloop.followups.services.planning import encounter_create
from careloop.followups.services.records import followup_record_submit
from careloop.followups.services.tasks import attempt_record
from careloop.messaging.services import message_enqueue
from tests.followups.test_attempts_records import first_answers

pytestmark = pytest.mark.slow

# Routes that never show a client's data, or are not reads (exports are covered by their own tests).
NOT_CLIENT_DATA = {"admin/", "i18n/", "api/v1/schema/", "api/v1/docs/", "healthz", "accounts/"}
# Text that only a client's record contains (name, masked phone, results, notes): if a body shows one, the
# request read client data.
MARKERS = ("王芳", "138****1234", "血压偏高READ", "胸闷READ", "ATTEMPT-READ")
ROLES = ("nurse", "lead", "clerk", "expert")
T0 = dt.datetime(2026, 11, 23, 10, 0, tzinfo=dt.UTC)


def _patterns(resolver: URLResolver, prefix: str = ""):
    for item in resolver.url_patterns:
        route = prefix + str(item.pattern)
        if isinstance(item, URLResolver):
            yield from _patterns(item, route)
        elif isinstance(item, URLPattern):
            yield route


def _concrete(route: str, ids: list[int]) -> list[str]:
    if "<str:" in route or "<path:" in route or route.startswith("^") or "(?P" in route:
        return []
    params = re.findall(r"<int:(\w+)>", route)
    if not params:
        return ["/" + route]
    return ["/" + re.sub(r"<int:\w+>", str(i), route) for i in ids]


@pytest.fixture
def health_data(world):
    Client.objects.filter(pk=world.own.pk).update(tier="B")
    world.own.tier = "B"
    consent_record(acting_user=world.nurse, client=world.own, purpose="reminders", granted=True)
    with time_machine.travel(T0, tick=False):
        encounter = encounter_create(client=world.own, kind="tcm_first_visit", date=dt.date(2026, 11, 2),
                                     prescription_days=30, acting_user=world.nurse)
        tasks = list(encounter.tasks.order_by("due_date"))
        attempt_record(task=tasks[1], outcome="no_answer", note="ATTEMPT-READ", acting_user=world.nurse)
        followup_record_submit(task=tasks[0], acting_user=world.nurse, identity_confirmed=True,
                               answers=first_answers(), problem="serious", problem_note="胸闷READ")
        checkup = Checkup.objects.create(client=world.own, exam_no="SEC-1", date=dt.date(2026, 11, 1),
                                         conclusions="血压偏高READ")
        message = message_enqueue(client=world.own, purpose="recheck_reminder", context={"item": "血压"})
    ids = {world.own.pk, encounter.pk, checkup.pk, *[t.pk for t in tasks], getattr(message, "pk", 1)}
    return sorted(ids)


def test_every_read_of_client_data_writes_an_audit_row(world, health_data):
    routes = [r for r in _patterns(get_resolver()) if not any(r.startswith(p) for p in NOT_CLIENT_DATA)]
    unaudited: set[str] = set()
    seen_reads = 0
    with time_machine.travel(T0, tick=False):
        for role in ROLES:
            browser = WebClient(HTTP_ACCEPT_LANGUAGE="en")
            browser.force_login(getattr(world, role))
            for route in routes:
                for url in _concrete(route, health_data):
                    before = AuditEvent.objects.order_by("-append_id").values_list("append_id", flat=True).first() or 0
                    response = browser.get(url)
                    if response.status_code != 200 or response.streaming:
                        continue
                    body = response.content.decode("utf-8", "replace")
                    if not any(marker in body for marker in MARKERS):
                        continue
                    seen_reads += 1
                    if not AuditEvent.objects.filter(append_id__gt=before, actor_name=role).exists():
                        unaudited.add(f"GET /{route} (as {role}, e.g. {url})")
    assert seen_reads > 20  # the walk reached the pages that show client data
    assert sorted(unaudited) == [], "\n".join(sorted(unaudited))
