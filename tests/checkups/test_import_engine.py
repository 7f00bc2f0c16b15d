"""The import engine on its own: streaming, grading, all-or-nothing (services add encounters etc.)."""

import datetime as dt

import pytest
from django.utils import translation

from careloop.checkups.importing import ImportRejected, ImportRun
from careloop.checkups.models import Checkup, ImportBatch, ResultItem
from careloop.checkups.readers import file_fingerprint
from careloop.clients.models import Client
from careloop.clients.services import id_number_index
from careloop.org.models import UnitKind
from tests.checkups.builders import LI_ID, ZHANG_ID, result_row, write_csv
from tests.factories import make_client, make_unit

TODAY = dt.date(2026, 11, 23)


@pytest.fixture
def branch(db):
    hq = make_unit("总公司", UnitKind.HQ, code="hq")
    return make_unit("北京分公司", UnitKind.BRANCH, parent=hq, code="bj")


def run_file(path, branch, *, strict=True):
    batch = ImportBatch.objects.create(file_name=path.name, fmt="csv", fingerprint=file_fingerprint(path),
                                       stored_path=str(path), strict=strict, branch=branch)
    run = ImportRun(batch=batch, path=str(path), mapping=None, branch=branch, today=TODAY)
    run.run()
    return run


def two_reports():
    return [
        result_row(),
        result_row(code="SBP", item_name="收缩压", value="185", unit="mmHg", reference="90-139", flag="H"),
        result_row(code="TC", item_name="总胆固醇", value="5.5", reference="<5.2"),
        result_row(exam_no="TJ2026002", id_number=LI_ID, name="李娜", sex="女", code="GLU", value="7.4", flag="H"),
        result_row(exam_no="TJ2026002", id_number=LI_ID, name="李娜", sex="女", code="UA", item_name="尿酸",
                   value="430", unit="μmol/L", reference="150-360", flag="H"),
    ]


def test_import_creates_reports_items_and_new_clients_and_matches_existing(tmp_path, branch):
    existing = make_client(branch=branch, name="张伟", sex="male", birth_date=dt.date(1970, 3, 8), id_number=ZHANG_ID)
    run = run_file(write_csv(tmp_path / "r.csv", two_reports()), branch)
    assert Client.objects.count() == 2
    li = Client.objects.get(id_number_hash=id_number_index(LI_ID))
    assert (li.name, li.sex, li.birth_date, li.branch, li.id_number) == ("李娜", "female", dt.date(1985, 7, 1), branch, LI_ID)
    assert run.new_client_ids == {li.pk}
    zhang = Checkup.objects.get(exam_no="TJ2026001")
    assert zhang.client == existing
    assert (zhang.date, zhang.health_status, zhang.worst_severity, zhang.abnormal_count) == (
        dt.date(2026, 11, 20), "complex", "critical", 2)
    items = {i.code: i for i in zhang.items.all()}
    assert (items["SBP"].severity, items["SBP"].finding, items["SBP"].row) == ("critical", "收缩压≥180 mmHg（需立即处置）", 3)
    assert (items["TC"].severity, items["TC"].ref_high, items["TC"].category) == ("minor", 5.2, "lipids")
    assert items["GLU"].severity == ""
    li_report = Checkup.objects.get(exam_no="TJ2026002")
    assert (li_report.health_status, li_report.worst_severity) == ("abnormal_stable", "major")
    assert ResultItem.objects.count() == 5
    assert run.critical_items == [items["SBP"].pk]
    assert (run.batch.reports_created, run.batch.items_created, run.batch.clients_created) == (2, 5, 1)


def test_one_bad_row_imports_nothing_and_every_error_is_named(tmp_path, branch):
    rows = two_reports()
    rows[1][4] = "2026-02-30"
    rows[3][7] = "七点四"
    path = write_csv(tmp_path / "bad.csv", rows)
    with pytest.raises(ImportRejected) as caught:
        run_file(path, branch)
    assert (Client.objects.count(), Checkup.objects.count(), ResultItem.objects.count()) == (0, 0, 0)
    with translation.override("en"):
        assert [str(e) for e in caught.value.errors] == [
            "bad.csv, row 3, column 体检日期: 2026-02-30 is not a date (use YYYY-MM-DD)",
            "bad.csv, row 5, column 结果: 七点四 is not a number",
        ]
    assert caught.value.count == 2


def test_a_report_number_imported_before_is_an_error(tmp_path, branch):
    run_file(write_csv(tmp_path / "a.csv", two_reports()[:1]), branch)
    with pytest.raises(ImportRejected) as caught:
        run_file(write_csv(tmp_path / "b.csv", [*two_reports()[3:], result_row(code="TG", value="1.1")]), branch)
    [error] = caught.value.errors
    assert (error.row, error.column) == (4, "体检编号")
    assert Checkup.objects.count() == 1


def test_rows_of_one_report_need_not_be_adjacent_and_chunks_join_up(tmp_path, branch, monkeypatch):
    monkeypatch.setattr("careloop.checkups.importing.CHUNK_REPORTS", 1)
    rows = two_reports()
    shuffled = [rows[0], rows[3], rows[1], rows[4], rows[2]]
    run_file(write_csv(tmp_path / "r.csv", shuffled), branch)
    assert Checkup.objects.count() == 2
    assert sorted(Checkup.objects.get(exam_no="TJ2026001").items.values_list("code", flat=True)) == ["GLU", "SBP", "TC"]
