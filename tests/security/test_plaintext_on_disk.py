"""Issue 10, finding 8: no plaintext copies on disk — uploads deleted once imported (failed ones after
UPLOAD_FAILED_KEEP_HOURS), development outboxes masked, data dir 0700 and files 0600."""

from __future__ import annotations

import datetime as dt
import os
import stat

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings

from careloop.checkups.models import ImportBatch
from careloop.checkups.progress import upload_dir
from careloop.checkups.services import results_uploads_sweep
from careloop.messaging.providers.base import Outgoing
from careloop.messaging.providers.console import ConsoleProvider, FileProvider
from tests.checkups.builders import ZHANG_ID, result_row, write_csv
from tests.factories import make_client


def test_uploaded_results_file_is_deleted_once_imported(world, api, tmp_path, django_capture_on_commit_callbacks,
                                                         settings):
    settings.MEDIA_ROOT = tmp_path / "media"  # only this test's upload (other tests share the data dir)
    make_client(branch=world.bj, name="张伟", sex="male", birth_date=dt.date(1970, 3, 8), id_number=ZHANG_ID)
    data = write_csv(tmp_path / "r.csv", [result_row()]).read_bytes()
    before = {p for p in upload_dir().rglob("*") if p.is_file()}  # other tests' failed uploads wait for the sweep
    with django_capture_on_commit_callbacks(execute=True):
        response = api(world.clerk).post("/api/v1/checkup-imports/", {"file": SimpleUploadedFile("r.csv", data)},
                                         format="multipart")
    batch = ImportBatch.objects.get(pk=response.json()["id"])
    assert batch.status == "done"
    assert not os.path.exists(batch.stored_path)
    left = {p for p in upload_dir().rglob("*") if p.is_file()} - before
    assert not any(ZHANG_ID.encode() in p.read_bytes() for p in left)


def test_failed_upload_is_swept_after_the_set_time(world, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"  # only this test's files (others' leftovers would count too)
    stale = upload_dir() / "failed-import.csv"
    stale.write_text(f"姓名,身份证号\n张伟,{ZHANG_ID}\n")
    fresh = upload_dir() / "fresh-import.csv"
    fresh.write_text("x")
    waiting = upload_dir() / "waiting.csv"
    waiting.write_text("x")
    now = dt.datetime.now(dt.UTC).timestamp()  # the test's clock (CI also runs the suite a year ahead)
    os.utime(fresh, (now, now))
    old = (dt.datetime.now(dt.UTC) - dt.timedelta(hours=73)).timestamp()
    os.utime(stale, (old, old))
    os.utime(waiting, (old, old))
    ImportBatch.objects.create(file_name="waiting.csv", stored_path=str(waiting), branch=world.bj, fingerprint="w")
    with override_settings(UPLOAD_FAILED_KEEP_HOURS=72):
        assert results_uploads_sweep() == 1
    assert not stale.exists() and fresh.exists() and waiting.exists()


def test_development_outboxes_mask_phone_numbers(tmp_path, capsys):
    message = Outgoing(out_id="m1", channel="sms", to="13812341234", body="王芳您好，请致电13812341234复查")
    FileProvider(path=tmp_path / "sms.jsonl").send(message)
    text = (tmp_path / "sms.jsonl").read_text(encoding="utf-8")
    assert "13812341234" not in text and "138****1234" in text
    ConsoleProvider().send(message)
    assert "13812341234" not in capsys.readouterr().out
    assert stat.S_IMODE((tmp_path / "sms.jsonl").stat().st_mode) == 0o600


def test_data_dir_is_0700_and_its_files_0600(installation):
    _env, data_dir = installation
    assert stat.S_IMODE(data_dir.stat().st_mode) == 0o700
    files = [p for p in data_dir.rglob("*") if p.is_file()]
    assert files  # secret key, database, keys …
    loose = {str(p.relative_to(data_dir)): oct(stat.S_IMODE(p.stat().st_mode)) for p in files
             if stat.S_IMODE(p.stat().st_mode) & 0o077}
    assert loose == {}
    dirs = {str(p.relative_to(data_dir)): oct(stat.S_IMODE(p.stat().st_mode)) for p in data_dir.rglob("*")
            if p.is_dir() and stat.S_IMODE(p.stat().st_mode) & 0o077}
    assert dirs == {}
