"""Issue 9 "Measure and report": owners, series and worklists after the demo and a large results import.

    .venv/bin/python bench/followups_import_owners.py --reports 10000                 # SQLite (own data dir)
    DATABASE_URL=postgres://127.0.0.1:5432/postgres \
        .venv/bin/python bench/followups_import_owners.py --reports 10000             # PostgreSQL

End to end, in one child process on a fresh database (SQLite: a file in ``--data-dir``, default a temp
dir; PostgreSQL: database ``careloop_bench_loop9`` (``BENCH_PG_DB``), dropped and re-created, dropped at
the end unless ``--keep``):

1. ``careloop demo`` (the default realistic demo, dates laid relative to today), then the measures;
2. a results import of ``--reports`` × 60 rows (CONTRACT's default layout, ``bench/checkups_files.py``,
   exam dates spread over the 14 days before today; an ID number the generator repeats is the same person
   with a second report) into the Beijing branch by the clerk — new clients
   without a health manager, so every one of their follow-ups goes through the owner chain
   (followups/owners.py) — then the measures again.

Measures (``followups_health`` plus the split of the overflow):
- open tasks without an owner (no assignee, no team) — must be 0;
- clients with two overlapping series of the same rule (tasks, and planned messages) — must be 0;
- each follow-up nurse's worklist today (open, due today or overdue) against her daily capacity:
  min / median / max, how many are over capacity; and where the rest went: the follow-up teams'
  unassigned queues (which their leads see and hand out) and leads in person.

Baseline in the same run: a bare ``executemany`` of the same rows into a plain table (the import's
rows/s is given against it). ``--measure-only`` measures an existing database again (``--keep`` first).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PG_DB = os.environ.get("BENCH_PG_DB", "careloop_bench_loop9")


def _admin_url() -> str:
    return os.environ.get("DATABASE_URL", "")


def _postgres() -> bool:
    return _admin_url().startswith("postgres")


def _pg(sql: str) -> None:
    import psycopg

    with psycopg.connect(_admin_url(), autocommit=True) as conn:
        conn.execute(sql)


# --- child -----------------------------------------------------------------------------------------


def measures(today: dt.date) -> dict:
    from django.db.models import Count

    from careloop.followups.models import OPEN_STATUSES, FollowupTask
    from careloop.followups.selectors import followups_health
    from careloop.org.models import Role, Team, User

    started = time.perf_counter()
    report = followups_health(today=today)
    nurses = set(User.objects.filter(role_grants__role=Role.FOLLOWUP, is_active=True).values_list("username", flat=True))
    rows = [r for r in report["worklists"] if r["username"] in nurses]
    lengths = [r["today"] for r in rows]
    due = FollowupTask.objects.filter(status__in=OPEN_STATUSES, due_date__lte=today)
    teams = dict(Team.objects.values_list("pk", "name"))
    team_queues = {teams.get(t, str(t)): n for t, n in due.filter(assignee__isnull=True).values_list("team_id")
                   .annotate(n=Count("id")).values_list("team_id", "n")}
    leads = set(User.objects.filter(role_grants__role=Role.LEAD).values_list("pk", flat=True)) - set(
        User.objects.filter(role_grants__role=Role.FOLLOWUP).values_list("pk", flat=True))
    return {
        "orphans": report["orphans"],
        "overlapping_clients": report["overlapping_clients"],
        "overlapping_task_clients": report.get("overlapping_task_clients"),  # older trees: absent
        "overlapping_message_clients": report.get("overlapping_message_clients"),
        "open_tasks": FollowupTask.objects.filter(status__in=OPEN_STATUSES).count(),
        "due_by_today": due.count(),
        "nurses": len(rows),
        "worklist_min": min(lengths, default=0), "worklist_median": statistics.median(lengths) if lengths else 0,
        "worklist_max": max(lengths, default=0),
        "capacity": sorted({r["capacity"] for r in rows}),
        "over_capacity": sum(1 for r in rows if r["today"] > r["capacity"]),
        "per_nurse": {r["username"]: [r["today"], r["overdue"], r["capacity"]] for r in rows},
        "team_queues": team_queues,
        "leads_in_person": due.filter(assignee_id__in=leads).count(),
        "measure_seconds": round(time.perf_counter() - started, 2),
    }


def bare_executemany(path: str) -> dict:
    import csv

    from django.db import connection, transaction

    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_rows")
        cursor.execute(
            "CREATE TABLE bench_rows (exam_no varchar(64), id_number varchar(18), name varchar(50), sex varchar(6),"
            " exam_date varchar(10), code varchar(32), item_name varchar(100), value text, unit varchar(32),"
            " reference varchar(100), flag varchar(2))")
    placeholder = "%s" if connection.vendor == "postgresql" else "?"
    sql = f"INSERT INTO bench_rows VALUES ({', '.join([placeholder] * 11)})"
    rows = 0
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor, open(path, encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh)
        next(reader)
        chunk: list[list[str]] = []
        for row in reader:
            chunk.append(row)
            if len(chunk) == 5000:
                cursor.cursor.executemany(sql, chunk)
                rows, chunk = rows + len(chunk), []
        if chunk:
            cursor.cursor.executemany(sql, chunk)
            rows += len(chunk)
    seconds = time.perf_counter() - started
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE bench_rows")
    return {"rows": rows, "seconds": round(seconds, 1), "rows_per_s": round(rows / seconds)}


def child(args: argparse.Namespace) -> None:
    import io

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    today = timezone.localdate()
    out: dict = {"db": connection.vendor, "today": today.isoformat(), "load_start": os.getloadavg()}
    if args.measure_only:
        out["after_import"] = measures(today)
        print(json.dumps(out))
        return
    t = time.perf_counter()
    call_command("migrate", verbosity=0)
    out["migrate_s"] = round(time.perf_counter() - t, 1)
    t = time.perf_counter()
    call_command("demo", stdout=io.StringIO())
    out["demo_s"] = round(time.perf_counter() - t, 1)
    out["after_demo"] = measures(today)
    print(json.dumps({"after_demo": out["after_demo"]}), file=sys.stderr, flush=True)

    from careloop.checkups.services import results_import, results_import_start
    from careloop.org.models import OrgUnit, User

    clerk = User.objects.get(username="clerk")
    branch = OrgUnit.objects.get(code="bj")
    t = time.perf_counter()
    batch = results_import_start(upload=Path(args.csv), branch=branch, acting_user=clerk, strict=False, enqueue=False)
    batch = results_import(batch=batch, acting_user=clerk)
    seconds = time.perf_counter() - t
    if batch.status != "done":
        raise SystemExit(f"import {batch.status}: {batch.errors[:3]}")
    out["import"] = {"rows": batch.items_created, "reports": batch.reports_created, "seconds": round(seconds, 1),
                     "rows_per_s": round(batch.items_created / seconds)}
    out["after_import"] = measures(today)
    out["baseline_executemany"] = bare_executemany(args.csv)
    out["load_end"] = os.getloadavg()
    print(json.dumps(out))


# --- parent ----------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reports", type=int, default=10_000, help="reports in the file (60 rows each)")
    parser.add_argument("--data-dir", default="", help="SQLite data dir (default: a new temp dir)")
    parser.add_argument("--keep", action="store_true", help="keep the database for --measure-only")
    parser.add_argument("--measure-only", action="store_true")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--csv", default="", help=argparse.SUPPRESS)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "careloop.settings")
    if args.child:
        child(args)
        return
    data_dir = Path(args.data_dir or tempfile.mkdtemp(prefix="bench-fu-owners-"))
    data_dir.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, CARELOOP_DATA_DIR=str(data_dir), CARELOOP_LOG_LEVEL="WARNING", CARELOOP_DEMO_PASSWORD="bench")
    if _postgres():
        env["DATABASE_URL"] = _admin_url().rsplit("/", 1)[0] + "/" + PG_DB
    csv_path = data_dir / f"results_{args.reports}.csv"
    if not args.measure_only:
        if _postgres():
            _pg(f"DROP DATABASE IF EXISTS {PG_DB} WITH (FORCE)")
            _pg(f"CREATE DATABASE {PG_DB}")
        else:
            (data_dir / "careloop.sqlite3").unlink(missing_ok=True)
        import csv

        from bench.checkups_files import result_rows
        from careloop.checkups.layout import DEFAULT_HEADERS

        start = dt.date.today() - dt.timedelta(days=14)
        t = time.perf_counter()
        with open(csv_path, "w", encoding="utf-8", newline="") as fh:
            writer = csv.writer(fh)
            writer.writerow(list(DEFAULT_HEADERS.values()))
            names: dict[str, str] = {}  # the generator's ID numbers can repeat: the same person checked twice
            for row in result_rows(args.reports, start=start):
                row[2] = names.setdefault(row[1], row[2])
                writer.writerow(row)
        print(f"# {args.reports} reports x 60 = {args.reports * 60:,} rows, exam dates from {start}; "
              f"file written in {time.perf_counter() - t:.1f}s")
    print(f"# database: {'PostgreSQL ' + PG_DB if _postgres() else 'SQLite in ' + str(data_dir)}; "
          f"load average at start: {' '.join(f'{v:.2f}' for v in os.getloadavg())}", flush=True)
    cmd = [sys.executable, __file__, "--child", "--csv", str(csv_path)] + (["--measure-only"] if args.measure_only else [])
    started = time.perf_counter()
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    try:
        if proc.returncode != 0:
            raise SystemExit(f"child failed:\n{proc.stderr[-4000:]}")
        result = json.loads(proc.stdout.strip().splitlines()[-1])
    finally:
        if _postgres() and not args.keep:
            _pg(f"DROP DATABASE IF EXISTS {PG_DB} WITH (FORCE)")
        csv_path.unlink(missing_ok=True)
    result["total_s"] = round(time.perf_counter() - started, 1)
    print(json.dumps(result, indent=1, ensure_ascii=False))
    for phase in ("after_demo", "after_import"):
        m = result.get(phase)
        if not m:
            continue
        print(f"{phase}: orphans {m['orphans']}, overlapping clients {m['overlapping_clients']} "
              f"(messages {m['overlapping_message_clients']}), nurses {m['nurses']}, worklist min/median/max "
              f"{m['worklist_min']}/{m['worklist_median']}/{m['worklist_max']} vs capacity {m['capacity']}, "
              f"over capacity {m['over_capacity']}, team queues {m['team_queues']}, leads in person {m['leads_in_person']}")
    if "import" in result:
        imp, base = result["import"], result["baseline_executemany"]
        print(f"import: {imp['rows']:,} rows in {imp['seconds']}s = {imp['rows_per_s']:,} rows/s; bare executemany "
              f"{base['rows_per_s']:,} rows/s; ratio {imp['rows_per_s'] / base['rows_per_s']:.3f}")
    print(f"load average at end: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")


if __name__ == "__main__":
    main()
