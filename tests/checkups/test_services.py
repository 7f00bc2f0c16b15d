"""Import, delivery, interpretation and critical-value services, through the public functions."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from careloop.audit.models import AuditEvent
from careloop.checkups.models import (
    Checkup,
    CriticalAlert,
    ImportBatch,
    Interpretation,
    ReportDelivery,
    ResultItem,
)
from careloop.checkups.services import (
    CRITICAL_TASK_PRIORITY,
    critical_alert_acknowledge,
    interpretation_complete,
    report_deliveries_chase,
    report_delivery_record,
    results_import,
    results_import_start,
)
from careloop.clients.models import Client
from careloop.followups.models import Encounter, FollowupTask
from careloop.messaging.models import Message
from tests.checkups.builders import LI_ID, ZHANG_ID, result_row, write_csv
from tests.factories import make_client

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = dt.datetime(2026, 11, 23, 10, 0, tzinfo=SHANGHAI)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def zhang(world):
    return make_client(branch=world.bj, name="张伟", sex="male", birth_date=dt.date(1970, 3, 8), id_number=ZHANG_ID,
                       tier="A", health_manager=world.nurse)


def rows():
    return [
        result_row(),
        result_row(code="SBP", item_name="收缩压", value="185", unit="mmHg", reference="90-139", flag="H"),
        result_row(exam_no="TJ2026002", id_number=LI_ID, name="李娜", sex="女", code="GLU", value="7.4", flag="H"),
    ]


def do_import(world, path, user=None):
    user = user or world.clerk
    batch = results_import_start(upload=path, branch=None, acting_user=user, enqueue=False)
    return results_import(batch=batch, acting_user=user)


def counts():
    return (Client.objects.count(), Checkup.objects.count(), ResultItem.objects.count(), Encounter.objects.count(),
            FollowupTask.objects.count(), ReportDelivery.objects.count(), CriticalAlert.objects.count())


def test_import_opens_encounters_deliveries_interpretation_and_a_critical_alert(world, zhang, tmp_path):
    batch = do_import(world, write_csv(tmp_path / "r.csv", rows()))
    assert (batch.status, batch.reports_created, batch.items_created, batch.clients_created) == ("done", 2, 3, 1)
    report = Checkup.objects.get(exam_no="TJ2026001")
    encounter = Encounter.objects.get(pk=report.encounter_id)
    assert (encounter.client, encounter.kind, encounter.date, encounter.health_status) == (zhang, "checkup", dt.date(2026, 11, 20), "complex")
    li = Checkup.objects.get(exam_no="TJ2026002")
    assert Encounter.objects.get(pk=li.encounter_id).health_status == "abnormal_stable"
    # Friday 2026-11-20 + 5 working days = Friday 2026-11-27.
    assert report.delivery.due_date == dt.date(2026, 11, 27)
    [interpretation] = Interpretation.objects.all()
    assert (interpretation.checkup, interpretation.one_to_one, interpretation.assignee) == (report, True, world.nurse)
    assert interpretation.due_at == NOW + dt.timedelta(hours=24)
    [alert] = CriticalAlert.objects.all()
    assert (alert.item.code, alert.lead, alert.acknowledged_at) == ("SBP", world.lead, None)
    task = FollowupTask.objects.get(pk=alert.task_id)
    assert (task.assignee, task.priority, task.due_date, task.client) == (world.lead, CRITICAL_TASK_PRIORITY, dt.date(2026, 11, 23), zhang)
    assert task.reason == "危急值：收缩压 185 mmHg——请立即联系客户"
    top = FollowupTask.objects.filter(assignee=world.lead, status="pending").first()
    assert top == task
    actions = list(AuditEvent.objects.filter(action__startswith="checkup.").values_list("action", flat=True).order_by("append_id"))
    assert actions == ["checkup.import_queued", "checkup.create", "checkup.create", "checkup.critical_alert", "checkup.import"]


def test_importing_the_same_file_again_changes_nothing(world, zhang, tmp_path):
    path = write_csv(tmp_path / "r.csv", rows())
    first = do_import(world, path)
    before = counts()
    copy = write_csv(tmp_path / "copy.csv", rows())
    again = do_import(world, copy)
    assert (again.status, again.duplicate_of) == ("duplicate", first)
    assert counts() == before


def test_a_rejected_file_changes_nothing_and_keeps_errors_in_both_languages(world, zhang, tmp_path):
    bad = rows()
    bad[2][1] = LI_ID[:-1] + ("0" if LI_ID[-1] != "0" else "1")
    before = counts()
    batch = do_import(world, write_csv(tmp_path / "bad.csv", bad))
    assert batch.status == "failed"
    assert counts() == before
    [error] = batch.errors
    assert (error["file"], error["row"], error["column"]) == ("bad.csv", 4, "身份证号")
    assert error["reason"]["en"].startswith("check character is wrong")
    assert error["reason"]["zh-hans"] != error["reason"]["en"]


def test_import_needs_the_right(world, tmp_path):
    with pytest.raises(PermissionDenied):
        results_import_start(upload=write_csv(tmp_path / "r.csv", rows()), branch=None, acting_user=world.nurse)
    assert ImportBatch.objects.count() == 0


def test_delivery_by_post_needs_a_tracking_number_and_delivery_starts_the_cycle(world, zhang, tmp_path):
    do_import(world, write_csv(tmp_path / "r.csv", rows()))
    li = Checkup.objects.get(exam_no="TJ2026002")
    with pytest.raises(ValidationError) as caught:
        report_delivery_record(delivery=li.delivery, acting_user=world.nurse, status="delivered", method="post")
    assert "tracking_no" in caught.value.message_dict
    assert ReportDelivery.objects.get(pk=li.delivery.pk).status == "pending"
    report_delivery_record(delivery=li.delivery, acting_user=world.nurse, status="delivered", method="post",
                           tracking_no="SF1234567890", on=dt.date(2026, 11, 23))
    li.refresh_from_db()
    assert (li.delivery.status, li.delivery.delivered_on, li.delivery.tracking_no) == ("delivered", dt.date(2026, 11, 23), "SF1234567890")
    assert Encounter.objects.get(pk=li.encounter_id).report_delivered_on == dt.date(2026, 11, 23)
    [interpretation] = li.interpretations.all()
    assert (interpretation.one_to_one, interpretation.method) == (False, "phone")


def test_sms_notice_queues_a_report_ready_message(world, zhang, tmp_path):
    from careloop.clients.services import consent_record

    do_import(world, write_csv(tmp_path / "r.csv", rows()))
    consent_record(acting_user=world.lead, client=zhang, purpose="reminders", granted=True)
    zhang.phone = "13812345678"
    zhang.save(update_fields=["phone"])
    report = Checkup.objects.get(exam_no="TJ2026001")
    report_delivery_record(delivery=report.delivery, acting_user=world.nurse, status="sent", method="sms_notice")
    [message] = Message.objects.filter(client=zhang)
    assert (message.purpose, message.channel) == ("report_ready", "sms")


def test_overdue_reports_get_one_chase_task(world, zhang, tmp_path):
    do_import(world, write_csv(tmp_path / "r.csv", rows()))
    assert report_deliveries_chase(today=dt.date(2026, 11, 27)) == 0
    assert report_deliveries_chase(today=dt.date(2026, 11, 30)) == 2
    assert report_deliveries_chase(today=dt.date(2026, 12, 1)) == 0
    chase = FollowupTask.objects.filter(reason__startswith="[TJ2026001]").get()
    assert (chase.assignee, chase.due_date) == (world.nurse, dt.date(2026, 11, 30))
    report = Checkup.objects.get(exam_no="TJ2026001")
    assert (report.delivery.chase_count, report.delivery.chased_on) == (1, dt.date(2026, 11, 30))
    report_delivery_record(delivery=report.delivery, acting_user=world.nurse, status="collected", method="sms_notice")
    chase.refresh_from_db()
    assert chase.status == "cancelled"


def test_acknowledging_a_critical_alert_records_who_and_when(world, zhang, tmp_path):
    do_import(world, write_csv(tmp_path / "r.csv", rows()))
    alert = CriticalAlert.objects.get()
    with pytest.raises(PermissionDenied):
        critical_alert_acknowledge(alert=alert, acting_user=world.service)
    alert.refresh_from_db()
    assert (alert.acknowledged_by, alert.acknowledged_at) == (None, None)
    critical_alert_acknowledge(alert=alert, acting_user=world.lead)
    alert.refresh_from_db()
    assert (alert.acknowledged_by, alert.acknowledged_at) == (world.lead, timezone.now())
    with pytest.raises(ValidationError):
        critical_alert_acknowledge(alert=alert, acting_user=world.nurse)


def test_interpretation_is_recorded_once(world, zhang, tmp_path):
    do_import(world, write_csv(tmp_path / "r.csv", rows()))
    interpretation = Interpretation.objects.get()
    with pytest.raises(ValidationError) as caught:
        interpretation_complete(interpretation=interpretation, acting_user=world.nurse, method="fax")
    assert list(caught.value.message_dict) == ["method"]
    done = interpretation_complete(interpretation=interpretation, acting_user=world.nurse, method="video", notes="讲解了血压")
    assert (done.status, done.done_by, done.method) == ("done", world.nurse, "video")


def test_fhir_and_gb18030_files_import_through_the_same_service(world, tmp_path):
    from tests.checkups.builders import fhir_bundle, write_fhir

    fhir = write_fhir(tmp_path / "b.json", fhir_bundle(observations=[
        {"code": "GLU", "display": "空腹血糖", "value": 6.5, "unit": "mmol/L", "low": 3.9, "high": 6.1, "flag": "H"},
        {"code": "HGB", "display": "血红蛋白", "value": 58, "unit": "g/L", "low": 130, "high": 175, "flag": "LL"},
    ]))
    batch = do_import(world, fhir)
    assert (batch.status, batch.fmt, batch.items_created) == ("done", "fhir", 2)
    report = Checkup.objects.get(exam_no="TJ2026100")
    assert (report.conclusions, report.health_status, report.worst_severity) == ("空腹血糖受损", "complex", "critical")
    gb = write_csv(tmp_path / "gb.csv", [result_row(exam_no="G1", id_number=LI_ID, name="李娜", sex="女")], encoding="gb18030")
    assert do_import(world, gb).status == "done"
    assert Client.objects.get(checkups__exam_no="G1").name == "李娜"


def test_progress_runs_from_streaming_to_the_per_report_work(world, tmp_path):
    path = write_csv(tmp_path / "r.csv", rows())
    seen = []
    batch = results_import_start(upload=path, branch=None, acting_user=world.clerk, enqueue=False)
    results_import(batch=batch, acting_user=world.clerk, progress=lambda n, f: seen.append((n, f)))
    assert seen == [(3, 0.6), (3, 1.0)]


def test_a_concurrent_import_of_the_same_file_is_caught_and_nothing_is_written(world, zhang, tmp_path):
    path = write_csv(tmp_path / "r.csv", rows())
    batch = results_import_start(upload=path, branch=None, acting_user=world.clerk, enqueue=False)
    before = counts()

    def other_import_commits_meanwhile(rows_read, fraction):
        if fraction == 1.0:
            ImportBatch.objects.create(file_name="r.csv", fingerprint=batch.fingerprint, status="done")

    done = results_import(batch=batch, acting_user=world.clerk, progress=other_import_commits_meanwhile)
    assert (done.status, done.error_count, done.reports_created) == ("failed", 1, 0)
    assert counts() == before


def test_latest_checkup_feeds_the_assessment_inputs(world, zhang, tmp_path):
    from careloop.assessments.selectors import checkup_inputs

    assert checkup_inputs(zhang) is None
    do_import(world, write_csv(tmp_path / "r.csv", rows()))
    assert checkup_inputs(zhang) == ("体检 2026-11-20", {"fasting_glucose_mmol": 5.2, "sbp": 185.0})


def test_unreadable_or_misshapen_files_are_rejected_whole(world, tmp_path):
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"PK\x03\x04 not really a workbook")
    batch = do_import(world, broken)
    assert (batch.status, [(e["row"], e["reason"]["en"]) for e in batch.errors]) == ("failed", [(None, "not a readable XLSX workbook")])
    header = ["体检编号", "身份证号", "姓名", "性别", "体检日期", "项目代码", "项目名称", "数值"]
    short = write_csv(tmp_path / "short.csv", [result_row()[:8]], header=header)
    batch = do_import(world, short)
    assert [(e["row"], e["column"]) for e in batch.errors] == [(1, "结果")]
    assert batch.errors[0]["reason"] == {"zh-hans": "缺少必需的列“结果”", "en": "required column 结果 is missing"}
    assert Checkup.objects.count() == 0


def test_unknown_item_codes_are_errors_unless_lenient(world, tmp_path):
    path = write_csv(tmp_path / "r.csv", [result_row(code="HCY", item_name="同型半胱氨酸", value="18", reference="5-15")])
    strict = do_import(world, path)
    assert [(e["row"], e["column"], e["reason"]["zh-hans"]) for e in strict.errors] == [(2, "项目代码", "未知的项目代码 HCY")]
    lenient = results_import(
        batch=results_import_start(upload=path, branch=None, acting_user=world.clerk, strict=False, enqueue=False),
        acting_user=world.clerk,
    )
    assert lenient.status == "done"
    item = ResultItem.objects.get()
    assert (item.code, item.severity, item.ref_high) == ("HCY", "minor", 15.0)
