import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from careloop.audit.models import AuditEvent
from careloop.checkups.models import Checkup, ColumnMapping, CriticalAlert, ImportBatch
from careloop.checkups.progress import write_progress
from careloop.checkups.services import results_import, results_import_start
from tests.checkups.builders import LI_ID, ZHANG_ID, result_row, write_csv
from tests.factories import make_client


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(dt.datetime(2026, 11, 23, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai")), tick=False):
        yield


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def login(client, user):
    client.force_login(user)
    return client


def csv_bytes(tmp_path, rows):
    return write_csv(tmp_path / "upload.csv", rows).read_bytes()


def test_upload_runs_the_import_and_the_page_shows_the_outcome(world, client, tmp_path, django_capture_on_commit_callbacks):
    login(client, world.clerk)
    upload = SimpleUploadedFile("day.csv", csv_bytes(tmp_path, [result_row(), result_row(code="TC", value="6.5")]))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("checkups:imports"), {"file": upload})
    batch = ImportBatch.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("checkups:import_detail", args=[batch.pk])
    assert (batch.status, batch.reports_created, batch.items_created, batch.created_by) == ("done", 1, 2, world.clerk)
    page = client.get(response.url)
    assert "hx-trigger" not in page.content.decode()
    assert '<progress max="100" value="100"' in page.content.decode()
    listing = client.get(reverse("checkups:imports")).content.decode()
    assert f'<a href="/checkups/imports/{batch.pk}/">day.csv</a>' in listing
    assert client.get(reverse("checkups:mapping")).status_code == 200


def test_a_running_import_polls_its_progress_fragment(world, client, tmp_path):
    login(client, world.clerk)
    path = write_csv(tmp_path / "r.csv", [result_row()])
    batch = results_import_start(upload=path, branch=None, acting_user=world.clerk, enqueue=False)
    write_progress(batch.pk, 3000, 0.42)
    page = client.get(reverse("checkups:import_detail", args=[batch.pk]), HTTP_HX_REQUEST="true")
    html = page.content.decode()
    assert html.startswith('<section class="card" id="batch-status" hx-get=')
    assert 'hx-trigger="every 1s"' in html
    assert '<progress max="100" value="42"' in html
    assert "<html" not in html


def test_failed_import_lists_errors_in_the_page_language(world, client, tmp_path):
    login(client, world.clerk)
    path = write_csv(tmp_path / "bad.csv", [result_row(value="abc")])
    batch = results_import(batch=results_import_start(upload=path, branch=None, acting_user=world.clerk, enqueue=False),
                           acting_user=world.clerk)
    page = client.get(reverse("checkups:import_detail", args=[batch.pk]), HTTP_ACCEPT_LANGUAGE="en")
    assert "<td>bad.csv</td><td>2</td><td>结果</td><td>abc is not a number</td>" in page.content.decode()


def test_import_pages_are_refused_without_the_right(world, client, tmp_path):
    login(client, world.nurse)
    upload = SimpleUploadedFile("day.csv", csv_bytes(tmp_path, [result_row()]))
    assert client.post(reverse("checkups:imports"), {"file": upload}).status_code == 403
    assert ImportBatch.objects.count() == 0
    assert client.get(reverse("checkups:mapping")).status_code == 403


def test_mapping_preview_then_save(world, client, tmp_path):
    login(client, world.clerk)
    header = ["条码", "证件号码", "姓名", "性别", "检查日期", "指标", "指标名", "值", "单位", "范围", "提示"]
    sample = write_csv(tmp_path / "s.csv", [["B1", ZHANG_ID, "张伟", "男", "2026-11-20", "GLU", "空腹血糖", "5.1", "mmol/L", "3.9-6.1", ""]], header=header)
    page = client.post(reverse("checkups:mapping"), {"institution": "协和体检", "file": SimpleUploadedFile("s.csv", sample.read_bytes())})
    html = page.content.decode()
    assert page.status_code == 200
    assert "<th>条码</th>" in html and "<td>B1</td>" in html
    token = page.context["token"]
    chosen = dict(zip(["exam_no", "id_number", "name", "sex", "exam_date", "item_code", "item_name", "value", "unit", "reference_range", "flag"], header, strict=True))
    bad = client.post(reverse("checkups:mapping"), {"token": token, "institution": "协和体检", **{f"map_{k}": v for k, v in chosen.items() if k != "value"}})
    assert bad.status_code == 400
    assert ColumnMapping.objects.count() == 0
    ok = client.post(reverse("checkups:mapping"), {"token": token, "institution": "协和体检", **{f"map_{k}": v for k, v in chosen.items()}})
    assert ok.status_code == 302
    saved = ColumnMapping.objects.get()
    assert (saved.institution, saved.mapping, saved.strict) == ("协和体检", chosen, True)
    batch = results_import_start(upload=sample, branch=None, acting_user=world.clerk, mapping=saved, enqueue=False)
    assert results_import(batch=batch, acting_user=world.clerk).status == "done"


def test_client_page_shows_trends_with_abnormal_marks(world, client, tmp_path, django_assert_num_queries):
    zhang = make_client(branch=world.bj, name="张伟", sex="male", birth_date=dt.date(1970, 3, 8), id_number=ZHANG_ID,
                        health_manager=world.nurse)
    for day, glu, exam in (("2024-11-20", "5.5", "A1"), ("2025-11-20", "6.4", "A2"), ("2026-11-20", "7.3", "A3")):
        path = write_csv(tmp_path / f"{exam}.csv", [result_row(exam_no=exam, date=day, value=glu), result_row(exam_no=exam, date=day, code="ECG", value="窦性心律")])
        results_import(batch=results_import_start(upload=path, branch=None, acting_user=world.clerk, enqueue=False), acting_user=world.clerk)
    login(client, world.nurse)
    url = reverse("checkups:client", args=[zhang.pk])
    with django_assert_num_queries(19):
        page = client.get(url)
    html = page.content.decode()
    assert page.status_code == 200
    assert html.count('class="pt-normal"') == 1 and html.count('class="pt-minor"') == 1 and html.count('class="pt-major"') == 1
    assert 'class="ref-band"' in html
    assert "空腹血糖达糖尿病诊断水平" in html
    assert AuditEvent.objects.filter(action="checkup.view", client_id=zhang.pk).count() == 1
    login(client, world.service)
    assert client.get(url).status_code == 403
    login(client, world.nurse2)
    assert client.get(url).status_code == 404


def test_lead_acknowledges_an_alert_from_the_worklist(world, client, tmp_path, django_assert_num_queries):
    make_client(branch=world.bj, name="张伟", sex="male", birth_date=dt.date(1970, 3, 8), id_number=ZHANG_ID, health_manager=world.nurse)
    path = write_csv(tmp_path / "r.csv", [result_row(code="HGB", item_name="血红蛋白", value="55", unit="g/L", reference="130-175"),
                                          result_row(exam_no="X2", id_number=LI_ID, name="李娜", sex="女")])
    results_import(batch=results_import_start(upload=path, branch=None, acting_user=world.clerk, enqueue=False), acting_user=world.clerk)
    login(client, world.lead)
    with django_assert_num_queries(14):  # constant: scoped lists with select_related, no per-row queries
        page = client.get(reverse("checkups:worklist"))
    assert "血红蛋白 55 g/L" in page.content.decode()
    alert = CriticalAlert.objects.get()
    login(client, world.nurse2)
    assert client.post(reverse("checkups:alert_ack", args=[alert.pk])).status_code == 404
    login(client, world.lead)
    assert client.post(reverse("checkups:alert_ack", args=[alert.pk])).status_code == 302
    alert.refresh_from_db()
    assert alert.acknowledged_by == world.lead
    assert Checkup.objects.count() == 2


def test_worklist_records_delivery_and_interpretation(world, client, tmp_path):
    zhang = make_client(branch=world.bj, name="张伟", sex="male", birth_date=dt.date(1970, 3, 8), id_number=ZHANG_ID,
                        health_manager=world.nurse, tier="A")
    path = write_csv(tmp_path / "r.csv", [result_row()])
    results_import(batch=results_import_start(upload=path, branch=None, acting_user=world.clerk, enqueue=False), acting_user=world.clerk)
    checkup = Checkup.objects.get(client=zhang)
    login(client, world.nurse)
    page = client.get(reverse("checkups:worklist")).content.decode()
    assert "TJ2026001" in page
    url = reverse("checkups:delivery_record", args=[checkup.delivery.pk])
    response = client.post(url, {"status": "delivered", "method": "post", "tracking_no": ""}, HTTP_ACCEPT_LANGUAGE="en", follow=True)
    assert "tracking_no: A posted report needs its tracking number." in response.content.decode()
    checkup.delivery.refresh_from_db()
    assert checkup.delivery.status == "pending"
    client.post(url, {"status": "delivered", "method": "post", "tracking_no": "SF100200300"})
    checkup.delivery.refresh_from_db()
    assert (checkup.delivery.status, checkup.delivery.tracking_no) == ("delivered", "SF100200300")
    interpretation = checkup.interpretations.get()
    client.post(reverse("checkups:interpretation_done", args=[interpretation.pk]), {"method": "face_to_face", "notes": "已解读"})
    interpretation.refresh_from_db()
    assert (interpretation.status, interpretation.done_by, interpretation.notes) == ("done", world.nurse, "已解读")
    login(client, world.nurse2)
    assert client.post(reverse("checkups:interpretation_done", args=[interpretation.pk]), {"method": "phone"}).status_code == 404


def test_the_upload_page_offers_the_branches_of_the_importers_part_in_chinese(world, client, tmp_path,
                                                                             django_capture_on_commit_callbacks):
    login(client, world.clerk)
    html = client.get(reverse("checkups:imports"), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "结果所属分支机构" in html
    assert f'<option value="{world.bj.pk}" selected>北京分公司</option>' in html
    assert "北京朝阳体检中心" in html
    assert "上海分公司" not in html
    upload = SimpleUploadedFile("day.csv", csv_bytes(tmp_path, [result_row()]))
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("checkups:imports"), {"file": upload, "branch": world.bj_site.pk})
    assert ImportBatch.objects.get().branch == world.bj_site
    refused = client.post(reverse("checkups:imports"), {"file": SimpleUploadedFile("x.csv", b"a"), "branch": world.sh.pk})
    assert refused.status_code == 200
    assert ImportBatch.objects.count() == 1
