"""A client's tier has one door: the tier override (reason, override row, audit) — never the generic edit (issue 14)."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.test import Client as WebClient
from django.urls import reverse

from careloop.audit.models import AuditEvent
from careloop.clients.models import StatusChange
from careloop.clients.services import client_update
from careloop.crm.models import TierOverride


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(dt.datetime(2026, 11, 23, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai")), tick=False):
        yield


def web(user):
    client = WebClient(HTTP_ACCEPT_LANGUAGE="zh-hans")
    client.force_login(user)
    return client


def tier_state(client):
    client.refresh_from_db()
    return (client.tier, StatusChange.objects.filter(client=client, kind="tier").count(),
            TierOverride.objects.filter(client=client).count(),
            AuditEvent.objects.filter(action__in=["client.update", "client.tier", "tier.override"]).count())


def test_edit_form_has_no_tier_field_and_links_to_the_tier_page(world):
    html = web(world.lead).get(reverse("clients:edit", args=[world.own.pk])).content.decode()
    assert 'name="tier"' not in html and 'name="tier_reason"' not in html
    assert f'href="{reverse("crm:client_tier", args=[world.own.pk])}"' in html
    assert "等级在等级页调整，需填写原因" in html


def test_edit_form_post_with_a_tier_changes_the_rest_but_not_the_tier(world):
    before = tier_state(world.own)
    response = web(world.lead).post(reverse("clients:edit", args=[world.own.pk]), {
        "name": "王芳", "sex": "female", "birth_date": "1970-05-17", "branch": str(world.bj_site.pk),
        "notes": "改了备注", "tier": "A", "tier_reason": "想升级"})
    assert response.status_code == 302
    world.own.refresh_from_db()
    assert world.own.notes == "改了备注"
    assert tier_state(world.own) == (before[0], before[1], before[2], before[3] + 1)  # only the client.update row
    assert AuditEvent.objects.filter(action="client.update").get().detail == {"fields": ["notes"]}


def test_service_refuses_a_tier_and_saves_nothing(world):
    before = tier_state(world.own)
    with pytest.raises(ValidationError) as exc:
        client_update(acting_user=world.lead, client=world.own, data={"tier": "A", "notes": "x"})
    assert list(exc.value.message_dict) == ["tier"]
    assert tier_state(world.own) == before
    assert world.own.notes == ""


def test_api_patch_with_a_tier_is_a_400_naming_the_field_and_nothing_changes(world, api):
    before = tier_state(world.own)
    response = api(world.lead).patch(f"/api/v1/clients/{world.own.pk}/", {"tier": "A", "notes": "x"}, format="json")
    assert response.status_code == 400
    assert list(response.json()) == ["tier"]
    assert "/" not in response.json()["tier"][0] and "等级" in response.json()["tier"][0]
    assert tier_state(world.own) == before
    assert world.own.notes == ""


def test_api_patch_without_a_tier_still_works(world, api):
    response = api(world.lead).patch(f"/api/v1/clients/{world.own.pk}/", {"notes": "备注"}, format="json")
    assert response.status_code == 200 and response.json()["tier"] == "C"


def test_the_tier_door_records_override_history_and_audit(world, api):
    response = api(world.lead).post(f"/api/v1/clients/{world.own.pk}/tier/", {"tier": "B"}, format="json")
    assert response.status_code == 400 and list(response.json()) == ["reason"]
    assert tier_state(world.own) == ("C", 0, 0, 0)
    response = api(world.lead).post(f"/api/v1/clients/{world.own.pk}/tier/", {"tier": "B", "reason": "年度消费高"},
                                    format="json")
    assert response.status_code == 200 and response.json()["source"] == "override"
    assert tier_state(world.own) == ("B", 1, 1, 2)  # tier.override + client.tier
    change = StatusChange.objects.get(client=world.own, kind="tier")
    assert (change.old, change.new, change.reason, change.changed_by) == ("C", "B", "手动调级:年度消费高", world.lead)


def test_a_role_without_the_tier_right_gets_no_link_and_cannot_use_the_door(world, api):
    html = web(world.nurse).get(reverse("clients:edit", args=[world.own.pk])).content.decode()
    assert 'name="tier"' not in html
    response = api(world.nurse).post(f"/api/v1/clients/{world.own.pk}/tier/", {"tier": "A", "reason": "想升级"},
                                     format="json")
    assert response.status_code == 403
    assert tier_state(world.own) == ("C", 0, 0, 0)
