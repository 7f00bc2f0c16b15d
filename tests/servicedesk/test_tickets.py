"""Tickets through the API and the services (SVC-1…3, CONTRACT /api/v1/tickets/)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from careloop.audit.models import AuditEvent
from careloop.servicedesk.models import Ticket, TicketEvent
from careloop.servicedesk.services import (
    ticket_answer,
    ticket_approve_reward,
    ticket_close,
    ticket_create,
    ticket_follow_up,
    ticket_investigate,
    ticket_resolve,
    ticket_satisfaction,
    tickets_escalate_overdue,
)
from tests.servicedesk.conftest import NOW


def test_api_records_each_kind_with_contract_fields(world, api) -> None:
    c = api(world.service)
    for kind in ("consultation", "complaint", "suggestion"):
        r = c.post("/api/v1/tickets/", {"kind": kind, "channel": "letter", "subject": "主题", "body": "全文",
                                        "client": world.own.pk}, format="json")
        assert r.status_code == 201, r.content
        assert (r.json()["kind"], r.json()["status"], r.json()["due_at"]) == (kind, "open", None)
    r = c.post("/api/v1/tickets/", {"kind": "commendation", "channel": "walk_in", "subject": "锦旗", "body": "送锦旗",
                                    "staff": world.nurse.pk}, format="json")
    assert (r.status_code, r.json()["staff"], r.json()["client"]) == (201, world.nurse.pk, None)
    assert Ticket.objects.count() == 4


def test_urgent_is_due_thirty_minutes_after_creation(world, api) -> None:
    r = api(world.service).post("/api/v1/tickets/", {"kind": "complaint", "channel": "phone", "subject": "急",
                                                      "body": "急", "urgent": True}, format="json")
    assert r.status_code == 201
    assert dt.datetime.fromisoformat(r.json()["due_at"]) == NOW + dt.timedelta(minutes=30)


def test_bad_input_names_each_field_and_stores_nothing(world, api) -> None:
    r = api(world.service).post("/api/v1/tickets/", {"kind": "praise", "channel": "fax", "subject": "",
                                                      "urgent": "yes", "client": 0}, format="json")
    assert r.status_code == 400
    assert set(r.json()) == {"kind", "channel", "subject", "body", "urgent", "client"}
    assert not Ticket.objects.exists()


def test_commendation_needs_the_staff_member(world) -> None:
    with pytest.raises(ValidationError) as caught:
        ticket_create(kind="commendation", channel="letter", subject="表扬", body="表扬信", acting_user=world.service)
    assert list(caught.value.message_dict) == ["staff"]


def test_client_outside_scope_is_refused(world, api) -> None:
    r = api(world.service).post("/api/v1/tickets/", {"kind": "consultation", "channel": "phone", "subject": "s",
                                                      "body": "b", "client": world.other_branch.pk}, format="json")
    assert (r.status_code, list(r.json())) == (400, ["client"])
    assert not Ticket.objects.exists()


@pytest.mark.parametrize("persona", ["nurse", "lead", "manager", "auditor", "outsider"])
def test_only_customer_service_records(world, api, persona) -> None:
    r = api(getattr(world, persona)).post("/api/v1/tickets/", {"kind": "consultation", "channel": "phone",
                                                                "subject": "s", "body": "b"}, format="json")
    assert r.status_code == 403
    assert not Ticket.objects.exists()


def test_complaint_lifecycle_keeps_history_and_response_time(world, complaint, api, time_machine) -> None:
    ticket_investigate(ticket=complaint, note="调取录音核实", acting_user=world.service)
    ticket_resolve(ticket=complaint, resolution="已与护士沟通", acting_user=world.service)
    time_machine.shift(dt.timedelta(minutes=42))
    r = api(world.service).post(f"/api/v1/tickets/{complaint.pk}/answer/", {"answer": "已致歉并整改"}, format="json")
    assert (r.status_code, r.json()["status"], r.json()["response_minutes"]) == (200, "answered", 42)
    r = api(world.service).post(f"/api/v1/tickets/{complaint.pk}/satisfaction/", {"score": 4, "comment": "满意"},
                                format="json")
    assert (r.status_code, r.json()["satisfaction"]) == (200, 4)
    ticket_close(ticket=complaint, acting_user=world.service)
    r = api(world.service).get(f"/api/v1/tickets/{complaint.pk}/")
    assert r.json()["status"] == "closed"
    assert [h["action"] for h in r.json()["history"]] == [
        "created", "investigating", "resolved", "answered", "survey", "satisfaction", "closed"]
    assert AuditEvent.objects.filter(action="ticket.answer", object_id=str(complaint.pk)).count() == 1


def test_satisfaction_score_out_of_range_and_before_answer(world, complaint, api) -> None:
    r = api(world.service).post(f"/api/v1/tickets/{complaint.pk}/satisfaction/", {"score": 6}, format="json")
    assert (r.status_code, list(r.json())) == (400, ["score"])
    with pytest.raises(ValidationError) as caught:
        ticket_satisfaction(ticket=complaint, score=4, acting_user=world.service)
    assert list(caught.value.message_dict) == ["status"]
    complaint.refresh_from_db()
    assert complaint.satisfaction is None


def test_closed_only_once_answered(world, complaint, api) -> None:
    r = api(world.service).post(f"/api/v1/tickets/{complaint.pk}/close/", {}, format="json")
    assert (r.status_code, list(r.json())) == (400, ["status"])
    complaint.refresh_from_db()
    assert complaint.status == "open"


def test_answer_twice_is_refused(world, complaint) -> None:
    ticket_answer(ticket=complaint, answer="答复", acting_user=world.service)
    with pytest.raises(ValidationError):
        ticket_answer(ticket=complaint, answer="再答复", acting_user=world.service)
    complaint.refresh_from_db()
    assert complaint.answer == "答复"


def test_consultation_followed_up_where_asked(world) -> None:
    t = ticket_create(kind="consultation", channel="phone", subject="复查", body="问复查", client=world.own,
                      followup_requested=True, acting_user=world.service)
    with pytest.raises(ValidationError):
        ticket_follow_up(ticket=t, note="已回访", acting_user=world.service)
    ticket_answer(ticket=t, answer="需空腹", acting_user=world.service)
    t = ticket_follow_up(ticket=t, note="已回访，客户已复查", acting_user=world.service)
    assert (t.followed_up_at, t.followup_note) == (NOW, "已回访，客户已复查")


def test_malpractice_dispute_is_routed_out(world, complaint, api) -> None:
    r = api(world.service).post(f"/api/v1/tickets/{complaint.pk}/route-out/",
                                {"routed_to": "医务科", "note": "已告知客户由医务科处理"}, format="json")
    assert r.status_code == 200
    assert (r.json()["malpractice"], r.json()["routed_to"], r.json()["status"]) == (True, "医务科", "closed")


def test_commendation_counts_only_after_the_managers_approval(world) -> None:
    t = ticket_create(kind="commendation", channel="letter", subject="表扬信", body="感谢", staff=world.nurse,
                      acting_user=world.service)
    with pytest.raises(PermissionDenied):
        ticket_approve_reward(ticket=t, acting_user=world.service)
    t.refresh_from_db()
    assert t.approved_at is None
    t = ticket_approve_reward(ticket=t, acting_user=world.manager)
    assert (t.approved_at, t.approved_by_id) == (NOW, world.manager.pk)
    with pytest.raises(ValidationError):
        ticket_approve_reward(ticket=t, acting_user=world.manager)


def test_overdue_urgent_ticket_escalates_once_to_the_service_lead(world, time_machine) -> None:
    from tests.factories import make_team, make_user

    boss = make_user("svc_lead", roles=["service"], unit=world.bj)
    make_team("客服组", world.bj, lead=boss, members=[world.service])
    t = ticket_create(kind="complaint", channel="phone", subject="急", body="急", urgent=True, acting_user=world.service)
    time_machine.shift(dt.timedelta(minutes=29))
    assert tickets_escalate_overdue() == 0
    time_machine.shift(dt.timedelta(minutes=2))
    assert tickets_escalate_overdue() == 1
    assert tickets_escalate_overdue() == 0
    t.refresh_from_db()
    assert (t.escalated_to_id, t.escalated_at) == (boss.pk, NOW + dt.timedelta(minutes=31))
    assert TicketEvent.objects.filter(ticket=t, action="escalated").count() == 1


def test_escalation_without_a_team_goes_to_the_manager_above(world, time_machine) -> None:
    t = ticket_create(kind="complaint", channel="phone", subject="急", body="急", urgent=True, client=world.own,
                      acting_user=world.service)
    time_machine.shift(dt.timedelta(minutes=31))
    tickets_escalate_overdue()
    t.refresh_from_db()
    assert t.escalated_to_id == world.manager.pk


def test_answered_urgent_ticket_is_not_escalated(world, time_machine) -> None:
    t = ticket_create(kind="complaint", channel="phone", subject="急", body="急", urgent=True, acting_user=world.service)
    ticket_answer(ticket=t, answer="已处理", acting_user=world.service)
    time_machine.shift(dt.timedelta(hours=1))
    assert tickets_escalate_overdue() == 0
