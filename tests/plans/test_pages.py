"""The plans screens in Chinese: catalogue, plan versions with preview, a client's plans, refusals on screen."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.test import Client as WebClient
from django.urls import reverse

from careloop.plans.models import EntitlementUse, Plan
from tests.plans.builders import enrol, family_doctor, hospital_with_department

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2026, 6, 1, 9, tzinfo=dt.UTC)
ENGLISH = re.compile(r">[^<>]*\b(plan|service|quota|used|remaining|year|month|unlimited|Level|None)\b[^<>]*<")


def web(user) -> WebClient:
    client = WebClient(HTTP_ACCEPT_LANGUAGE="zh-hans")
    client.force_login(user)
    return client


def body_text(html: str) -> str:
    return html.split("<main", 1)[-1]


@time_machine.travel(NOW, tick=False)
def test_catalogue_in_chinese_for_staff_and_refused_for_the_auditor(world):
    page = web(world.nurse).get(reverse("plans:catalogue"))
    html = page.content.decode()
    assert page.status_code == 200
    for text in ("健康维护计划（个人）", "健康维护计划（团体）", "慢性病诊疗监控和改善计划", "全程健康管理计划",
                 "每服务月 4 次", "不限次数", "Ⅲ档"):
        assert text in html
    assert not ENGLISH.search(body_text(html))
    assert "修改此计划" not in html  # only administrators change plans
    assert web(world.auditor).get(reverse("plans:catalogue")).status_code == 403


def test_plan_edit_preview_then_save_a_new_version(world):
    browser = web(world.admin)
    url = reverse("plans:plan_edit", args=["chronic"])
    form = {"name": "慢性病诊疗监控和改善计划", "audience": "individual", "price": "2980", "archive_level": "2",
            "newsletter_copy_price": "0", "active": "on", "note": "短信变更增至6次",
            "svc-checkup-on": "on", "svc-checkup-quota": "1", "svc-checkup-period": "year",
            "svc-subscription_change-on": "on", "svc-subscription_change-quota": "6",
            "svc-subscription_change-period": "year"}
    preview = browser.post(url, {**form, "action": "preview"})
    html = preview.content.decode()
    assert preview.status_code == 200 and "客户可获得的服务" in html and "短信提醒定制/取消：每服务年度 6 次" in html
    assert Plan.objects.get(code="chronic").versions.count() == 1
    saved = browser.post(url, {**form, "action": "save"})
    assert saved.status_code == 302
    assert Plan.objects.get(code="chronic").versions.count() == 2
    bad = browser.post(url, {**form, "svc-checkup-quota": "", "action": "save"})
    assert "健康体检管理：有周期限制的服务须填写至少 1 次的额度" in bad.content.decode()
    assert web(world.service).get(url).status_code == 403


@time_machine.travel(NOW, tick=False)
def test_client_plans_page_shows_remaining_and_a_refusal_in_chinese(world, django_assert_num_queries):
    enrol(world, world.own)
    browser = web(world.nurse)
    url = reverse("plans:client", args=[world.own.pk])
    browser.get(url)  # warm caches (content types, session)
    with django_assert_num_queries(18):
        page = browser.get(url)
    html = page.content.decode()
    assert page.status_code == 200 and "健康体检管理" in html and "服务年度 2026-03-01 至 2027-02-28" in html
    assert not ENGLISH.search(body_text(html))
    use = reverse("plans:use", args=[world.own.pk])
    assert browser.post(use, {"service": "checkup", "date": "2026-05-01"}).status_code == 302
    refused = browser.post(use, {"service": "checkup", "date": "2026-05-02"})
    assert refused.status_code == 409
    assert "“健康体检管理”：每服务年度 1 次的额度已用完（服务年度 2026-03-01 至 2027-02-28）。" in refused.content.decode()
    assert EntitlementUse.objects.count() == 1


@time_machine.travel(NOW, tick=False)
def test_enrol_renew_cancel_on_screen(world):
    browser = web(world.service)
    response = browser.post(reverse("plans:enrol", args=[world.own.pk]), {"plan": "maintenance",
                                                                           "start_date": "2026-06-01"})
    assert response.status_code == 302
    enrolment = world.own.plan_enrolments.get()
    action = reverse("plans:enrolment_action", args=[world.own.pk, enrolment.pk, "cancel"])
    browser.post(action, {"reason": "客户要求", "refund": "0"})
    enrolment.refresh_from_db()
    assert enrolment.status == "cancelled"
    assert web(world.nurse).post(reverse("plans:enrol", args=[world.own.pk]),
                                 {"plan": "maintenance", "start_date": "2026-07-01"}).status_code == 403


@time_machine.travel(NOW, tick=False)
def test_consultation_and_green_channel_pages_for_the_family_doctor(world):
    department = hospital_with_department()
    family_doctor(world)
    enrol(world, world.own, "comprehensive")
    doctor = web(world.doctor)
    page = doctor.get(reverse("plans:consultations", args=[world.own.pk])).content.decode()
    assert "咨询情况记录" in page and "主诉" in page
    saved = doctor.post(reverse("plans:consultations", args=[world.own.pk]), {
        "at": "2026-06-01T10:00", "channel": "phone", "complaint": "胸闷", "advice": "心内科就诊"})
    assert saved.status_code == 302
    booked = doctor.post(reverse("plans:green_channel", args=[world.own.pk]), {
        "kind": "appointment", "department": department.pk, "wanted_at": "2026-06-05T09:00", "note": ""})
    assert booked.status_code == 302
    page = doctor.get(reverse("plans:green_channel", args=[world.own.pk])).content.decode()
    assert "北京协和医院 心内科" in page and "已申请" in page
    # a nurse sees the records but cannot write them; the customer-service role may not see health records
    assert "咨询情况记录" not in web(world.nurse).get(reverse("plans:consultations", args=[world.own.pk])).content.decode()
    assert web(world.service).get(reverse("plans:consultations", args=[world.own.pk])).status_code == 403
    timeline = web(world.nurse).get(reverse("clients:detail", args=[world.own.pk])).content.decode()
    assert "家庭医生咨询" in timeline and "绿色通道" in timeline
