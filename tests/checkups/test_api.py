import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile

from careloop.checkups.models import Checkup, ImportBatch
from careloop.checkups.services import results_import, results_import_start
from tests.checkups.builders import ZHANG_ID, result_row, write_csv
from tests.factories import make_client


@pytest.fixture(autouse=True)
def frozen(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    with time_machine.travel(dt.datetime(2026, 11, 23, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai")), tick=False):
        yield


def test_upload_through_the_api_and_read_the_checkup(world, api, tmp_path, django_capture_on_commit_callbacks):
    zhang = make_client(branch=world.bj, name="张伟", sex="male", birth_date=dt.date(1970, 3, 8), id_number=ZHANG_ID,
                        health_manager=world.nurse)
    data = write_csv(tmp_path / "r.csv", [result_row(), result_row(code="TC", value="6.4", reference="<5.2")]).read_bytes()
    with django_capture_on_commit_callbacks(execute=True):
        response = api(world.clerk).post("/api/v1/checkup-imports/", {"file": SimpleUploadedFile("r.csv", data)}, format="multipart")
    assert response.status_code == 202
    batch = api(world.clerk).get(f"/api/v1/checkup-imports/{response.json()['id']}/").json()
    assert (batch["status"], batch["reports_created"], batch["items_created"], batch["progress"]) == ("done", 1, 2, 1.0)
    listing = api(world.nurse).get(f"/api/v1/checkups/?client={zhang.pk}").json()
    assert listing["count"] == 1
    [row] = listing["results"]
    assert (row["exam_no"], row["health_status"], row["delivery"]["due_date"]) == ("TJ2026001", "abnormal_stable", "2026-11-27")
    detail = api(world.nurse).get(f"/api/v1/checkups/{row['id']}/").json()
    assert [(i["code"], i["severity"]) for i in detail["items"]] == [("GLU", ""), ("TC", "major")]


def test_api_refusals_change_nothing(world, api, tmp_path):
    data = write_csv(tmp_path / "r.csv", [result_row()]).read_bytes()
    assert api(world.nurse).post("/api/v1/checkup-imports/", {"file": SimpleUploadedFile("r.csv", data)}, format="multipart").status_code == 403
    assert ImportBatch.objects.count() == 0
    bad = api(world.clerk, lang="en").post("/api/v1/checkup-imports/", {"file": SimpleUploadedFile("r.txt", data)}, format="multipart")
    assert bad.status_code == 400
    assert bad.json() == {"file": ["Only .csv, .xlsx and .json files can be imported."]}
    path = write_csv(tmp_path / "ok.csv", [result_row()])
    results_import(batch=results_import_start(upload=path, branch=None, acting_user=world.clerk, enqueue=False),
                   acting_user=world.clerk)
    checkup = Checkup.objects.get()
    assert api(world.service).get("/api/v1/checkups/").status_code == 403
    assert api(world.nurse2).get(f"/api/v1/checkups/{checkup.pk}/").status_code == 404
    assert api(world.nurse).get("/api/v1/checkups/?client=abc").status_code == 400


def test_the_api_import_belongs_to_the_chosen_branch_inside_the_callers_part(world, api, tmp_path,
                                                                          django_capture_on_commit_callbacks):
    data = write_csv(tmp_path / "r.csv", [result_row()]).read_bytes()
    outside = api(world.clerk, lang="en").post(
        "/api/v1/checkup-imports/", {"file": SimpleUploadedFile("r.csv", data), "branch": world.sh.pk}, format="multipart")
    assert outside.status_code == 400
    assert list(outside.json()) == ["branch"]
    assert ImportBatch.objects.count() == 0
    with django_capture_on_commit_callbacks(execute=True):
        inside = api(world.clerk).post(
            "/api/v1/checkup-imports/", {"file": SimpleUploadedFile("r.csv", data), "branch": world.bj_site.pk},
            format="multipart")
    assert inside.status_code == 202
    batch = ImportBatch.objects.get()
    assert (batch.status, batch.branch) == ("done", world.bj_site)
    assert Checkup.objects.get().client.branch == world.bj_site
