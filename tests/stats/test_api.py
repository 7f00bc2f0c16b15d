"""The statistics API per CONTRACT: scoping by role, drill-down, KPIs, reports, exports."""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook

from careloop.audit.models import AuditEvent
from careloop.org.models import Role
from careloop.stats.models import KpiTarget
from tests.factories import make_client, make_user

FROM_TO = "from=2026-09-21&to=2026-12-10"


def test_manager_gets_rows_by_branch_with_every_contract_field(api, world, data) -> None:
    r = api(world.manager).get(f"/api/v1/stats/followups/?{FROM_TO}&by=branch")
    assert r.status_code == 200, r.content
    body = r.json()
    keys = {row["key"] for row in body["results"]}
    assert keys == {"北京分公司", "北京朝阳体检中心", "上海分公司"}
    for field in ("key", "planned", "done", "on_time", "overdue", "missed", "lost", "contact_rate", "attempts_per_task"):
        assert field in body["results"][0]
    assert sum(row["planned"] for row in body["results"]) == body["totals"]["planned"]


@pytest.mark.parametrize("by", ["branch", "team", "staff", "rule"])
def test_every_grouping(api, world, data, by) -> None:
    r = api(world.manager).get(f"/api/v1/stats/followups/?{FROM_TO}&by={by}")
    assert r.status_code == 200
    assert r.json()["count"] >= 1


def test_lead_sees_only_his_team(api, world, data) -> None:
    manager = api(world.manager).get(f"/api/v1/stats/followups/?{FROM_TO}&by=team").json()
    lead = api(world.lead).get(f"/api/v1/stats/followups/?{FROM_TO}&by=team").json()
    assert {row["key"] for row in lead["results"]} == {"北京随访一组"}
    team_a = next(row for row in manager["results"] if row["key"] == "北京随访一组")
    assert lead["results"][0]["planned"] == team_a["planned"]


def test_branch_manager_sees_his_branch(api, world, data) -> None:
    from careloop.org.models import Role
    from tests.factories import make_user

    bj_manager = make_user("bj_manager", roles=[Role.MANAGER], unit=world.bj)
    body = api(bj_manager).get(f"/api/v1/stats/followups/?{FROM_TO}&by=branch").json()
    assert {row["key"] for row in body["results"]} == {"北京分公司", "北京朝阳体检中心"}


@pytest.mark.parametrize("persona", ["nurse", "expert", "service", "clerk", "admin", "outsider"])
def test_roles_without_statistics_are_refused(api, world, data, persona) -> None:
    r = api(getattr(world, persona)).get(f"/api/v1/stats/followups/?{FROM_TO}")
    assert r.status_code == 403
    assert api(getattr(world, persona)).get("/api/v1/stats/kpis/").status_code == 403


@pytest.mark.parametrize("query,field", [("by=day", "by"), ("from=2026-13-01", "from"), ("from=2026-12-01&to=2026-11-01", "from"),
                                         ("format=doc", "format"), ("from=2020-01-01&to=2026-01-01", "to")])
def test_bad_parameters_are_400_naming_the_field(api, world, data, query, field) -> None:
    r = api(world.manager).get(f"/api/v1/stats/followups/?{query}")
    assert r.status_code == 400
    assert field in r.json()


def test_drilldown_lists_the_tasks_behind_a_figure(api, world, data) -> None:
    totals = api(world.lead).get(f"/api/v1/stats/followups/?{FROM_TO}").json()["totals"]
    before = AuditEvent.objects.count()
    r = api(world.lead).get(f"/api/v1/stats/followups/tasks/?{FROM_TO}&metric=overdue&page_size=200")
    assert r.status_code == 200
    assert r.json()["count"] == totals["overdue"]
    assert all(row["client_name"] for row in r.json()["results"])
    assert AuditEvent.objects.count() == before + 1


def test_auditor_reads_aggregates_but_no_client(api, world, data) -> None:
    assert api(world.auditor).get(f"/api/v1/stats/followups/?{FROM_TO}").status_code == 200
    rows = api(world.auditor).get(f"/api/v1/stats/followups/tasks/?{FROM_TO}&metric=done").json()["results"]
    assert rows and all(row["client"] is None and row["client_name"] is None for row in rows)
    assert api(world.auditor).get("/api/v1/clients/export/?format=csv").status_code == 403


def test_kpis_against_targets_with_no_data_say_so(api, world, data) -> None:
    r = api(world.manager).get("/api/v1/stats/kpis/?year=2026")
    assert r.status_code == 200
    rows = {row["code"]: row for row in r.json()["results"]}
    assert set(rows) == {"retention", "upgrade_coverage", "nps", "complaint_rate", "urgent_response_minutes",
                         "value_added_revenue_share"}
    assert rows["retention"]["target"] == 90 and rows["nps"]["target"] == 60
    assert rows["complaint_rate"]["comparison"] == "lte"
    # no survey answers, no revenue: no value and no verdict, never a made-up zero
    for code in ("nps", "value_added_revenue_share", "urgent_response_minutes"):
        assert rows[code]["value"] is None and rows[code]["met"] is None and rows[code]["available"] is True


def test_a_kpi_whose_source_app_is_missing_says_so(api, world, monkeypatch) -> None:
    from careloop.stats import kpis

    monkeypatch.setitem(kpis.COMPUTE, "nps", kpis._not_built("servicedesk"))
    rows = {row["code"]: row for row in api(world.manager).get("/api/v1/stats/kpis/?year=2026").json()["results"]}
    assert rows["nps"]["available"] is False and rows["nps"]["source_missing"] == "servicedesk"
    assert "客服中心" in rows["nps"]["source_missing_label"]


