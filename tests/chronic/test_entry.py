"""The client's personal link and the spreadsheet import."""

from __future__ import annotations

import datetime as dt
import io

import pytest
import time_machine
from django.core import signing

from careloop.chronic.importing import ImportRejected, monitoring_logs_import
from careloop.chronic.models import LogSource, MonitoringLog, Reading
from careloop.chronic.selfentry import SALT, self_entry_link_create
from careloop.followups.models import FollowupTask

NOW = dt.datetime(2026, 6, 10, 9, 0, tzinfo=dt.UTC)
pytestmark = [pytest.mark.django_db]


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=True):
        yield


def test_personal_link_records_for_its_client_only(world, client):
    _link, token = self_entry_link_create(client=world.own, acting_user=world.nurse)
    r = client.get(f"/chronic/me/{token}/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert r.status_code == 200 and "王芳" in r.content.decode()
    r = client.post(f"/chronic/me/{token}/", {"sbp": "186", "dbp": "100"}, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert r.status_code == 200
    log = MonitoringLog.objects.get()
    assert (log.client_id, log.source, log.entered_by_id) == (world.own.pk, LogSource.CLIENT, None)
    assert FollowupTask.objects.filter(client=world.own).count() == 1


def test_tampered_expired_or_replaced_links_refuse(world, client):
    link, token = self_entry_link_create(client=world.own, acting_user=world.nurse, days=1)
    forged = signing.dumps({"l": link.pk, "n": "0" * 16}, salt=SALT, compress=True)
    assert client.get(f"/chronic/me/{forged}/").status_code == 404
    assert client.get(f"/chronic/me/{token[:-2]}xx/").status_code == 404
    with time_machine.travel(NOW + dt.timedelta(days=2)):
        assert client.post(f"/chronic/me/{token}/", {"sbp": "120"}).status_code == 404
    _link2, _token2 = self_entry_link_create(client=world.own, acting_user=world.nurse)
    assert client.get(f"/chronic/me/{token}/").status_code == 404  # replaced
    assert MonitoringLog.objects.count() == 0


def test_personal_link_is_rate_limited(world, client):
    _link, token = self_entry_link_create(client=world.own, acting_user=world.nurse)
    codes = [client.post(f"/chronic/me/{token}/", {"weight": "70"}).status_code for _ in range(7)]
    assert codes == [200] * 6 + [429]
    assert MonitoringLog.objects.count() == 6


def _csv(rows: list[list[str]]) -> bytes:
    return "\n".join(",".join(r) for r in rows).encode("utf-8")


def test_import_groups_rows_into_logs_and_flags(world):
    content = _csv([["客户编号", "测量时间", "指标", "数值", "运动"],
                    [str(world.own.pk), "2026-06-01 07:30", "sbp", "150", "快走"],
                    [str(world.own.pk), "2026-06-01 07:30", "dbp", "92", ""],
                    [str(world.own.pk), "2026-06-02 07:30", "fasting_glucose", "17.0", ""]])
    results = monitoring_logs_import(name="logs.csv", content=content, acting_user=world.nurse)
    assert len(results) == 2 and Reading.objects.count() == 3
    assert MonitoringLog.objects.filter(source="import", exercise="快走").count() == 1
    assert sum(len(r.tasks) for r in results) == 1


def test_import_is_all_or_nothing_with_row_and_column(world):
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["client", "at", "indicator", "value"])
    ws.append([world.own.pk, "2026-06-01 07:30", "sbp", 130])
    ws.append([world.own.pk, "yesterday", "sbp", "high"])
    ws.append([world.other_branch.pk, "2026-06-01 07:30", "sbp", 120])
    buf = io.BytesIO()
    wb.save(buf)
    with pytest.raises(ImportRejected) as info:
        monitoring_logs_import(name="logs.xlsx", content=buf.getvalue(), acting_user=world.nurse)
    assert [(e.row, e.column) for e in info.value.errors] == [(3, "at"), (3, "value"), (4, "client")]
    assert MonitoringLog.objects.count() == 0


def test_import_page_reports_errors(world, client):
    client.force_login(world.nurse)
    upload = io.BytesIO(_csv([["client", "at"], ["1", "2026-06-01 07:30"]]))
    upload.name = "x.csv"
    r = client.post("/chronic/import/", {"file": upload}, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert r.status_code == 400
    client.force_login(world.service)
    assert client.get("/chronic/import/").status_code == 403


def test_api_batch_all_or_nothing(world, api):
    c = api(world.nurse)
    logs = [{"client": world.own.pk, "at": "2026-06-01T07:30:00+08:00", "readings": {"sbp": 120}},
            {"client": world.own.pk, "at": "2026-06-02T07:30:00+08:00", "readings": {"sbp": 185}}]
    r = c.post("/api/v1/monitoring-logs/batch/", {"logs": logs}, format="json")
    assert r.status_code == 201 and (r.json()["logs"], r.json()["readings"], len(r.json()["tasks"])) == (2, 2, 1)
    bad = [*logs, {"client": world.own.pk, "at": "2027-06-02T07:30:00+08:00", "readings": {"sbp": 120}}]
    r = c.post("/api/v1/monitoring-logs/batch/", {"logs": bad}, format="json")
    assert r.status_code == 400 and "logs[2].at" in r.json()
    r = c.post("/api/v1/monitoring-logs/batch/", {"logs": [{**logs[0], "client": world.other_branch.pk}]}, format="json")
    assert r.status_code == 400
    assert MonitoringLog.objects.count() == 2
