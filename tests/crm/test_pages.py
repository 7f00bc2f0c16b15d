import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine

from careloop.crm.models import Appointment, TierPolicy
from careloop.crm.services import appointment_book
from tests.crm.builders import slot


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(dt.datetime(2026, 11, 23, 8, 0, tzinfo=ZoneInfo("Asia/Shanghai")), tick=False):
        yield


def _get(client, user, url):
    client.force_login(user)
    return client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans")


def test_desk_day_and_week(world, client, django_assert_num_queries):
    for hhmm in ("08:00", "08:30", "09:00"):
        s = slot(world.bj_site, dt.date(2026, 11, 23), hhmm)
    appointment_book(client=world.own, slot=s, acting_user=world.service)
    client.force_login(world.service)
    with django_assert_num_queries(12):
        page = client.get(f"/crm/desk/?site={world.bj_site.pk}&date=2026-11-23", HTTP_ACCEPT_LANGUAGE="zh-hans")
    html = page.content.decode()
    assert page.status_code == 200 and "预约台" in html and "王芳" in html and "签到" in html
    week = _get(client, world.service, f"/crm/desk/?site={world.bj_site.pk}&date=2026-11-23&view=week")
    assert "健康体检 0/4" in week.content.decode()
    assert _get(client, world.nurse, "/crm/desk/").status_code == 403


def test_book_from_client_page(world, client):
    s = slot(world.bj_site, dt.date(2026, 11, 24), "09:00")
    detail = _get(client, world.service, f"/clients/{world.own.pk}/")
    assert f"/crm/clients/{world.own.pk}/book/" in detail.content.decode()
    page = _get(client, world.service, f"/crm/clients/{world.own.pk}/book/")
    assert "可预约时段" in page.content.decode()
    response = client.post(f"/crm/clients/{world.own.pk}/book/", {"slot": s.pk})
    assert response.status_code == 302
    assert Appointment.objects.get().slot == s
    assert _get(client, world.nurse2, f"/crm/clients/{world.own.pk}/book/").status_code == 404


def test_tier_pages(world, client):
    page = _get(client, world.lead, f"/crm/clients/{world.own.pk}/tier/")
    assert "手动调整等级" in page.content.decode()
    client.post(f"/crm/clients/{world.own.pk}/tier/", {"tier": "B", "reason": "季度体检客户"})
    world.own.refresh_from_db()
    assert world.own.tier == "B"
    dash = _get(client, world.lead, "/crm/tiers/").content.decode()
    assert "本月等级变动:1次" in dash
    assert _get(client, world.lead, "/crm/tiers/criteria/").status_code == 403
    crit = _get(client, world.admin, "/crm/tiers/criteria/")
    assert "分层标准" in crit.content.decode()
    client.force_login(world.admin)
    preview = client.post("/crm/tiers/criteria/", {"action": "preview", "b_min_value": "abc"}, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert "请输入有效数字" in preview.content.decode()
    assert TierPolicy.objects.count() == 1
