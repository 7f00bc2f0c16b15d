"""A results import belongs to a branch and attaches results only where the importer may (issues 9, 10, 11)."""

import ast
import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.core.management import CommandError, call_command

import careloop
from careloop.audit.models import AuditEvent
from careloop.audit.verify import verify_chain
from careloop.checkups.models import Checkup, CriticalAlert, ImportBatch, ResultItem
from careloop.checkups.progress import upload_dir
from careloop.checkups.services import (
    IMPORT_SYSTEM_USERNAME,
    import_system_user,
    results_import,
    results_import_start,
)
from careloop.clients.models import Client, Consent
from careloop.clients.services import id_number_index
from careloop.followups.models import Encounter, FollowupTask
from careloop.org.models import Team
from tests.checkups.builders import LI_ID, ZHANG_ID, result_row, write_csv
from tests.factories import make_client

NOW = dt.datetime(2026, 11, 23, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def do_import(path, user, branch=None):
    batch = results_import_start(upload=path, branch=branch, acting_user=user, enqueue=False)
    return results_import(batch=batch, acting_user=user)


def written():
    return (Client.objects.count(), Checkup.objects.count(), ResultItem.objects.count(), Encounter.objects.count(),
            FollowupTask.objects.count(), CriticalAlert.objects.count())


def test_a_clerk_cannot_attach_results_to_a_client_of_another_branch(world, tmp_path):
    """Issue 10 finding 4: on main the row below was merged into the Shanghai client silently."""
    shanghai = make_client(branch=world.sh, name="张伟", sex="male", birth_date=dt.date(1970, 3, 8), id_number=ZHANG_ID,
                           health_manager=world.nurse2)
    rows = [
        result_row(id_number=LI_ID, name="李娜", sex="女", date="2026-11-20"),
        result_row(exam_no="TJ2026009", name="王小明",
                   code="SBP", item_name="收缩压", value="190", unit="mmHg", reference="90-139", flag="H"),
    ]
    before = written()
    batch = do_import(write_csv(tmp_path / "day.csv", rows), world.clerk)
    assert batch.status == "failed"
    assert [(e["file"], e["row"], e["column"]) for e in batch.errors] == [("day.csv", 3, "身份证号")]
    assert batch.errors[0]["reason"]["en"] == (
        "this ID number belongs to a client of another branch; the results cannot be attached here")
    assert "其他分支机构" in batch.errors[0]["reason"]["zh-hans"]
    assert written() == before
    assert not Checkup.objects.filter(client=shanghai).exists()


def test_a_visible_client_whose_name_differs_is_an_error_not_a_merge(world, tmp_path):
    zhang = make_client(branch=world.bj, name="张伟", sex="male", birth_date=dt.date(1970, 3, 8), id_number=ZHANG_ID)
    before = written()
    batch = do_import(write_csv(tmp_path / "r.csv", [result_row(name="张卫")]), world.clerk)
    assert batch.status == "failed"
    [error] = batch.errors
    assert (error["file"], error["row"], error["column"]) == ("r.csv", 2, "姓名")
    assert error["reason"]["en"] == "the name 张卫 differs from the name on record for this ID number; check the row"
    assert written() == before
    assert not zhang.checkups.exists()


def test_a_client_who_withdrew_health_data_consent_refuses_the_import(world, tmp_path):
    zhang = make_client(branch=world.bj, name="张伟", sex="male", birth_date=dt.date(1970, 3, 8), id_number=ZHANG_ID)
    Consent.objects.create(client=zhang, purpose="health_data", granted=True, given_at=NOW - dt.timedelta(days=30))
    Consent.objects.create(client=zhang, purpose="health_data", granted=False, given_at=NOW - dt.timedelta(days=2))
    before = written()
    batch = do_import(write_csv(tmp_path / "r.csv", [result_row(), result_row(code="TC", value="5.0")]), world.clerk)
    assert batch.status == "failed"
    [error] = batch.errors
    assert (error["row"], error["column"]) == (2, "身份证号")
    assert error["reason"]["en"] == "this client withdrew consent to the processing of health data; the import is refused"
    assert written() == before
    # Consent given again: the same file imports.
    Consent.objects.create(client=zhang, purpose="health_data", granted=True, given_at=NOW - dt.timedelta(days=1))
    again = do_import(write_csv(tmp_path / "r2.csv", [result_row(), result_row(code="TC", value="5.0")]), world.clerk)
    assert again.status == "done"
    assert zhang.checkups.count() == 1


def test_new_clients_land_in_the_chosen_branch(world, tmp_path):
    batch = do_import(write_csv(tmp_path / "r.csv", [result_row(id_number=LI_ID, name="李娜", sex="女")]), world.clerk,
                      branch=world.bj_site)
    assert (batch.status, batch.branch) == ("done", world.bj_site)
    assert Client.objects.get(name="李娜").branch == world.bj_site
    default = do_import(write_csv(tmp_path / "r2.csv", [result_row(exam_no="X2")]), world.clerk)
    assert default.branch == world.bj  # the importing user's own unit
    assert Client.objects.get(id_number_hash=id_number_index(ZHANG_ID)).branch == world.bj


def test_a_branch_outside_the_importers_part_is_refused_and_nothing_is_stored(world, tmp_path):
    stored = set(upload_dir().glob("*"))
    with pytest.raises(PermissionDenied):
        results_import_start(upload=write_csv(tmp_path / "r.csv", [result_row()]), branch=world.sh,
                             acting_user=world.clerk, enqueue=False)
    assert ImportBatch.objects.count() == 0
    assert set(upload_dir().glob("*")) == stored


@pytest.mark.parametrize("who", ["nurse", "lead", "auditor", "outsider", None])
def test_the_import_service_checks_the_right_itself(world, tmp_path, who):
    user = getattr(world, who) if who else None
    with pytest.raises(PermissionDenied):
        results_import_start(upload=write_csv(tmp_path / "r.csv", [result_row()]), branch=None, acting_user=user,
                             enqueue=False)
    batch = results_import_start(upload=write_csv(tmp_path / "ok.csv", [result_row()]), branch=None,
                                 acting_user=world.clerk, enqueue=False)
    with pytest.raises(PermissionDenied):
        results_import(batch=batch, acting_user=user)
    assert (Checkup.objects.count(), ImportBatch.objects.get().status) == (0, "pending")


def test_the_command_without_user_acts_as_the_named_system_user(world, tmp_path, capsys):
    path = write_csv(tmp_path / "day.csv", [result_row()])
    call_command("import_results", str(path), "--lang", "en", "--branch", "bj")
    assert "day.csv imported: 1 reports" in capsys.readouterr().out
    system = import_system_user()
    assert system.username == IMPORT_SYSTEM_USERNAME
    assert not system.has_usable_password()
    batch = ImportBatch.objects.get()
    assert (batch.created_by, batch.branch) == (system, world.bj)
    actions = set(AuditEvent.objects.filter(actor_name=IMPORT_SYSTEM_USERNAME).values_list("action", flat=True))
    assert {"checkup.import_queued", "checkup.create", "checkup.import"} <= actions
    assert Client.objects.get(id_number_hash=id_number_index(ZHANG_ID)).branch == world.bj


def test_the_command_without_user_needs_a_branch(world, tmp_path, capsys):
    path = write_csv(tmp_path / "day.csv", [result_row()])
    with pytest.raises(CommandError) as refused:
        call_command("import_results", str(path), "--lang", "en")
    assert refused.value.returncode == 2
    assert "--branch CODE" in str(refused.value)
    assert (ImportBatch.objects.count(), Client.objects.count()) == (0, 3)


def test_one_audit_row_per_report_in_one_valid_chain(world, tmp_path):
    rows = [result_row(exam_no=f"TJ{n}", id_number=i, name=name, sex=sex)
            for n, (i, name, sex) in enumerate([(ZHANG_ID, "张伟", "男"), (LI_ID, "李娜", "女")])]
    batch = do_import(write_csv(tmp_path / "r.csv", rows), world.clerk)
    creates = AuditEvent.objects.filter(action="checkup.create").order_by("append_id")
    assert [(e.object_id, e.client_id, e.actor_name) for e in creates] == [
        (str(c.pk), c.client_id, "clerk") for c in Checkup.objects.order_by("pk")]
    assert [e.detail["batch"] for e in creates] == [batch.pk, batch.pk]
    assert verify_chain(update_checkpoint=False).ok


def test_a_critical_alert_task_has_an_owner_even_without_a_lead(world, tmp_path):
    Team.objects.filter(lead=world.lead).update(lead=None)
    world.lead.role_grants.all().delete()
    rows = [result_row(id_number=LI_ID, name="李娜", sex="女", code="SBP", item_name="收缩压", value="190", unit="mmHg",
                       reference="90-139", flag="H")]
    do_import(write_csv(tmp_path / "r.csv", rows), world.clerk)
    [alert] = CriticalAlert.objects.all()
    task = FollowupTask.objects.get(pk=alert.task_id)
    assert task.assignee_id is not None or task.team_id is not None
    assert not FollowupTask.objects.filter(status="pending", assignee__isnull=True, team__isnull=True).exists()


def _imports_of(path: Path) -> list[str]:
    tree = ast.parse(path.read_text())
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.append(node.module)
        elif isinstance(node, ast.Import):
            found.extend(a.name for a in node.names)
    return found


def test_api_does_not_import_views_and_no_importlib_between_checkups_and_its_neighbours():
    root = Path(careloop.__file__).parent
    assert "careloop.checkups.views" not in _imports_of(root / "checkups" / "api.py")
    for app in ("checkups", "assessments"):
        for module in (root / app).rglob("*.py"):
            assert "importlib" not in _imports_of(module), module
    assert not any(m.startswith("careloop.assessments") for m in _imports_of(root / "checkups" / "selectors.py"))
