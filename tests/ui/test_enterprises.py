"""Enterprise pages: scoped list and detail, create, add a member."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from careloop.audit.models import AuditEvent
from careloop.clients.models import Enterprise, EnterpriseMember

pytestmark = pytest.mark.django_db


@pytest.fixture
def firms(world):
    bj_firm = Enterprise.objects.create(name="北京华夏科技有限公司", branch=world.bj, contact_name="刘经理",
                                        contact_phone="13911112222", address="北京市朝阳区建国路88号")
    sh_firm = Enterprise.objects.create(name="上海浦江物流有限公司", branch=world.sh)
    for client in (world.own, world.other_team):
        EnterpriseMember.objects.create(enterprise=bj_firm, client=client, joined_on=dt.date(2024, 1, 1))
    return bj_firm, sh_firm


def test_list_is_scoped(world, web, firms):
    html = web(world.service).get(reverse("clients:enterprise_list")).content.decode()
    assert "北京华夏科技有限公司" in html and "上海浦江物流有限公司" not in html


def test_detail_masks_contact_and_shows_only_members_in_scope(world, web, firms):
    bj_firm, sh_firm = firms
    response = web(world.nurse).get(reverse("clients:enterprise_detail", args=[bj_firm.pk]))
    html = response.content.decode()
    assert response.status_code == 200
    assert "139****2222" in html and "13911112222" not in html
    assert "建国路" not in html
    assert "王芳" in html and "李强" not in html
    assert "另有 1 名成员不在您的工作范围内。" in html
    assert web(world.nurse).get(reverse("clients:enterprise_detail", args=[sh_firm.pk])).status_code == 404


def test_auditor_and_manager_refused(world, web, firms):
    for persona in ("auditor", "manager"):
        assert web(getattr(world, persona)).get(reverse("clients:enterprise_list")).status_code == 403


def test_create_enterprise(world, web):
    browser = web(world.service)
    response = browser.post(reverse("clients:enterprise_create"), {"name": "", "branch": world.bj.pk,
                                                                    "contact_phone": "12345"})
    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="id_name_errors"' in html and 'id="id_contact_phone_errors"' in html
    assert "联系电话：" in html
    assert not Enterprise.objects.exists()
    response = browser.post(reverse("clients:enterprise_create"), {"name": "北京燕京啤酒", "branch": world.bj.pk,
                                                                    "contact_phone": "13911113333"})
    firm = Enterprise.objects.get()
    assert response["Location"] == reverse("clients:enterprise_detail", args=[firm.pk])
    assert (firm.branch, firm.contact_phone) == (world.bj, "13911113333")
    assert AuditEvent.objects.filter(action="enterprise.create").count() == 1


def test_create_refused_for_nurse(world, web):
    assert web(world.nurse).get(reverse("clients:enterprise_create")).status_code == 403


def test_add_member_in_scope_only(world, web, firms):
    bj_firm, _sh = firms
    url = reverse("clients:enterprise_add_member", args=[bj_firm.pk])
    browser = web(world.service)
    response = browser.post(url, {"client": world.other_branch.pk, "department": "财务部"})
    assert response.status_code == 400
    assert "档案号：您的机构范围内没有该客户" in response.content.decode()
    assert not EnterpriseMember.objects.filter(client=world.other_branch).exists()
    other = EnterpriseMember.objects.get(client=world.other_team)
    other.delete()
    response = browser.post(url, {"client": world.other_team.pk, "department": "财务部", "employee_no": "E-007"})
    assert response.status_code == 302
    member = EnterpriseMember.objects.get(client=world.other_team)
    assert (member.department, member.employee_no) == ("财务部", "E-007")


def test_add_member_refused_for_nurse(world, web, firms):
    bj_firm, _sh = firms
    response = web(world.nurse).post(reverse("clients:enterprise_add_member", args=[bj_firm.pk]),
                                     {"client": world.own.pk})
    assert response.status_code == 403
    assert EnterpriseMember.objects.filter(enterprise=bj_firm).count() == 2


def test_enterprise_list_query_count_is_fixed(world, web, django_assert_num_queries, firms):
    browser = web(world.service)
    browser.get(reverse("clients:enterprise_list"))

    def pinned() -> None:
        # session, user, roles, the user's unit, count, page rows with branch and member count,
        # session save (savepoint, update, release)
        with django_assert_num_queries(9):
            browser.get(reverse("clients:enterprise_list"))

    pinned()
    for n in range(12):
        Enterprise.objects.create(name=f"企业{n:02d}", branch=world.bj)
    pinned()
