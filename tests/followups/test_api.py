"""CONTRACT /api/v1/encounters/, /followup-tasks/, …/attempts/, …/record/ and the persona matrix."""

from __future__ import annotations

import datetime as dt

import pytest

from careloop.clients.models import Client
from careloop.clients.services import consent_record
from careloop.followups.models import CallAttempt, Encounter, FollowupRecord, FollowupTask
from careloop.followups.services.planning import encounter_create

# one audit row: one INSERT (no lock, no read: the sealer chains it after commit)
AUDIT_ROW_QUERIES = 1

D = dt.date(2026, 11, 2)


@pytest.fixture
def tasks(world):
    Client.objects.update(tier="B")
    world.own.tier = world.other_branch.tier = "B"
    consent_record(acting_user=world.nurse, client=world.own, purpose="reminders", granted=True)
    mine = encounter_create(client=world.own, kind="tcm_first_visit", date=D, prescription_days=30,
                            acting_user=world.nurse)
    theirs = encounter_create(client=world.other_branch, kind="tcm_first_visit", date=D, prescription_days=30,
                              acting_user=world.nurse2)
    return mine.tasks.order_by("due_date").first(), theirs.tasks.order_by("due_date").first()


def test_create_encounter_schedules(api, world) -> None:
    response = api(world.nurse).post("/api/v1/encounters/", {
        "client": world.own.pk, "kind": "tcm_return_visit", "date": "2026-11-02", "prescription_days": 30,
    }, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["kind"], body["prescription_days"], body["status"]) == ("tcm_return_visit", 30, "active")
    tasks = FollowupTask.objects.filter(encounter_id=body["id"]).order_by("due_date")
    assert sorted(body["tasks"]) == sorted(t.pk for t in tasks)
    listing = api(world.nurse).get(f"/api/v1/followup-tasks/?client={world.own.pk}").json()
    assert [(r["rule"], r["sequence"], r["due_date"], r["window_end"], r["status"], r["assignee"])
            for r in listing["results"]] == [
        ("FU-3-1m", 1, "2026-11-09", None, "pending", world.nurse.pk),
        ("FU-3-1m", 2, "2026-11-29", None, "pending", world.nurse.pk),
    ]
    assert listing["results"][1]["reason"] == "中医复诊，30天处方，第2次随访（共2次）"


@pytest.mark.parametrize(
    ("payload", "field", "en"),
    [
        ({"kind": "tcm_first_visit", "date": "2026-11-02"}, "prescription_days",
         "A TCM visit needs the prescription length in days."),
        ({"kind": "tcm_first_visit", "date": "2026-11-31", "prescription_days": 7}, "date", None),
        ({"kind": "sauna", "date": "2026-11-02"}, "kind", None),
    ],
)
def test_bad_encounter_is_400_naming_the_field(api, world, payload, field, en) -> None:
    response = api(world.nurse, lang="en").post("/api/v1/encounters/", {"client": world.own.pk, **payload},
                                                format="json")
    assert response.status_code == 400
    assert list(response.json()) == [field]
    if en:
        assert response.json()[field] == [en]
    assert Encounter.objects.count() == 0


def test_patch_and_delete_replan(api, world, tasks) -> None:
    enc = tasks[0].encounter
    response = api(world.nurse).patch(f"/api/v1/encounters/{enc.pk}/", {"prescription_days": 14}, format="json")
    assert response.status_code == 200
    assert list(enc.tasks.filter(status="pending").order_by("due_date").values_list("due_date", flat=True)) == [
        dt.date(2026, 11, 5), dt.date(2026, 11, 13)]
    response = api(world.nurse).delete(f"/api/v1/encounters/{enc.pk}/?reason=录入错误")
    assert response.status_code == 204
    assert set(enc.tasks.values_list("status", flat=True)) == {"cancelled"}


def test_attempt_response_says_what_happens_next(api, world, tasks) -> None:
    task = tasks[0]
    url = f"/api/v1/followup-tasks/{task.pk}/attempts/"
    for hour in ("09", "10"):
        response = api(world.nurse).post(url, {"outcome": "no_answer", "at": f"2026-11-23T{hour}:00:00+08:00"},
                                         format="json")
        assert response.status_code == 201
    response = api(world.nurse).post(url, {"outcome": "no_answer", "at": "2026-11-23T11:00:00+08:00"}, format="json")
    body = response.json()
    assert body["next_attempt_at"] == "2026-11-24T11:00:00+08:00"
    assert len(body["messages"]) == 1 and body["task_status"] == "in_progress"
    assert [a["outcome"] for a in api(world.nurse).get(url).json()] == ["no_answer"] * 3
    bad = api(world.nurse, lang="en").post(url, {"outcome": "asleep"}, format="json")
    assert bad.status_code == 400 and list(bad.json()) == ["outcome"]


