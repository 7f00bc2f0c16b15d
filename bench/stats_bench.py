"""Statistics benchmarks: the dashboard against the bare GROUP BY, the monthly report, the client export.

    .venv/bin/python bench/stats_bench.py --clients 50000 --tasks-per-client 10

On PostgreSQL (the database `careloop_bench_stats`, dropped and re-created; `--reuse` keeps it) it migrates,
fills clients and tasks with the set-based generator of bench/followups_bench.py, then measures:

1. the rollup: a full refresh (every day) and the ten-minute refresh of the recent days;
2. the dashboard of the general manager (HQ, every branch) p50/p95 through the web page (`/stats/`, Django
   test client: middleware, session, template, charts) and the API (`/api/v1/stats/followups/?by=branch`),
   for a 30-day and a 365-day period, against the bare GROUP BY over the raw tables that gives the same
   figures (`task_figures` over followups_followuptask ⋈ clients_client, grouped by branch) in the same run;
3. the monthly report: figures, XLSX and PDF — time and peak Python memory (tracemalloc, separate pass);
4. the client export (CSV and XLSX, every client at HQ scope): rows/s and peak Python memory.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PG_DB = "careloop_bench_stats"
PG_URL = f"postgres://127.0.0.1:5432/{PG_DB}"
TODAY = dt.date(2026, 11, 23)


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1))))]


def timed(fn, n: int) -> dict:
    samples = []
    for _i in range(n):
        t0 = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t0) * 1000)
    return {"p50_ms": round(pct(samples, 50), 1), "p95_ms": round(pct(samples, 95), 1), "n": n}


def peak_mb(fn) -> tuple[float, float]:
    tracemalloc.start()
    t0 = time.perf_counter()
    fn()
    elapsed = time.perf_counter() - t0
    _cur, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return round(peak / 1e6, 1), elapsed


def child(args: argparse.Namespace) -> dict:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "careloop.settings")
    django.setup()
    import time_machine
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client as WebClient

    sys.path.insert(0, str(ROOT / "bench"))
    from followups_bench import populate  # the follow-up bench's set-based generator

    from careloop.org.models import OrgUnit, RoleGrant, User
    from careloop.stats.permissions import StatsScope
    from careloop.stats.reports import report_build, report_pdf, report_xlsx
    from careloop.stats.rollup import counted_tasks, rollup_refresh_all, rollup_refresh_recent, task_figures
    from careloop.stats.selectors import followup_table, followup_totals

    traveller = time_machine.travel(dt.datetime(2026, 11, 23, 2, tzinfo=dt.UTC), tick=True)
    traveller.start()
    call_command("migrate", verbosity=0)
    result: dict = {"db": connection.vendor}
    if not args.reuse:
        t0 = time.perf_counter()
        populate(args.clients, args.tasks_per_client, TODAY)
        with connection.cursor() as cursor:  # some calls made, the done ones closed on their due date
            cursor.execute("UPDATE followups_followuptask SET attempt_count = 1 + id % 3, "
                           "closed_at = due_date + INTERVAL '10 hours' WHERE status IN ('done', 'missed')")
        result["populate_s"] = round(time.perf_counter() - t0, 1)
    hq = OrgUnit.objects.get(code="hq")
    manager, _c = User.objects.get_or_create(username="bench_manager", defaults={"org_unit": hq})
    RoleGrant.objects.get_or_create(user=manager, role="manager")
    exporter, _c = User.objects.get_or_create(username="bench_admin", defaults={"org_unit": hq})
    RoleGrant.objects.get_or_create(user=exporter, role="admin")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
        cursor.execute("SELECT COUNT(*) FROM clients_client")
        result["clients"] = cursor.fetchone()[0]
        cursor.execute("SELECT COUNT(*) FROM followups_followuptask")
        result["tasks"] = cursor.fetchone()[0]

    t0 = time.perf_counter()
    result["rollup_rows"] = rollup_refresh_all(TODAY)
    result["rollup_full_s"] = round(time.perf_counter() - t0, 1)
    t0 = time.perf_counter()
    rollup_refresh_recent(TODAY)
    result["rollup_recent_s"] = round(time.perf_counter() - t0, 1)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE stats_followupdaily")

    web = WebClient()
    web.force_login(manager)
    units = sorted(OrgUnit.objects.values_list("pk", flat=True))
    scope = StatsScope(unit_ids=units)
    n = args.requests
    for days in (30, 365):
        date_from = TODAY - dt.timedelta(days=days - 1)
        q = f"from={date_from}&to={TODAY}"
        assert web.get(f"/stats/?{q}").status_code == 200  # warm (KPI cache, templates)
        result[f"web_{days}d"] = timed(lambda q=q: web.get(f"/stats/?{q}", HTTP_ACCEPT_LANGUAGE="zh-hans"), n)
        result[f"api_{days}d"] = timed(lambda q=q: web.get(f"/api/v1/stats/followups/?{q}&by=branch"), n)

        def bare(date_from=date_from) -> None:
            list(task_figures(counted_tasks(date_from, TODAY).filter(client__branch_id__in=units),
                              ["client__branch_id"], TODAY))

        result[f"bare_group_by_{days}d"] = timed(bare, max(5, n // 10))

        def rollup_read(date_from=date_from) -> None:  # what the API reads, without the request around it
            followup_table(scope, date_from, TODAY, "branch")
            followup_totals(scope, date_from, TODAY)

        result[f"rollup_read_{days}d"] = timed(rollup_read, n)
        result[f"ratio_bare_over_rollup_read_{days}d"] = round(
            result[f"bare_group_by_{days}d"]["p95_ms"] / result[f"rollup_read_{days}d"]["p95_ms"], 1)
        result[f"ratio_bare_over_api_{days}d"] = round(
            result[f"bare_group_by_{days}d"]["p95_ms"] / result[f"api_{days}d"]["p95_ms"], 1)
        result[f"ratio_bare_over_web_{days}d"] = round(
            result[f"bare_group_by_{days}d"]["p95_ms"] / result[f"web_{days}d"]["p95_ms"], 1)

    t0 = time.perf_counter()
    data = report_build(scope, "monthly", TODAY.replace(day=1) - dt.timedelta(days=1), scope_name="总公司")
    result["monthly_figures_s"] = round(time.perf_counter() - t0, 2)
    t0 = time.perf_counter()
    xlsx = report_xlsx(data)
    result["monthly_xlsx_s"] = round(time.perf_counter() - t0, 2)
    t0 = time.perf_counter()
    pdf = report_pdf(data)
    result["monthly_pdf_s"] = round(time.perf_counter() - t0, 2)
    result["monthly_sizes_kb"] = [len(xlsx) // 1024, len(pdf) // 1024]
    result["monthly_xlsx_peak_mb"] = peak_mb(lambda: report_xlsx(data))[0]
    result["monthly_pdf_peak_mb"] = peak_mb(lambda: report_pdf(data))[0]

    api = WebClient()
    api.force_login(exporter)

    def export(fmt: str) -> int:
        r = api.get(f"/api/v1/clients/export/?format={fmt}")
        size = 0
        for chunk in r.streaming_content:
            size += len(chunk)
        return size

    for fmt in ("csv", "xlsx"):
        t0 = time.perf_counter()
        export(fmt)
        elapsed = time.perf_counter() - t0
        result[f"export_{fmt}_rows_per_s"] = round(result["clients"] / elapsed)
        result[f"export_{fmt}_s"] = round(elapsed, 1)
        result[f"export_{fmt}_peak_mb"] = peak_mb(lambda fmt=fmt: export(fmt))[0]
    traveller.stop()
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=50_000)
    parser.add_argument("--tasks-per-client", type=int, default=10)
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--child", action="store_true")
    parser.add_argument("--reuse", action="store_true", help="measure again on the database of an earlier run")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    if args.child:
        print(json.dumps(child(args)))
        return
    env = dict(os.environ)
    env["DATABASE_URL"] = PG_URL
    env["CARELOOP_DATA_DIR"] = "/tmp/careloop_bench_stats"
    env["CARELOOP_LOG_LEVEL"] = "WARNING"
    Path(env["CARELOOP_DATA_DIR"]).mkdir(parents=True, exist_ok=True)
    if not args.reuse:
        import psycopg

        with psycopg.connect("postgresql://127.0.0.1:5432/postgres", autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {PG_DB}")
            conn.execute(f"CREATE DATABASE {PG_DB}")
    cmd = [sys.executable, __file__, "--child", "--clients", str(args.clients), "--tasks-per-client",
           str(args.tasks_per_client), "--requests", str(args.requests)] + (["--reuse"] if args.reuse else [])
    t0 = time.perf_counter()
    out = subprocess.run(cmd, env=env, cwd=ROOT, capture_output=True, text=True, check=False)
    if out.returncode != 0:
        sys.stderr.write(out.stderr[-5000:])
        raise SystemExit("run failed")
    result = json.loads(out.stdout.strip().splitlines()[-1])
    result["wall_s"] = round(time.perf_counter() - t0, 1)
    for key, value in result.items():
        print(f"{key:32s} {value}")


if __name__ == "__main__":
    main()
