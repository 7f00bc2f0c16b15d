"""Encounters schedule, re-plan and cancel their follow-ups (RPT-1, FU intro, issue §1, §4)."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import translation

from careloop.audit.models import AuditEvent
from careloop.followups.models import Encounter, FollowupTask, TaskStatus
from careloop.followups.services.planning import encounter_cancel, encounter_create, encounter_update
from tests.factories import make_client

D = dt.date(2026, 11, 2)


@pytest.fixture(autouse=True)
def tier_b(world):
    """Tier B clients: no tier-C first-consumption call mixed into these schedules."""
    from careloop.clients.models import Client

    Client.objects.update(tier="B")
    for name in ("own", "other_team", "other_branch"):
        getattr(world, name).tier = "B"


def due_dates(encounter: Encounter, status: str = TaskStatus.PENDING) -> list[dt.date]:
    return list(encounter.tasks.filter(status=status).order_by("due_date").values_list("due_date", flat=True))


def test_create_schedules_in_the_same_transaction(world) -> None:
    enc = encounter_create(client=world.own, kind="tcm_first_visit", date=D, prescription_days=30,
                           acting_user=world.nurse)
    tasks = list(enc.tasks.order_by("due_date"))
    assert [(t.rule.code, t.sequence, t.total, t.due_date) for t in tasks] == [
        ("FU-2-1m", 1, 3, dt.date(2026, 11, 5)),
        ("FU-2-1m", 2, 3, dt.date(2026, 11, 17)),
        ("FU-2-1m", 3, 3, dt.date(2026, 11, 29)),
    ]
    with translation.override("en"):
        assert tasks[1].reason_text == "TCM first visit, 30-day prescription, follow-up 2 of 3"
    with translation.override("zh-hans"):
        assert tasks[1].reason_text == "中医初诊，30天处方，第2次随访（共3次）"
    # Assigned to the client's health manager, in her team.
    assert {(t.assignee_id, t.team_id, t.status, t.channel) for t in tasks} == {
        (world.nurse.pk, world.team_a.pk, "pending", "phone")
    }
    event = AuditEvent.objects.get(action="encounter.create")
    assert (event.client_id, event.detail["created"]) == (world.own.pk, 3)


def test_prescription_change_replans_pending_and_keeps_done(world) -> None:
    enc = encounter_create(client=world.own, kind="tcm_first_visit", date=D, prescription_days=14,
                           acting_user=world.nurse)
    assert due_dates(enc) == [dt.date(2026, 11, 5), dt.date(2026, 11, 13)]
    first = enc.tasks.get(due_date=dt.date(2026, 11, 5))
    FollowupTask.objects.filter(pk=first.pk).update(status=TaskStatus.DONE)
    encounter_update(encounter=enc, prescription_days=30, acting_user=world.nurse)
    assert due_dates(enc) == [dt.date(2026, 11, 17), dt.date(2026, 11, 29)]
    assert due_dates(enc, TaskStatus.DONE) == [dt.date(2026, 11, 5)]
    assert due_dates(enc, TaskStatus.CANCELLED) == [dt.date(2026, 11, 13)]
    first.refresh_from_db()
    assert (first.status, first.sequence, first.total) == ("done", 1, 2)
    assert list(enc.tasks.filter(status="pending").values_list("sequence", "total").order_by("sequence")) == [
        (2, 3), (3, 3)
    ]


def test_cancel_cancels_pending_only(world) -> None:
    enc = encounter_create(client=world.own, kind="discharge", date=D, acting_user=world.nurse)
    assert enc.tasks.count() == 9  # FU-5 (8) + FU-6 advice (1)
    enc.tasks.filter(due_date=dt.date(2026, 11, 3)).update(status=TaskStatus.DONE)
    encounter_cancel(encounter=enc, reason="客户已故", acting_user=world.nurse)
    enc.refresh_from_db()
    assert (enc.status, enc.cancel_reason) == ("cancelled", "客户已故")
    assert sorted(enc.tasks.values_list("status", flat=True)) == ["cancelled"] * 7 + ["done"] * 2


def test_cancel_needs_a_reason_and_changes_nothing(world) -> None:
    enc = encounter_create(client=world.own, kind="discharge", date=D, acting_user=world.nurse)
    with pytest.raises(ValidationError) as caught:
        encounter_cancel(encounter=enc, reason="  ", acting_user=world.nurse)
    assert set(caught.value.message_dict) == {"reason"}
    assert set(enc.tasks.values_list("status", flat=True)) == {"pending"}


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"kind": "haircut"}, "kind"),
        ({"kind": "tcm_first_visit"}, "prescription_days"),
        ({"kind": "tcm_return_visit", "prescription_days": 0}, "prescription_days"),
        ({"kind": "checkup", "health_status": "fine"}, "health_status"),
    ],
)
def test_bad_encounter_names_the_field_and_writes_nothing(world, kwargs, field) -> None:
    with pytest.raises(ValidationError) as caught:
        encounter_create(client=world.own, date=D, acting_user=world.nurse, **kwargs)
    assert list(caught.value.message_dict) == [field]
    assert (Encounter.objects.count(), FollowupTask.objects.count()) == (0, 0)


def test_report_delivery_moves_the_cycle_and_status_change_adds_a_call_now(world) -> None:
    enc = encounter_create(client=world.own, kind="checkup", date=D, health_status="abnormal_stable",
                           acting_user=world.nurse)
    stable = lambda: list(enc.tasks.filter(rule__code="FU-1-stable", status="pending")  # noqa: E731
                          .order_by("due_date").values_list("due_date", flat=True))
    assert stable() == [dt.date(2027, 2, 2), dt.date(2027, 5, 2), dt.date(2027, 8, 2), dt.date(2027, 11, 2)]
    encounter_update(encounter=enc, report_delivered_on=dt.date(2026, 11, 9), acting_user=world.nurse)
    assert stable() == [dt.date(2027, 2, 9), dt.date(2027, 5, 9), dt.date(2027, 8, 9), dt.date(2027, 11, 9)]
    with time_machine.travel(dt.datetime(2026, 11, 23, 10, tzinfo=dt.UTC), tick=False):
        encounter_update(encounter=enc, health_status="complex", acting_user=world.nurse)
    assert stable() == []
    assert enc.tasks.filter(rule__code="FU-1-complex", status="pending").count() == 12
    now_task = enc.tasks.get(rule__isnull=True)
    assert (now_task.due_date, now_task.status) == (dt.date(2026, 11, 23), "pending")
    # Ad-hoc reasons are stored in the system language when written (Chinese by default).
    assert now_task.reason_text == "健康状况由异常但稳定变为病情复杂/重点关注：立即随访"


def test_update_refuses_unknown_fields(world) -> None:
    enc = encounter_create(client=world.own, kind="discharge", date=D, acting_user=world.nurse)
    with pytest.raises(ValidationError) as caught:
        encounter_update(encounter=enc, client=world.other_team, acting_user=world.nurse)
    assert list(caught.value.message_dict) == ["client"]


def test_team_queue_within_daily_capacity_when_no_health_manager(world) -> None:
    for person in (world.nurse, world.lead, world.nurse_b):
        person.daily_capacity = 1
        person.save(update_fields=["daily_capacity"])
    clients = [make_client(branch=world.bj, tier="B") for _ in range(5)]
    # The branch has two follow-up teams: team_a (lead + nurse) and team_b (nurse_b); they share the work.
    for client in clients:
        encounter_create(client=client, kind="tcm_return_visit", date=D, prescription_days=14,
                         acting_user=world.lead)
    tasks = list(FollowupTask.objects.filter(client__in=clients).order_by("client_id"))
    assert [t.due_date for t in tasks] == [dt.date(2026, 11, 11)] * 5
    # Each member up to her capacity, the least loaded (then the lowest id) first; then the overflow goes to
    # the shorter unassigned queue of the two teams (team_a first on a tie, then team_b).
    owners = [(t.assignee_id, t.team_id) for t in tasks]
    by_id = sorted([world.nurse.pk, world.lead.pk, world.nurse_b.pk])
    team_of = {world.nurse.pk: world.team_a.pk, world.lead.pk: world.team_a.pk, world.nurse_b.pk: world.team_b.pk}
    assert owners == [*((m, team_of[m]) for m in by_id), (None, world.team_a.pk), (None, world.team_b.pk)]


def test_bulk_create_plans_like_one_by_one(world) -> None:
    from careloop.followups.services.planning import EncounterRow, encounter_bulk_create

    rows = [EncounterRow(client=world.own, kind="tcm_first_visit", date=D, prescription_days=30),
            EncounterRow(client=world.other_team, kind="discharge", date=D)]
    encounters = encounter_bulk_create(rows=rows, source="his", acting_user=world.lead)
    assert [e.tasks.count() for e in encounters] == [3, 9]
    single = encounter_create(client=world.own, kind="tcm_first_visit", date=D, prescription_days=30,
                              acting_user=world.nurse)
    assert list(single.tasks.values_list("due_date", "sequence", "total", "assignee_id").order_by("due_date")) == list(
        encounters[0].tasks.values_list("due_date", "sequence", "total", "assignee_id").order_by("due_date"))
    # each task goes to the client's health manager, in her team
    assert set(encounters[1].tasks.values_list("assignee_id", "team_id")) == {(world.nurse_b.pk, world.team_b.pk)}
    event = AuditEvent.objects.get(action="encounter.bulk_create")
    assert event.detail == {"source": "his", "encounters": [e.pk for e in encounters], "tasks": 12, "skipped": 0,
                            "replaced": 0, "messages_planned": 0}


def test_bulk_create_is_all_or_nothing(world) -> None:
    from careloop.followups.services.planning import EncounterRow, encounter_bulk_create

    rows = [EncounterRow(client=world.own, kind="discharge", date=D),
            EncounterRow(client=world.own, kind="tcm_first_visit", date=D)]
    with pytest.raises(ValidationError) as caught:
        encounter_bulk_create(rows=rows, source="his", acting_user=world.lead)
    assert list(caught.value.message_dict) == ["rows[1].prescription_days"]
    assert (Encounter.objects.count(), FollowupTask.objects.count()) == (0, 0)


def test_bulk_insert_columns_match_the_model() -> None:
    from careloop.followups.services.planning import TASK_COLUMNS

    columns = {f.column for f in FollowupTask._meta.concrete_fields} - {"id"}
    assert set(TASK_COLUMNS) == columns and len(TASK_COLUMNS) == len(columns)


def test_encounters_on_the_client_timeline(world) -> None:
    from careloop.clients.timeline import timeline_for

    encounter_create(client=world.own, kind="tcm_first_visit", date=D, prescription_days=30, acting_user=world.nurse)
    with translation.override("en"):
        titles = [e.title for e in timeline_for(world.own, world.nurse, kinds=["visit"])]
        assert titles == ["TCM first visit"]
        assert timeline_for(world.own, world.service, kinds=["visit"]) == []
