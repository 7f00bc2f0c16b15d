"""Issue 10, finding 3: every choice of a person is validated in the service against the pool its list offers."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.test import Client as WebClient

from careloop.clients.models import Client
from careloop.clients.services import client_assign, consent_record
from careloop.followups.models import Escalation, FollowupTask
from careloop.followups.services.escalations import escalation_refer
from careloop.followups.services.planning import encounter_create
from careloop.followups.services.records import followup_record_submit
from careloop.followups.services.tasks import followup_task_reassign
from careloop.org.models import Role
from tests.factories import make_user
from tests.followups.test_attempts_records import first_answers


@pytest.fixture
def task(world) -> FollowupTask:
    Client.objects.filter(pk=world.own.pk).update(tier="B")
    world.own.tier = "B"
    consent_record(acting_user=world.nurse, client=world.own, purpose="reminders", granted=True)
    enc = encounter_create(client=world.own, kind="tcm_first_visit", date=dt.date(2026, 11, 2), prescription_days=30,
                           acting_user=world.nurse)
    return enc.tasks.order_by("due_date").first()


@pytest.fixture
def escalation(world, task) -> Escalation:
    followup_record_submit(task=task, acting_user=world.nurse, identity_confirmed=True, answers=first_answers(),
                           problem="serious", problem_note="胸闷气短加重")
    return Escalation.objects.get()


@pytest.fixture
def expert_sh(world):
    return make_user("expert_sh", roles=[Role.EXPERT], unit=world.sh)


def test_lead_cannot_refer_to_an_expert_of_another_branch(world, escalation, expert_sh):
    with pytest.raises(ValidationError) as caught:
        escalation_refer(escalation=escalation, expert=expert_sh, acting_user=world.lead)
    assert list(caught.value.message_dict) == ["expert"]
    escalation.refresh_from_db()
    assert (escalation.status, escalation.expert_id) == ("open", None)


def test_referral_page_refuses_a_hidden_expert_and_an_id_that_is_no_number(world, escalation, expert_sh):
    lead = WebClient(HTTP_ACCEPT_LANGUAGE="en")
    lead.force_login(world.lead)
    page = lead.get("/followups/escalations/").content.decode()
    assert "expert_sh" not in page
    for value in (expert_sh.pk, "abc", world.nurse.pk):
        response = lead.post("/followups/escalations/", {"id": escalation.pk, "action": "refer", "expert": value})
        assert response.status_code == 302
    assert lead.post("/followups/escalations/", {"id": "abc", "action": "refer"}).status_code == 404
    escalation.refresh_from_db()
    assert (escalation.status, escalation.expert_id) == ("open", None)
    escalation_refer(escalation=escalation, expert=world.expert.pk, acting_user=world.lead)  # an id works too
    escalation.refresh_from_db()
    assert escalation.expert_id == world.expert.pk


def test_reassignment_only_to_the_task_team(world, task):
    for outsider in (world.nurse2, world.nurse_b, world.expert):
        with pytest.raises(ValidationError) as caught:
            followup_task_reassign(task=task, assignee=outsider, acting_user=world.lead)
        assert list(caught.value.message_dict) == ["assignee"]
    task.refresh_from_db()
    assert task.assignee_id == world.nurse.pk


def test_reassignment_api_and_page_refuse_outsiders_and_garbage(world, task, api):
    client = api(world.lead, lang="en")
    for value in (world.nurse2.pk, "abc", True, 99999999):
        response = client.patch(f"/api/v1/followup-tasks/{task.pk}/", {"assignee": value}, format="json")
        assert response.status_code == 400 and list(response.json()) == ["assignee"], response.content
    web = WebClient(HTTP_ACCEPT_LANGUAGE="en")
    web.force_login(world.lead)
    assert web.post(f"/followups/tasks/{task.pk}/reassign/", {"assignee": "abc"}).status_code == 302
    assert web.post(f"/followups/tasks/{task.pk}/reassign/", {"assignee": world.nurse2.pk}).status_code == 302
    task.refresh_from_db()
    assert task.assignee_id == world.nurse.pk


def test_health_manager_from_another_branch_is_refused(world):
    with pytest.raises(ValidationError) as caught:
        client_assign(acting_user=world.lead, client=world.own, kind="health_manager", staff=world.nurse2)
    assert list(caught.value.message_dict) == ["staff"]
    world.own.refresh_from_db()
    assert world.own.health_manager_id == world.nurse.pk