def test_record_closes_the_task(api, world, tasks) -> None:
    task = tasks[0]
    url = f"/api/v1/followup-tasks/{task.pk}/record/"
    assert api(world.nurse).get(url).status_code == 404
    payload = {"identity_confirmed": True, "answers": {
        "medication_time": True, "medication_method": True, "adverse_reaction": "无", "plan_started": "已开始",
        "plan_explained": True}, "guidance": "饭后温服"}
    response = api(world.nurse).post(url, payload, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["signed_by"] == world.nurse.pk
    task.refresh_from_db()
    assert task.status == "done"
    assert api(world.nurse).get(url).json()["guidance"] == "饭后温服"
    again = api(world.nurse, lang="en").post(url, payload, format="json")
    assert again.status_code == 400 and list(again.json()) == ["status"]


# --- the persona matrix ----------------------------------------------------------------------------

# persona → (sees the task, may call/record it, may reassign it, sees the record)
MATRIX = {
    "nurse": (True, True, False, True),
    "lead": (True, True, True, True),
    "expert": (True, False, False, True),
    "service": (False, False, False, False),
    "auditor": (False, False, False, False),
    "manager": (False, False, False, False),
    "nurse2": (False, False, False, False),
    "nurse_b": (False, False, False, False),
}


@pytest.mark.parametrize("persona", list(MATRIX))
def test_persona_matrix_on_tasks_and_records(api, world, tasks, persona) -> None:
    sees, works, reassigns, reads_record = MATRIX[persona]
    task = tasks[0]
    FollowupRecord.objects.create(task=tasks[0].encounter.tasks.order_by("due_date").last(), client=world.own,
                                  channel="phone", performed_at=dt.datetime(2026, 11, 20, 10, tzinfo=dt.UTC),
                                  performed_by=world.nurse, identity_confirmed=True)
    recorded = FollowupRecord.objects.get().task
    user = getattr(world, persona)
    client = api(user)

    listing = client.get("/api/v1/followup-tasks/")
    assert listing.status_code == 200
    ids = {r["id"] for r in listing.json()["results"]}
    assert (task.pk in ids) is sees
    assert tasks[1].pk not in ids or persona == "nurse2"
    assert (client.get(f"/api/v1/followup-tasks/{task.pk}/").status_code == 200) is sees

    attempt = client.post(f"/api/v1/followup-tasks/{task.pk}/attempts/",
                          {"outcome": "no_answer", "at": "2026-11-23T09:00:00+08:00"}, format="json")
    assert (attempt.status_code == 201) is works
    if not works:
        assert attempt.status_code in (403, 404)
        assert CallAttempt.objects.count() == 0

    reassign = client.patch(f"/api/v1/followup-tasks/{task.pk}/", {"assignee": world.lead.pk}, format="json")
    assert (reassign.status_code == 200) is reassigns
    task.refresh_from_db()
    assert task.assignee_id == (world.lead.pk if reassigns else world.nurse.pk)

    record = client.get(f"/api/v1/followup-tasks/{recorded.pk}/record/")
    assert (record.status_code == 200) is reads_record


def test_other_branch_nurse_sees_only_her_own(api, world, tasks) -> None:
    ids = {r["id"] for r in api(world.nurse2).get("/api/v1/followup-tasks/").json()["results"]}
    assert tasks[1].pk in ids and tasks[0].pk not in ids
    response = api(world.nurse2).post("/api/v1/encounters/", {
        "client": world.own.pk, "kind": "discharge", "date": "2026-11-02"}, format="json")
    assert response.status_code == 400 and list(response.json()) == ["client"]


def test_api_worklist_groups_calls_with_pinned_queries(api, world, tasks, django_assert_num_queries) -> None:
    import time_machine

    client = api(world.nurse)
    with time_machine.travel(dt.datetime(2026, 11, 5, 2, tzinfo=dt.UTC), tick=False):
        client.get("/api/v1/followup-tasks/worklist/")
        # count, page, its clients, companions (roles and teams are cached on the authenticated user)
        with django_assert_num_queries(4 + AUDIT_ROW_QUERIES):
            body = client.get("/api/v1/followup-tasks/worklist/").json()
    assert body["count"] == 1
    [call] = body["results"]
    assert (call["client"]["id"], call["task"]["id"], call["days_overdue"], call["also"]) == (
        world.own.pk, tasks[0].pk, 0, [])
