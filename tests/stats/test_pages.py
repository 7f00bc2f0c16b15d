"""Pages: who lands where, what each role sees, Chinese on screen, pinned queries, kept reports and their e-mail."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core import mail

from careloop.audit.models import AuditEvent
from careloop.org.models import Role
from careloop.stats.models import KpiTarget, ReportMail, StatsReport
from careloop.stats.services import report_mails_send, stats_report_generate, stats_reports_generate_due
from tests.factories import make_user

Q = "from=2026-09-21&to=2026-12-10"


def _get(client, user, url):
    client.force_login(user)
    return client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans")


def test_manager_lands_on_the_dashboard_lead_on_his_worklist(client, world) -> None:
    assert _get(client, world.manager, "/").url == "/stats/"
    assert _get(client, world.lead, "/").url == "/followups/"
    assert _get(client, world.auditor, "/").url == "/audit/"  # his own work first; statistics in the nav


@pytest.mark.parametrize("persona", ["manager", "lead", "auditor"])
def test_dashboard_in_chinese_for_each_role(client, world, data, persona) -> None:
    r = _get(client, getattr(world, persona), f"/stats/?{Q}")
    assert r.status_code == 200
    text = r.content.decode()
    assert "年度客户留存率" in text and "随访统计" in text and "<svg" in text
    assert "暂无数据" in text  # KPIs without data in the period say so (no made-up zero)
    body = re.sub(r"<(script|style)[^>]*>.*?</\1>", "", text, flags=re.S)
    visible = re.sub(r"<[^>]+>", " ", body)
    for word in ("Planned", "Overdue", "Statistics", "Follow-up", "Target"):
        assert word not in visible, word


def test_dashboard_refuses_roles_without_statistics(client, world) -> None:
    assert _get(client, world.nurse, "/stats/").status_code == 403


def test_dashboard_query_count_is_pinned(client, world, data, django_assert_max_num_queries) -> None:
    client.force_login(world.manager)
    client.get(f"/stats/?{Q}")
    with django_assert_max_num_queries(30):
        client.get(f"/stats/?{Q}")


def test_group_switch_fragment_for_htmx(client, world, data) -> None:
    client.force_login(world.manager)
    r = client.get(f"/stats/?{Q}&by=rule", HTTP_HX_REQUEST="true", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert r.status_code == 200 and r.content.decode().startswith('<div id="fu-table">')


def test_drilldown_page_names_clients_only_for_client_roles(client, world, data) -> None:
    lead = _get(client, world.lead, f"/stats/followups/tasks/?{Q}&metric=done").content.decode()
    assert "王芳" in lead
    auditor = _get(client, world.auditor, f"/stats/followups/tasks/?{Q}&metric=done").content.decode()
    assert "王芳" not in auditor and "您的角色不显示客户姓名" in auditor


def test_clients_and_health_page(client, world, data) -> None:
    r = _get(client, world.manager, "/stats/clients/")
    assert r.status_code == 200
    text = r.content.decode()
    assert "新客户" in text and "投诉率" in text and "慢病管理控制情况" in text


def test_targets_are_data_edited_by_the_manager_and_audited(client, world) -> None:
    target = KpiTarget.objects.get(code="nps")
    client.force_login(world.manager)
    r = client.post("/stats/targets/", {"id": target.pk, "target": "65"}, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert r.status_code == 302
    target.refresh_from_db()
    assert target.target == 65
    assert AuditEvent.objects.filter(action="stats.kpi_target_update").count() == 1
    r = client.post("/stats/targets/", {"id": target.pk, "target": "abc"}, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert r.status_code == 400 and "目标值：必须是数字" in r.content.decode()
    client.force_login(world.lead)
    r = client.post("/stats/targets/", {"id": target.pk, "target": "10"})
    assert r.status_code == 403
    target.refresh_from_db()
    assert target.target == 65


def test_scheduled_reports_are_kept_and_mailed_to_the_manager(client, world, data) -> None:
    world.manager.email = "gm@example.com"
    world.manager.save(update_fields=["email"])
    made = stats_reports_generate_due(today=dt.date(2026, 11, 1))
    assert {(r.period, r.date_from) for r in made} == {("daily", dt.date(2026, 10, 31)),
                                                       ("monthly", dt.date(2026, 10, 1))}
    assert ReportMail.objects.filter(recipient=world.manager, status="queued").count() == 2
    assert report_mails_send() == 2
    assert len(mail.outbox) == 2
    assert {a[0].rsplit(".", 1)[1] for m in mail.outbox for a in m.attachments} == {"xlsx", "pdf"}
    assert report_mails_send() == 0  # sent once only
    # regenerating replaces the kept report, not duplicates it
    stats_report_generate(period="daily", day=dt.date(2026, 10, 31), unit=world.hq, mail=False)
    assert StatsReport.objects.filter(period="daily").count() == 1
    kept = StatsReport.objects.get(period="monthly")
    r = _get(client, world.manager, "/stats/reports/")
    assert "历史报表" in r.content.decode() and f"/stats/reports/kept/{kept.pk}/" in r.content.decode()
    assert _get(client, world.manager, f"/stats/reports/kept/{kept.pk}/?format=pdf").status_code == 200
    bj_manager = make_user("bj_manager", roles=[Role.MANAGER], unit=world.bj)
    assert _get(client, bj_manager, f"/stats/reports/kept/{kept.pk}/").status_code == 404


def test_report_page_shows_charts_and_tables(client, world, data) -> None:
    r = _get(client, world.manager, "/stats/reports/monthly/?date=2026-11-10")
    assert r.status_code == 200
    text = r.content.decode()
    assert text.count("<svg") == 3 and "按机构" in text and "随访闭环" in text
