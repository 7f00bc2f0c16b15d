import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command

from careloop.checkups.models import Checkup, ImportBatch
from tests.checkups.builders import LI_ID, result_row, write_csv, write_xlsx


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(dt.datetime(2026, 11, 23, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai")), tick=False):
        yield


def test_command_imports_and_a_second_run_changes_nothing(world, tmp_path, capsys):
    path = write_xlsx(tmp_path / "day.xlsx", [result_row(), result_row(code="TC", value="6.4")])
    call_command("import_results", str(path), "--lang", "en", "--branch", "bj")
    out = capsys.readouterr().out
    assert out.strip().startswith("day.xlsx imported: 1 reports, 2 result items, 1 new clients (batch ")
    assert Checkup.objects.get().client.branch == world.bj
    call_command("import_results", str(path), "--lang", "en", "--branch", "bj")
    assert "was already imported" in capsys.readouterr().out
    assert Checkup.objects.count() == 1


def test_command_exits_1_naming_each_bad_row(world, tmp_path, capsys):
    rows = [result_row(), result_row(exam_no="X2", id_number=LI_ID, name="李娜", sex="女", date="2026-13-01")]
    path = write_csv(tmp_path / "bad.csv", rows)
    with pytest.raises(SystemExit) as exited:
        call_command("import_results", str(path), "--lang", "en", "--branch", "bj")
    assert exited.value.code == 1
    err = capsys.readouterr().err.splitlines()
    assert err == [
        "bad.csv, row 3, column 体检日期: 2026-13-01 is not a date (use YYYY-MM-DD)",
        "bad.csv was not imported: nothing changed.",
    ]
    assert Checkup.objects.count() == 0
    assert ImportBatch.objects.get().status == "failed"
