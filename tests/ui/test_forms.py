"""Create and edit forms: errors named in Chinese (English on request), duplicates, assignments, status."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from careloop.audit.models import AuditEvent
from careloop.clients.models import Assignment, Client, Consent, StatusChange
from careloop.lib.identity import make_id_number

pytestmark = pytest.mark.django_db


def new_client_data(world, **overrides):
    data = {"name": "赵敏", "sex": "female", "birth_date": "1985-03-08", "id_number": make_id_number(
        "110105", dt.date(1985, 3, 8), 77, "female"), "phone": "13900001111", "tier": "B",
        "branch": str(world.bj_site.pk), "preferred_channels": ["phone", "sms"]}
    data.update(overrides)
    return data


def test_create_form_is_chinese_and_lists_only_branches_in_subtree(world, web):
    html = web(world.service).get(reverse("clients:create")).content.decode()
    assert "新建客户" in html
    assert "北京朝阳体检中心" in html
    assert "上海分公司" not in html
    assert f'<option value="{world.bj.pk}" selected>' in html  # the user's own unit first
    assert '<label for="id_name">姓名 *</label>' in html


def test_service_creates_a_client(world, web):
    response = web(world.service).post(reverse("clients:create"), new_client_data(world))
    client = Client.objects.get(name="赵敏")
    assert response.status_code == 302
    assert response["Location"] == reverse("clients:detail", args=[client.pk])
    assert (client.phone, client.tier, client.branch, client.preferred_channels) == (
        "13900001111", "B", world.bj_site, ["phone", "sms"])
    assert AuditEvent.objects.filter(action="client.create", client_id=client.pk).count() == 1


def test_bad_id_number_is_named_in_chinese_and_nothing_is_created(world, web):
    bad = new_client_data(world, id_number="110105198503080771")
    response = web(world.service).post(reverse("clients:create"), bad)
    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="id_id_number_errors"' in html
    assert "身份证号" in html
    assert "校验位" in html or "校验码" in html
    assert not Client.objects.filter(name="赵敏").exists()


def test_bad_id_number_in_english_when_asked(world, web):
    bad = new_client_data(world, id_number="110105198503080771")
    html = web(world.service, lang="en").post(reverse("clients:create"), bad).content.decode()
    assert "Resident ID number: check character is wrong" in html


def test_bad_phone_and_missing_name_each_named(world, web):
    response = web(world.service).post(reverse("clients:create"), new_client_data(world, phone="1234", name=""))
    html = response.content.decode()
    assert response.status_code == 400
    assert 'id="id_phone_errors"' in html and 'id="id_name_errors"' in html
    assert "手机" in html and "姓名" in html


def test_nurse_may_not_open_the_create_form(world, web):
    assert web(world.nurse).get(reverse("clients:create")).status_code == 403
    assert web(world.nurse).post(reverse("clients:create"), new_client_data(world)).status_code == 403
    assert not Client.objects.filter(name="赵敏").exists()


def test_same_id_number_is_a_hard_duplicate_with_a_link(world, web):
    data = new_client_data(world, id_number=world.other_team.id_number, sex="male",
                           birth_date=world.other_team.birth_date.isoformat())
    response = web(world.service).post(reverse("clients:create"), data)
    assert response.status_code == 409
    html = response.content.decode()
    assert 'id="duplicates"' in html
    assert f'href="{reverse("clients:detail", args=[world.other_team.pk])}"' in html
    assert 'name="confirm_not_duplicate"' not in html
    assert Client.objects.filter(id_number_hash=world.other_team.id_number_hash).count() == 1


def test_same_person_is_a_soft_duplicate_that_can_be_confirmed(world, web):
    data = new_client_data(world, name=world.own.name, birth_date=world.own.birth_date.isoformat(),
                           phone=world.own.phone, id_number="")
    browser = web(world.service)
    response = browser.post(reverse("clients:create"), data)
    assert response.status_code == 409
    html = response.content.decode()
    assert f'href="{reverse("clients:detail", args=[world.own.pk])}"' in html
    assert 'name="confirm_not_duplicate"' in html
    assert Client.objects.filter(name=world.own.name).count() == 1
    response = browser.post(reverse("clients:create"), {**data, "confirm_not_duplicate": "on"})
    assert response.status_code == 302
    assert Client.objects.filter(name=world.own.name).count() == 2


def test_duplicates_outside_scope_are_counted_not_shown(world, web):
    data = new_client_data(world, id_number=world.other_branch.id_number, sex="male",
                           birth_date=world.other_branch.birth_date.isoformat())
    html = web(world.service).post(reverse("clients:create"), data).content.decode()
    assert world.other_branch.name not in html
    assert "1 条匹配的记录不在您的机构范围内" in html


def test_edit_form_never_contains_full_contact_values(world, web):
    response = web(world.lead).get(reverse("clients:edit", args=[world.own.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "13812341234" not in html and world.own.id_number not in html
    assert 'value="王芳"' in html


def test_edit_changes_only_what_was_typed(world, web):
    form = {"name": "王芳", "sex": "female", "birth_date": "1970-05-17", "tier": "A", "tier_reason": "年度消费高",
            "branch": str(world.bj_site.pk), "phone": "13700007777", "email": ""}
    response = web(world.lead).post(reverse("clients:edit", args=[world.own.pk]), form)
    assert response.status_code == 302
    world.own.refresh_from_db()
    # The tier is not a field of the edit form (it changes on the tier page): a posted tier is ignored.
    assert (world.own.tier, world.own.phone, world.own.id_number[:6]) == ("C", "13700007777", "110105")
    assert not StatusChange.objects.filter(client=world.own, kind="tier").exists()
    assert AuditEvent.objects.get(action="client.update").detail == {"fields": ["phone"]}


def test_nurse_edits_contact_only(world, web):
    browser = web(world.nurse)
    html = browser.get(reverse("clients:edit", args=[world.own.pk])).content.decode()
    assert 'name="phone"' in html and 'name="name"' not in html
    response = browser.post(reverse("clients:edit", args=[world.own.pk]), {"phone2": "13600006666"})
    assert response.status_code == 302
    world.own.refresh_from_db()
    assert world.own.phone2 == "13600006666"


def test_edit_refused_for_expert_and_out_of_scope(world, web):
    assert web(world.expert).get(reverse("clients:edit", args=[world.own.pk])).status_code == 403
    assert web(world.lead).get(reverse("clients:edit", args=[world.other_branch.pk])).status_code == 404


def test_status_change_needs_a_reason(world, web):
    browser = web(world.lead)
    url = reverse("clients:status", args=[world.own.pk])
    response = browser.post(url, {"status": "lost", "reason": ""})
    assert response.status_code == 400
    assert "原因" in response.content.decode()
    world.own.refresh_from_db()
    assert world.own.status == "active"
    response = browser.post(url, {"status": "lost", "reason": "电话停机，多次联系不上"})
    assert response.status_code == 302
    world.own.refresh_from_db()
    assert world.own.status == "lost"
    change = StatusChange.objects.get(client=world.own)
    assert (change.old, change.new, change.changed_by, change.reason) == ("active", "lost", world.lead, "电话停机，多次联系不上")


def test_status_change_refused_for_nurse(world, web):
    response = web(world.nurse).post(reverse("clients:status", args=[world.own.pk]), {"status": "lost", "reason": "x"})
    assert response.status_code == 403
    world.own.refresh_from_db()
    assert world.own.status == "active"
    assert not StatusChange.objects.exists()


def test_assign_health_manager_keeps_history(world, web):
    url = reverse("clients:assign", args=[world.own.pk])
    response = web(world.lead).post(url, {"kind": "health_manager", "staff": world.nurse_b.pk, "reason": "调组"})
    # The client has left the lead's team: back to the list rather than to a page the lead may no longer open.
    assert (response.status_code, response["Location"]) == (302, reverse("clients:list"))
    browser = web(world.admin)
    response = browser.post(url, {"kind": "health_manager", "staff": world.nurse.pk, "reason": "回组"})
    assert (response.status_code, response["Location"]) == (302, reverse("clients:detail", args=[world.own.pk]))
    world.own.refresh_from_db()
    assert world.own.health_manager == world.nurse
    history = list(Assignment.objects.filter(client=world.own).order_by("started_at", "id"))
    assert [(a.staff, a.reason, a.ended_at is None) for a in history] == [
        (world.nurse_b, "调组", False), (world.nurse, "回组", True)]
    html = browser.get(reverse("clients:detail", args=[world.own.pk])).content.decode()
    assert "调组" in html and "回组" in html


def test_assign_doctor_role_checked(world, web):
    response = web(world.lead).post(reverse("clients:assign", args=[world.own.pk]),
                                    {"kind": "family_doctor", "staff": world.nurse_b.pk})
    assert response.status_code == 400
    assert "nurse_b" in response.content.decode()
    world.own.refresh_from_db()
    assert world.own.family_doctor == world.doctor


def test_assign_staff_choices_stay_in_subtree(world, web):
    html = web(world.lead).get(reverse("clients:detail", args=[world.own.pk])).content.decode()
    assert f'value="{world.nurse_b.pk}"' in html
    assert f'value="{world.nurse2.pk}"' not in html


def test_consent_grant_and_withdraw(world, web):
    browser = web(world.nurse)
    url = reverse("clients:consent", args=[world.own.pk])
    base = {"purpose": "reminders", "method": "verbal", "version": "2026-1", "note": ""}
    assert browser.post(url, {**base, "granted": "1"}).status_code == 302
    assert browser.post(url, {**base, "granted": "0", "note": "电话中要求不再提醒"}).status_code == 302
    assert [(c.granted, c.recorded_by) for c in Consent.objects.filter(client=world.own).order_by("id")] == [
        (True, world.nurse), (False, world.nurse)]
    assert list(AuditEvent.objects.filter(action__startswith="consent.").order_by("append_id")
                .values_list("action", flat=True)) == ["consent.grant", "consent.withdraw"]
    html = browser.get(reverse("clients:detail", args=[world.own.pk])).content.decode()
    assert "已撤回" in html


def test_consent_refused_for_expert(world, web):
    response = web(world.expert).post(reverse("clients:consent", args=[world.own.pk]),
                                      {"purpose": "reminders", "granted": "1", "method": "verbal", "version": "2026-1"})
    assert response.status_code == 403
    assert not Consent.objects.exists()
