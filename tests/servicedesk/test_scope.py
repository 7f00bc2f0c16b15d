"""Who sees a ticket: a complaint naming a staff member goes to that person's lead, not to the person."""

from __future__ import annotations

import pytest

from careloop.clients.timeline import timeline_for
from careloop.servicedesk.permissions import tickets_visible_to
from careloop.servicedesk.services import ticket_create


@pytest.mark.parametrize(("persona", "sees"), [
    ("service", True), ("lead", True), ("nurse", False), ("nurse_b", False), ("manager", False),
    ("expert", False), ("nurse2", False), ("outsider", False), ("auditor", False)])
def test_complaint_about_the_nurse(world, complaint, api, persona, sees) -> None:
    user = getattr(world, persona)
    assert list(tickets_visible_to(user)) == ([complaint] if sees else [])
    r = api(user).get(f"/api/v1/tickets/{complaint.pk}/")
    assert r.status_code == (200 if sees else 404)


def test_a_complaint_naming_the_agent_is_not_shown_to_that_agent(world) -> None:
    t = ticket_create(kind="complaint", channel="phone", subject="客服态度", body="客服态度差", staff=world.service,
                      acting_user=world.service)
    assert t not in tickets_visible_to(world.service)


def test_the_manager_sees_commendations_to_approve(world) -> None:
    t = ticket_create(kind="commendation", channel="letter", subject="表扬", body="表扬信", staff=world.nurse,
                      acting_user=world.service)
    assert list(tickets_visible_to(world.manager)) == [t]
    assert list(tickets_visible_to(world.nurse)) == []


def test_other_branch_service_does_not_see(world, complaint) -> None:
    from tests.factories import make_user

    sh_service = make_user("sh_service", roles=["service"], unit=world.sh)
    assert list(tickets_visible_to(sh_service)) == []


def test_the_lead_cannot_answer(world, complaint, api) -> None:
    r = api(world.lead).post(f"/api/v1/tickets/{complaint.pk}/answer/", {"answer": "x"}, format="json")
    assert r.status_code == 403
    complaint.refresh_from_db()
    assert (complaint.status, complaint.answer) == ("open", "")


def test_timeline_shows_the_ticket_to_those_who_may_see_it(world, complaint) -> None:
    def complaints(user):
        return [e.title for e in timeline_for(world.own, user, kinds=["complaint"])]

    assert complaints(world.service) == ["投诉: 态度冷淡"]
    assert complaints(world.nurse) == []


def test_list_is_scoped(world, complaint, api) -> None:
    ticket_create(kind="consultation", channel="phone", subject="问", body="问", client=world.own,
                  acting_user=world.service)
    assert api(world.service).get("/api/v1/tickets/").json()["count"] == 2
    assert api(world.lead).get("/api/v1/tickets/").json()["count"] == 1
    assert api(world.nurse).get("/api/v1/tickets/").json()["count"] == 0
    r = api(world.service).get("/api/v1/tickets/?status=done")
    assert (r.status_code, list(r.json())) == (400, ["status"])
