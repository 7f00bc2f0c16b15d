"""INT-2 bulk export: $export kicks off a job, NDJSON per resource type, status URL, scoped, audited, expiry."""

from __future__ import annotations

import datetime as dt
import json

from django.utils import timezone
from fhir.resources.R4B import get_fhir_model_class

from careloop.audit.models import AuditEvent
from careloop.fhir.bulk import bulk_exports_sweep, export_dir
from careloop.fhir.models import BulkExport
from tests.fhir.builders import full_record


def test_export_scoped_ndjson_valid_and_audited(world, api, django_capture_on_commit_callbacks):
    full_record(world)
    with django_capture_on_commit_callbacks(execute=True):
        kicked = api(world.nurse).post("/api/v1/fhir/$export")
    assert kicked.status_code == 202
    status_url = kicked["Content-Location"]
    assert status_url.endswith(f"/api/v1/fhir/bulk/{kicked.json()['id']}/")
    manifest = api(world.nurse).get(status_url)
    assert manifest.status_code == 200, manifest.content
    output = {o["type"]: o for o in manifest.json()["output"]}
    assert {"Patient", "Observation", "DiagnosticReport", "Task", "Appointment"} <= set(output)
    patients = api(world.nurse).get(output["Patient"]["url"])
    lines = [json.loads(line) for line in b"".join(patients.streaming_content).decode().splitlines()]
    # the nurse's scope (clients_visible_to), never the other branch
    from careloop.clients.selectors import clients_visible_to

    assert {p["id"] for p in lines} == {str(pk) for pk in clients_visible_to(world.nurse).values_list("pk", flat=True)}
    assert str(world.own.pk) in {p["id"] for p in lines} and str(world.other_branch.pk) not in {p["id"] for p in lines}
    observations = b"".join(api(world.nurse).get(output["Observation"]["url"]).streaming_content).decode().splitlines()
    for line in observations:
        get_fhir_model_class("Observation").model_validate(json.loads(line))
    assert AuditEvent.objects.filter(action="fhir.bulk_export", actor=world.nurse).count() == 1
    assert AuditEvent.objects.filter(action="fhir.bulk_export.fetch", actor=world.nurse).count() == 2
    # another person cannot read the status or the files
    assert api(world.lead).get(status_url).status_code == 404
    assert api(world.lead).get(output["Patient"]["url"]).status_code == 404


def test_types_filter_and_bad_type(world, api, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        kicked = api(world.nurse).post("/api/v1/fhir/$export?_type=Patient")
    manifest = api(world.nurse).get(kicked["Content-Location"]).json()
    assert [o["type"] for o in manifest["output"]] == ["Patient"]
    bad = api(world.nurse).post("/api/v1/fhir/$export?_type=Medication")
    assert bad.status_code == 400 and "_type" in bad.json()
    assert api(world.outsider).post("/api/v1/fhir/$export").status_code == 403


def test_files_removed_after_the_keep_time(world, api, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        kicked = api(world.nurse).post("/api/v1/fhir/$export")
    export = BulkExport.objects.get(pk=kicked.json()["id"])
    assert export_dir(export.pk).exists()
    assert bulk_exports_sweep(now=timezone.now()) == 0
    assert bulk_exports_sweep(now=export.expires_at + dt.timedelta(seconds=1)) == 1
    assert not export_dir(export.pk).exists()
    assert api(world.nurse).get(kicked["Content-Location"]).status_code == 410


def _export_lines(export) -> dict[str, list[dict]]:
    lines: dict[str, list[dict]] = {}
    for path in sorted(export_dir(export.pk).glob("*.ndjson")):
        lines[path.stem] = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    return lines


def _run_export(user):
    from careloop.fhir.bulk import bulk_export_run

    export = BulkExport.objects.create(requested_by=user, types=[])
    return bulk_export_run(export)


def test_bulk_export_reads_per_batch_not_per_client(world):
    """Every client's resources in the NDJSON equal its own Bundle (the per-client providers), and adding
    clients adds no query: each kind of row is read once per batch of clients."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from careloop.clients.fhir import bundle_for
    from careloop.clients.models import Client
    from tests.factories import make_client

    full_record(world)
    _run_export(world.nurse)  # the nurse's roles and teams are read once, then cached on her
    with CaptureQueriesContext(connection) as few:
        first = _run_export(world.nurse)
    for i in range(6):
        full_record(world, make_client(name=f"批量{i}", branch=world.own.branch, health_manager=world.nurse), exam_no=f"TJ2026-10{i}",
                    day=i + 2)
    with CaptureQueriesContext(connection) as many:
        second = _run_export(world.nurse)
    assert second.clients == first.clients + 6
    assert len(many.captured_queries) == len(few.captured_queries) == 18
    exported = {(r["resourceType"], r["id"]): r for rows in _export_lines(second).values() for r in rows}
    for client in (world.own, *Client.objects.filter(name__startswith="批量")):
        bundle = [e["resource"] for e in bundle_for(client, world.nurse)["entry"]]
        assert len(bundle) > 8
        for resource in bundle:
            assert exported[(resource["resourceType"], resource["id"])] == resource