def test_value_added_revenue_share_from_the_ledger(api, world, today) -> None:
    import datetime as dt
    from decimal import Decimal

    from careloop.crm.models import LedgerEntry

    for client, amount, source in ((world.own, "3000", "plans.enrolment:1"), (world.own, "1000", ""),
                                   (world.other_team, "1000", ""), (world.other_branch, "9000", "plans.enrolment:2")):
        LedgerEntry.objects.create(client=client, date=dt.date(2026, 6, 1), kind="purchase", amount=Decimal(amount),
                                   source=source)
    bj_manager = make_user("bj_manager2", roles=[Role.MANAGER], unit=world.bj)
    rows = {row["code"]: row for row in api(bj_manager).get("/api/v1/stats/kpis/?year=2026").json()["results"]}
    assert rows["value_added_revenue_share"]["value"] == 60.0 and rows["value_added_revenue_share"]["met"] is True


def test_retention_from_encounters(api, world, today) -> None:
    import datetime as dt

    from careloop.followups.models import Encounter

    for client, dates in ((world.own, ["2025-03-01", "2026-04-01"]), (world.other_team, ["2025-05-01"])):
        for d in dates:
            Encounter.objects.create(client=client, kind="outpatient", date=dt.date.fromisoformat(d))
    rows = {row["code"]: row for row in api(world.manager).get("/api/v1/stats/kpis/?year=2026").json()["results"]}
    assert rows["retention"]["value"] == 50.0 and rows["retention"]["met"] is False
    KpiTarget.objects.filter(code="retention").update(target=40)
    from django.core.cache import cache

    cache.clear()
    rows = {row["code"]: row for row in api(world.manager).get("/api/v1/stats/kpis/?year=2026").json()["results"]}
    assert rows["retention"]["met"] is True


@pytest.mark.parametrize("period", ["daily", "monthly", "yearly"])
def test_reports_in_three_formats(api, world, data, period) -> None:
    client = api(world.manager)
    r = client.get(f"/api/v1/stats/reports/{period}/?date=2026-11-10")
    assert r.status_code == 200
    body = r.json()
    assert body["period"] == period and body["totals"]["planned"] >= 0 and body["by_branch"] is not None
    x = client.get(f"/api/v1/stats/reports/{period}/?date=2026-11-10&format=xlsx")
    assert x.status_code == 200
    wb = load_workbook(io.BytesIO(x.content))
    assert "随访合计" in wb.sheetnames and len(wb.sheetnames) >= 8
    totals = wb["随访合计"]
    assert totals.cell(3, 2).value == body["totals"]["planned"] and isinstance(totals.cell(3, 2).value, int)
    p = client.get(f"/api/v1/stats/reports/{period}/?date=2026-11-10&format=pdf")
    assert p.status_code == 200 and p.content.startswith(b"%PDF")


def test_report_bad_period_or_date(api, world, data) -> None:
    assert api(world.manager).get("/api/v1/stats/reports/weekly/").status_code == 400
    r = api(world.manager).get("/api/v1/stats/reports/daily/?date=yesterday")
    assert r.status_code == 400 and "date" in r.json()


def test_client_export_csv_is_masked_escaped_scoped_and_audited(api, world) -> None:
    make_client(branch=world.bj, name="=HYPERLINK(\"http://x\")", health_manager=world.nurse)
    make_client(branch=world.bj, name="@SUM(A1)", health_manager=world.nurse)
    before = AuditEvent.objects.filter(action="client.export").count()
    r = api(world.lead).get("/api/v1/clients/export/?format=csv")
    assert r.status_code == 200
    text = b"".join(r.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    names = {row[1] for row in rows[1:]}
    assert "'=HYPERLINK(\"http://x\")" in names and "'@SUM(A1)" in names
    assert "张伟" not in names  # another branch
    own = next(row for row in rows if row[1] == "王芳")
    assert own[4] == "138****1234"
    assert AuditEvent.objects.filter(action="client.export").count() == before + 1


def test_client_export_xlsx_with_filters(api, world) -> None:
    r = api(world.expert).get("/api/v1/clients/export/?format=xlsx&q=王")
    assert r.status_code == 200
    wb = load_workbook(io.BytesIO(b"".join(r.streaming_content)))
    ws = wb.active
    values = [[c.value for c in row] for row in ws.iter_rows()]
    assert [v[1] for v in values[1:]] == ["王芳"]


def test_client_export_refusals(api, world) -> None:
    assert api(world.manager).get("/api/v1/clients/export/?format=csv").status_code == 403
    r = api(world.expert).get("/api/v1/clients/export/?format=pdf")
    assert r.status_code == 400 and "format" in r.json()
    r = api(world.expert).get("/api/v1/clients/export/?format=csv&tier=Z")
    assert r.status_code == 400 and "tier" in r.json()


def test_statistics_table_export(api, world, data) -> None:
    r = api(world.manager).get(f"/api/v1/stats/followups/?{FROM_TO}&by=rule&format=csv")
    assert r.status_code == 200
    rows = list(csv.reader(io.StringIO(b"".join(r.streaming_content).decode("utf-8-sig"))))
    assert rows[0][0] == "分组" and len(rows) > 1


def test_dashboard_api_query_count_is_pinned(api, world, data, django_assert_max_num_queries) -> None:
    client = api(world.manager)
    client.get(f"/api/v1/stats/followups/?{FROM_TO}")
    with django_assert_max_num_queries(8):
        client.get(f"/api/v1/stats/followups/?{FROM_TO}&by=staff")


def test_schema_lists_the_contract_paths(api, world) -> None:
    r = api(world.manager).get("/api/v1/schema/?format=json")
    paths = r.json()["paths"]
    for p in ("/api/v1/stats/followups/", "/api/v1/stats/kpis/", "/api/v1/stats/reports/{period}/",
              "/api/v1/clients/export/"):
        assert p in paths
