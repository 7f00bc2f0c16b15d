"""Chronic monitoring: ingesting readings through the API batch and the spreadsheet import, against a
bare bulk insert of the same rows in the same run (PostgreSQL or SQLite).

    .venv/bin/python bench/chronic_bench.py --db postgres --readings 100000

A fresh database (PostgreSQL `careloop_bench_chronic`, dropped and re-created, or a SQLite file under
/tmp) is migrated and given one branch, a follow-up team, `--clients` clients with a hypertension or
diabetes monitoring plan. Then, each with the same number of readings (two per log, ~1% of logs
past an alarm threshold):

1. API batch: POST /api/v1/monitoring-logs/batch/ with 500 logs per request (Django test client:
   authentication, validation, scope, judging, audit, urgent follow-up tasks);
2. spreadsheet: one CSV of every reading through ``monitoring_logs_import`` (all or nothing);
3. bare: ``bulk_create`` of the same log and reading rows (batch 5,000), no judging, no audit, no tasks.

Reported: readings per second of each and the ratio to bare; the time per urgent task opened
(measured on a separate batch of alarming logs only).
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import os
import random
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PG_DB = "careloop_bench_chronic"
PG_URL = f"postgres://127.0.0.1:5432/{PG_DB}"


def child(args: argparse.Namespace) -> dict:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "careloop.settings")
    django.setup()
    from django.core.management import call_command
    from django.db import transaction
    from django.utils import timezone
    from rest_framework.test import APIClient

    from careloop.chronic.importing import monitoring_logs_import
    from careloop.chronic.models import MonitoringLog, Reading
    from careloop.chronic.services import monitoring_plan_create
    from careloop.followups.models import FollowupTask
    from careloop.org.models import Role, UnitKind
    from tests.factories import make_client, make_team, make_unit, make_user

    call_command("migrate", verbosity=0)
    rng = random.Random(13)
    hq = make_unit("总公司", UnitKind.HQ, code="hq")
    bj = make_unit("北京分公司", UnitKind.BRANCH, parent=hq, code="bj")
    nurse = make_user("bench_nurse", roles=[Role.FOLLOWUP, Role.LEAD], unit=bj)
    make_team("北京随访一组", bj, lead=nurse, members=[nurse])
    clients = [make_client(branch=bj, name=f"客户{i:05d}", health_manager=nurse) for i in range(args.clients)]
    for i, c in enumerate(clients):
        monitoring_plan_create(client=c, condition="hypertension" if i % 2 == 0 else "diabetes", acting_user=nurse)
    start = timezone.now() - dt.timedelta(days=365)
    logs_n = args.readings // 2

    def values(i: int, client_index: int) -> dict[str, float]:
        alarm = rng.random() < 0.01
        if client_index % 2 == 0:
            return {"sbp": 185.0 if alarm else float(rng.randint(110, 160)), "dbp": float(rng.randint(65, 100))}
        return {"fasting_glucose": 17.5 if alarm else round(rng.uniform(4.5, 9.5), 1),
                "postprandial_glucose": round(rng.uniform(6.0, 12.0), 1)}

    def at(i: int) -> dt.datetime:
        return start + dt.timedelta(seconds=i * 30)

    result: dict = {"readings": logs_n * 2, "clients": args.clients}

    # 1. API batch
    api = APIClient()
    api.force_authenticate(nurse)
    t0 = time.perf_counter()
    tasks_before = FollowupTask.objects.count()
    for b in range(0, logs_n, 500):
        batch = []
        for i in range(b, min(b + 500, logs_n)):
            ci = i % args.clients
            batch.append({"client": clients[ci].pk, "at": at(i).isoformat(), "readings": values(i, ci)})
        r = api.post("/api/v1/monitoring-logs/batch/", {"logs": batch}, format="json")
        assert r.status_code == 201, r.content[:500]
    api_s = time.perf_counter() - t0
    result["api_batch_s"] = round(api_s, 2)
    result["api_batch_readings_per_s"] = round(logs_n * 2 / api_s)
    result["api_tasks_opened"] = FollowupTask.objects.count() - tasks_before

    # 2. spreadsheet (CSV)
    buf = io.StringIO()
    buf.write("client,at,indicator,value\n")
    for i in range(logs_n):
        ci = i % args.clients
        stamp = timezone.localtime(at(i) + dt.timedelta(days=1, seconds=7)).strftime("%Y-%m-%d %H:%M:%S")
        for code, v in values(i, ci).items():
            buf.write(f"{clients[ci].pk},{stamp},{code},{v}\n")
    content = buf.getvalue().encode()
    t0 = time.perf_counter()
    imported = monitoring_logs_import(name="bench.csv", content=content, acting_user=nurse)
    sheet_s = time.perf_counter() - t0
    result["sheet_s"] = round(sheet_s, 2)
    result["sheet_logs"] = len(imported)
    result["sheet_readings_per_s"] = round(sum(len(r.readings) for r in imported) / sheet_s)

    # 3. bare bulk insert of the same rows
    t0 = time.perf_counter()
    with transaction.atomic():
        logs = [MonitoringLog(client=clients[i % args.clients], at=at(i) + dt.timedelta(days=2), source="staff",
                              entered_by=nurse) for i in range(logs_n)]
        MonitoringLog.objects.bulk_create(logs, batch_size=5000)
        rows = [Reading(log=log, client_id=log.client_id, code=code, value=v, at=log.at, in_target=None)
                for i, log in enumerate(logs) for code, v in values(i, i % args.clients).items()]
        Reading.objects.bulk_create(rows, batch_size=5000)
    bare_s = time.perf_counter() - t0
    result["bare_s"] = round(bare_s, 2)
    result["bare_readings_per_s"] = round(logs_n * 2 / bare_s)
    result["api_vs_bare"] = round(result["api_batch_readings_per_s"] / result["bare_readings_per_s"], 3)
    result["sheet_vs_bare"] = round(result["sheet_readings_per_s"] / result["bare_readings_per_s"], 3)

    # 4. alarming logs only: time per urgent task
    n_alarm = min(500, logs_n)
    batch = [{"client": clients[i % args.clients].pk, "at": (at(i) + dt.timedelta(days=3)).isoformat(),
              "readings": {"sbp": 186, "dbp": 112} if (i % args.clients) % 2 == 0 else {"fasting_glucose": 18.0}}
             for i in range(n_alarm)]
    t0 = time.perf_counter()
    r = api.post("/api/v1/monitoring-logs/batch/", {"logs": batch}, format="json")
    alarm_s = time.perf_counter() - t0
    result["alarm_tasks"] = len(r.json()["tasks"])
    result["alarm_ms_per_task"] = round(alarm_s * 1000 / max(1, result["alarm_tasks"]), 2)
    return result


def run_child(db: str, args: argparse.Namespace) -> dict:
    env = dict(os.environ)
    env.pop("DATABASE_URL", None)
    env["CARELOOP_LOG_LEVEL"] = "WARNING"
    if db == "sqlite":
        data = Path("/tmp/careloop_bench_chronic_sqlite")
        shutil.rmtree(data, ignore_errors=True)
        data.mkdir(parents=True)
        env["CARELOOP_DATA_DIR"] = str(data)
    else:
        import psycopg

        with psycopg.connect("postgresql://127.0.0.1:5432/postgres", autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {PG_DB}")
            conn.execute(f"CREATE DATABASE {PG_DB}")
        env["DATABASE_URL"] = PG_URL
        env["CARELOOP_DATA_DIR"] = "/tmp/careloop_bench_chronic_pg"
        Path(env["CARELOOP_DATA_DIR"]).mkdir(parents=True, exist_ok=True)
    cmd = [sys.executable, __file__, "--child", "--readings", str(args.readings), "--clients", str(args.clients)]
    out = subprocess.run(cmd, env=env, cwd=ROOT, capture_output=True, text=True, check=False)
    if out.returncode != 0:
        sys.stderr.write(out.stderr[-5000:])
        raise SystemExit(f"{db} run failed")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="postgres")
    parser.add_argument("--readings", type=int, default=100_000)
    parser.add_argument("--clients", type=int, default=500)
    parser.add_argument("--child", action="store_true")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    if args.child:
        print(json.dumps(child(args)))
        return
    t0 = time.perf_counter()
    result = run_child(args.db, args)
    result["wall_s"] = round(time.perf_counter() - t0, 1)
    for key, value in result.items():
        print(f"{args.db:9s} {key:28s} {value}")


if __name__ == "__main__":
    main()
