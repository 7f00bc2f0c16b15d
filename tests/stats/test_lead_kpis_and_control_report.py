"""Issue 16 follow-ups: a team lead's KPIs are his teams' (a manager's stay the branch's); the report's XLSX and
PDF carry the blood-pressure and glucose control rates shown on screen."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from careloop.chronic.services import monitoring_log_create, monitoring_plan_create
from careloop.crm.models import LedgerEntry
from careloop.followups.models import Encounter
from careloop.org.models import Role
from careloop.servicedesk.models import Survey
from careloop.stats.permissions import stats_scope
from careloop.stats.reports import report_build, report_pdf, report_xlsx
from tests.factories import make_client, make_user

SH = dt.timezone(dt.timedelta(hours=8))


def kpis(api, user) -> dict[str, float | None]:
    response = api(user).get("/api/v1/stats/kpis/?year=2026")
    assert response.status_code == 200
    return {row["code"]: row["value"] for row in response.json()["results"]}


def survey(client, recommend: int, n: int) -> None:
    at = dt.datetime(2026, 6, 1, 10, tzinfo=SH)
    Survey.objects.create(token_hash=f"t{n}", client=client, branch=client.branch, about="visit", object_id=n,
                          created_at=at, expires_at=at + dt.timedelta(days=7), answered_at=at, recommend=recommend)


@pytest.fixture
def branch_facts(world, today):
    """world.own is the lead's team's client (health manager: nurse, team A); world.other_team is team B's."""
    for client, amount, source in ((world.own, "3000", "plans.enrolment:1"), (world.own, "1000", ""),
                                   (world.other_team, "1000", "")):
        LedgerEntry.objects.create(client=client, date=dt.date(2026, 6, 1), kind="purchase", amount=Decimal(amount),
                                   source=source)
    # retention: served in 2025 and again in 2026 (world.own), or not again (a second team-B client)
    lapsed = make_client(branch=world.bj, name="赵六", health_manager=world.nurse_b)
    for client, dates in ((world.own, ["2025-03-01", "2026-04-01"]), (lapsed, ["2025-05-01"])):
        for d in dates:
            Encounter.objects.create(client=client, kind="outpatient", date=dt.date.fromisoformat(d))
    survey(world.own, 10, 1)
    survey(world.other_team, 0, 2)
    return world


def test_branch_manager_sees_the_branch_kpis(api, world, branch_facts) -> None:
    bj_manager = make_user("bj_manager", roles=[Role.MANAGER], unit=world.bj)
    values = kpis(api, bj_manager)
    assert (values["value_added_revenue_share"], values["retention"], values["nps"]) == (60.0, 50.0, 0.0)


def test_lead_sees_his_teams_kpis_only(api, world, branch_facts) -> None:
    values = kpis(api, world.lead)
    # only world.own: 3000 of 4000 from plans, retained, one promoter
    assert (values["value_added_revenue_share"], values["retention"], values["nps"]) == (75.0, 100.0, 100.0)


def test_lead_of_another_team_sees_that_team(api, world, branch_facts) -> None:
    world.team_b.lead = make_user("lead_b", roles=[Role.LEAD], unit=world.bj)
    world.team_b.save(update_fields=["lead"])
    values = kpis(api, world.team_b.lead)
    assert (values["value_added_revenue_share"], values["retention"], values["nps"]) == (0.0, 0.0, -100.0)


def test_lead_dashboard_says_the_kpis_are_his_teams(client, world, branch_facts) -> None:
    client.force_login(world.lead)
    html = client.get("/stats/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "以下为您所在小组客户的关键指标" in html
    client.force_login(world.manager)
    assert "以下为您所在小组客户的关键指标" not in client.get("/stats/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()


@pytest.fixture
def control(world, today):
    monitoring_plan_create(client=world.own, condition="hypertension", acting_user=world.lead)
    monitoring_plan_create(client=world.other_team, condition="hypertension", acting_user=world.lead)
    for day, (sbp, dbp) in enumerate([(128, 82), (132, 84), (150, 96), (126, 80)], start=1):  # 3 of 4 in target
        monitoring_log_create(client=world.own, at=dt.datetime(2026, 11, day, 8, tzinfo=SH), acting_user=world.lead,
                              readings={"sbp": sbp, "dbp": dbp})
    for day in (1, 2):  # both out of target
        monitoring_log_create(client=world.other_team, at=dt.datetime(2026, 11, day, 8, tzinfo=SH),
                              acting_user=world.lead, readings={"sbp": 158, "dbp": 99})
    return report_build(stats_scope(world.manager), "monthly", dt.date(2026, 11, 10), scope_name="总公司")


def test_xlsx_report_has_a_control_rate_sheet_with_numbers(control) -> None:
    wb = load_workbook(io.BytesIO(report_xlsx(control)))
    sheet = wb["慢病管理控制情况"]
    assert [c.value for c in sheet[2]] == ["指标", "达标读数（%）", "达标读数", "已判定读数", "控制达标客户", "有读数的客户"]
    rows = {r[0]: r[1:] for r in sheet.iter_rows(min_row=3, values_only=True)}
    assert rows == {"收缩压": (50.0, 3, 6, 1, 2), "舒张压": (50.0, 3, 6, 1, 2)}
    assert sheet.cell(3, 2).number_format == "0.0" and sheet.cell(3, 3).number_format == "#,##0"


def test_pdf_report_has_the_control_rate_table(control) -> None:
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(report_pdf(control))
    text = "".join(page.get_textpage().get_text_range() for page in document)
    assert "慢病管理控制情况" in text and "收缩压" in text and "舒张压" in text


def test_a_report_kept_before_the_control_section_still_renders(control) -> None:
    old = {**control, "health": {k: v for k, v in control["health"].items() if k != "control"}}
    wb = load_workbook(io.BytesIO(report_xlsx(old)))
    assert wb["慢病管理控制情况"].max_row == 2  # title and headings, no rows
    assert report_pdf(old).startswith(b"%PDF")
