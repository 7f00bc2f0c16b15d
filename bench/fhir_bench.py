"""FHIR bench (issue 19): bulk export resources/s against a bare ``COPY … TO`` of the same rows, peak
memory, and the transaction-Bundle import rate.

    .venv/bin/python bench/fhir_bench.py --clients 5000 --items 20 --bundles 100

In a fresh PostgreSQL database ``careloop_bench_fhir`` (dropped and re-created) it migrates, fills
clients, one checkup each with ``--items`` result items (set-based SQL), then in one process:

1. baseline: ``COPY (SELECT …) TO STDOUT`` of the clients, checkups and result items (the rows the
   export reads), bytes discarded;
2. ours: ``bulk_export_run`` for a clerk of the branch (every client in scope, health data included) — NDJSON files per type,
   resources/s, ratio to (1), Python peak (tracemalloc) and max RSS;
3. import: ``fhir_bundle_import`` of ``--bundles`` transaction Bundles (Patient + DiagnosticReport + 5
   Observations each, through the checkups importer) — Bundles/s.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
PG_DB = os.environ.get("BENCH_PG_DB", "careloop_bench_fhir")


def fresh_db() -> None:
    import psycopg

    with psycopg.connect("postgresql://127.0.0.1:5432/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{PG_DB}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{PG_DB}"')


def populate(n_clients: int, items: int) -> dict:
    from django.db import connection
    from django.utils import timezone

    from careloop.clients.models import Client
    from careloop.org.models import RoleGrant, UnitKind, User
    from careloop.org.services import orgunit_create_raw

    hq = orgunit_create_raw(name="总公司", kind=UnitKind.HQ, parent=None, code="hq")
    branch = orgunit_create_raw(name="分公司", kind=UnitKind.BRANCH, parent=hq, code="b0")
    admin = User.objects.create(username="benchadmin", password="!", org_unit=hq)
    RoleGrant.objects.create(user=admin, role="admin")
    clerk = User.objects.create(username="benchclerk", password="!", org_unit=branch)
    RoleGrant.objects.create(user=clerk, role="clerk")
    now = timezone.now().isoformat()
    client_cols = [f.column for f in Client._meta.concrete_fields if f.column != "id"]
    exprs = {
        "name": "'客户' || x", "sex": "CASE WHEN x %% 2 = 0 THEN 'male' ELSE 'female' END",
        "birth_date": "'1970-01-01'", "tier": "'B'", "status": "'active'", "branch_id": str(branch.pk),
        "health_manager_id": "NULL", "family_doctor_id": "NULL", "id_number_hash": "NULL",
        "preferred_channels": "'[]'", "created_at": f"'{now}'", "updated_at": f"'{now}'", "is_vip": "false",
    }
    select = [exprs.get(c, "''") + f" AS {c}" for c in client_cols]
    codes = ["SBP", "DBP", "BMI", "WAIST", "GLU", "HBA1C", "TC", "TG", "LDL-C", "HDL-C", "UA", "ALT", "AST", "GGT",
             "CREA", "UREA", "K", "WBC", "RBC", "HGB", "PLT"][:items]
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO clients_client ({', '.join(client_cols)}) "
                       f"SELECT {', '.join(select)} FROM generate_series(1, %s) AS x", [n_clients])
        cursor.execute(
            "INSERT INTO checkups_checkup (client_id, exam_no, institution, date, health_status, worst_severity, "
            "abnormal_count, conclusions, recommendations, needs_further_exam, created_at) "
            "SELECT id, 'B' || id, '体检中心', '2026-11-02', 'normal', '', 0, '', '', false, now() FROM clients_client")
        cursor.execute(
            "INSERT INTO checkups_resultitem (checkup_id, code, name, value_text, value_num, unit, reference_range, "
            "flag, severity, finding, category, further_exam) "
            "SELECT c.id, code, code, '5.1', 5.1, 'mmol/L', '3.9-6.1', '', '', '', 'lab', false "
            "FROM checkups_checkup c CROSS JOIN unnest(%s::text[]) AS code", [codes])
        cursor.execute("ANALYZE")
    return {"admin": admin.pk, "clerk": clerk.pk, "branch": branch.pk}


def bare_copy() -> tuple[float, int]:
    from django.db import connection

    queries = [
        "SELECT id, name, sex, birth_date, status, branch_id FROM clients_client",
        "SELECT id, client_id, exam_no, institution, date, conclusions, results_at, encounter_id FROM checkups_checkup",
        "SELECT id, checkup_id, code, name, value_text, value_num, unit, reference_range, ref_low, ref_high, flag, "
        "finding FROM checkups_resultitem",
    ]
    rows = 0
    t0 = time.perf_counter()
    with connection.cursor() as cursor:
        raw = cursor.cursor
        for query in queries:
            with raw.copy(f"COPY ({query}) TO STDOUT") as copy:
                for chunk in copy:
                    rows += bytes(chunk).count(b"\n")
    return time.perf_counter() - t0, rows


def bench_export(admin_id: int) -> dict:
    from careloop.fhir.bulk import bulk_export_run
    from careloop.fhir.models import BulkExport
    from careloop.org.models import User

    export = BulkExport.objects.create(requested_by=User.objects.get(pk=admin_id))
    tracemalloc.start()
    t0 = time.perf_counter()
    export = bulk_export_run(export)
    wall = time.perf_counter() - t0
    _cur, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    total = sum(o["count"] for o in export.output)
    return {"export_s": round(wall, 1), "resources": total, "by_type": {o["type"]: o["count"] for o in export.output},
            "resources_per_s": round(total / wall), "python_peak_mb": round(peak / 2**20, 1)}


def bench_import(clerk_id: int, bundles: int) -> dict:
    from careloop.fhir.importing import fhir_bundle_import
    from careloop.lib.identity import make_id_number
    from careloop.org.models import User

    clerk = User.objects.get(pk=clerk_id)
    import datetime as dt

    def bundle(n: int) -> dict:
        pid = make_id_number("110105", dt.date(1960 + n % 40, 1 + n % 12, 1 + n % 28), n % 900, "male")
        obs = [{"fullUrl": f"urn:uuid:o{i}", "resource": {
            "resourceType": "Observation", "status": "final",
            "code": {"coding": [{"system": "urn:careloop:item", "code": code, "display": code}]},
            "subject": {"reference": "urn:uuid:p"}, "valueQuantity": {"value": 5.0 + i, "unit": "mmol/L"}}}
            for i, code in enumerate(["GLU", "TC", "TG", "LDL-C", "HDL-C"])]
        return {"resourceType": "Bundle", "type": "transaction", "entry": [
            {"fullUrl": "urn:uuid:p", "resource": {"resourceType": "Patient", "name": [{"text": f"导入{n}"}],
                                                   "gender": "male",
                                                   "identifier": [{"system": "urn:oid:2.16.156.10011.1.3", "value": pid}]}},
            *obs,
            {"resource": {"resourceType": "DiagnosticReport", "status": "final", "identifier": [{"value": f"IMP{n}"}],
                          "code": {"text": "体检"}, "subject": {"reference": "urn:uuid:p"},
                          "effectiveDateTime": "2026-11-02", "result": [{"reference": f"urn:uuid:o{i}"} for i in range(5)]}}]}

    t0 = time.perf_counter()
    for n in range(bundles):
        fhir_bundle_import(bundle=bundle(n), acting_user=clerk)
    wall = time.perf_counter() - t0
    return {"bundles": bundles, "import_s": round(wall, 1), "bundles_per_s": round(bundles / wall, 1)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=5000)
    parser.add_argument("--items", type=int, default=20)
    parser.add_argument("--bundles", type=int, default=100)
    args = parser.parse_args()
    fresh_db()
    os.environ["DATABASE_URL"] = f"postgres://127.0.0.1:5432/{PG_DB}"
    os.environ.setdefault("CARELOOP_DATA_DIR", "/tmp/careloop-bench-fhir")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "careloop.settings")
    import django

    django.setup()
    from django.core.management import call_command

    t0 = time.perf_counter()
    call_command("migrate", verbosity=0)
    setup = populate(args.clients, args.items)
    result: dict = {"clients": args.clients, "items_per_checkup": args.items, "setup_s": round(time.perf_counter() - t0, 1)}
    copy_s, copy_rows = bare_copy()
    result.update({"copy_s": round(copy_s, 2), "copy_rows": copy_rows, "copy_rows_per_s": round(copy_rows / copy_s)})
    result.update(bench_export(setup["clerk"]))  # a clerk: branch scope and view_results
    result["ratio_export_to_copy_time"] = round(result["export_s"] / copy_s, 1)
    result.update(bench_import(setup["clerk"], args.bundles))
    result["max_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    print(json.dumps(result, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
