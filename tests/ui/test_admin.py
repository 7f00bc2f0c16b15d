"""Django admin: administrators only; masked client data; audited writes; unlocking accounts."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db.models import Max
from django.utils import timezone

from careloop.audit.models import AuditEvent
from careloop.org.models import OrgUnit, RoleGrant

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_user(world):
    world.admin.is_staff = True
    world.admin.save(update_fields=["is_staff"])
    return world.admin


def test_staff_flag_is_needed_to_reach_admin(world, web):
    response = web(world.admin).get("/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_staff_without_the_administrator_role_sees_nothing(world, web):
    world.lead.is_staff = True
    world.lead.save(update_fields=["is_staff"])
    browser = web(world.lead)
    assert browser.get("/admin/").status_code == 200
    assert "/admin/clients/client/" not in browser.get("/admin/").content.decode()
    assert browser.get("/admin/clients/client/").status_code == 403
    assert browser.get("/admin/org/user/").status_code == 403


def test_client_list_in_admin_is_masked_and_read_only(world, web, admin_user):
    browser = web(admin_user)
    response = browser.get("/admin/clients/client/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "138****1234" in html and "13812341234" not in html
    assert world.own.id_number not in html
    assert "careloop 系统管理" in html
    assert browser.get("/admin/clients/client/add/").status_code == 403


def test_client_view_in_admin_is_audited_and_masked(world, web, admin_user):
    before = AuditEvent.objects.aggregate(last=Max("append_id"))["last"] or 0
    response = web(admin_user).get(f"/admin/clients/client/{world.own.pk}/change/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "13812341234" not in html and world.own.id_number not in html
    rows = list(AuditEvent.objects.filter(append_id__gt=before))
    assert [(r.action, r.client_id, r.detail) for r in rows] == [("client.view", world.own.pk, {"page": "admin"})]


def test_unlock_action(world, web, admin_user):
    world.nurse.locked_until = timezone.now() + dt.timedelta(minutes=30)
    world.nurse.save(update_fields=["locked_until"])
    response = web(admin_user).post("/admin/org/user/", {"action": "unlock_accounts",
                                                          "_selected_action": [world.nurse.pk]})
    assert response.status_code == 302
    world.nurse.refresh_from_db()
    assert world.nurse.locked_until is None
    assert AuditEvent.objects.filter(action="auth.unlock", object_id=str(world.nurse.pk)).count() == 1


def test_roles_changed_in_admin_go_through_the_service(world, web, admin_user):
    data = {"username": "nurse", "display_name": "护士小王", "email": "", "org_unit": world.bj.pk,
            "roles": ["followup", "lead"], "daily_capacity": 90, "is_active": "on"}
    response = web(admin_user).post(f"/admin/org/user/{world.nurse.pk}/change/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert set(RoleGrant.objects.filter(user=world.nurse).values_list("role", flat=True)) == {"followup", "lead"}
    assert AuditEvent.objects.get(action="org.staff.roles").detail == {"roles": ["followup", "lead"]}
    assert AuditEvent.objects.filter(action="admin.user.update").count() == 1


def test_new_unit_gets_its_path(world, web, admin_user):
    response = web(admin_user).post("/admin/org/orgunit/add/", {"name": "上海徐汇门店", "code": "sh-xh",
                                                                "kind": "site", "parent": world.sh.pk,
                                                                "is_active": "on"})
    assert response.status_code == 302
    unit = OrgUnit.objects.get(code="sh-xh")
    assert unit.path == f"{world.sh.path}{unit.pk}/"
    assert AuditEvent.objects.filter(action="org.unit.create", object_id=str(unit.pk)).count() == 1


def test_audit_rows_are_not_in_admin(web, admin_user):
    assert web(admin_user).get("/admin/audit/auditevent/").status_code == 404


@pytest.mark.parametrize("path", [
    "/admin/", "/admin/org/orgunit/", "/admin/org/orgunit/add/", "/admin/org/user/", "/admin/org/user/add/",
    "/admin/org/team/", "/admin/org/team/add/", "/admin/clients/enterprise/", "/admin/clients/consent/",
    "/admin/accounts/loginattempt/",
])
def test_admin_pages_open_for_the_administrator(web, admin_user, path):
    assert web(admin_user).get(path).status_code == 200


def test_user_change_page_shows_roles_and_no_secrets(world, web, admin_user):
    html = web(admin_user).get(f"/admin/org/user/{world.nurse.pk}/change/").content.decode()
    assert 'name="roles" value="followup"' in html and "checked" in html
    assert "totp_secret" not in html
