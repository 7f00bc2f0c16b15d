"""Benchmark: checkup results import (CSV and XLSX) against a bare bulk insert of the same rows.

    /work/main/.venv/bin/python bench/checkups_import.py --reports 10000          # SQLite (temp file)
    DATABASE_URL=postgres://127.0.0.1:5432/postgres \
        /work/main/.venv/bin/python bench/checkups_import.py --reports 10000      # PostgreSQL

Each measurement runs in its own process on a freshly migrated scratch database (SQLite: a file
in a temp dir; PostgreSQL: database ``bench_careloop_checkups``, dropped afterwards), so peak RSS
is that of one import. Printed per case: rows, seconds, rows/s, peak RSS and the RSS growth over
the process after Django start-up. Rows/s is given for the whole import and for the streaming
part alone (read, validate, grade, write items); the rest is the per-report work (checkup
encounter with its follow-up plan, delivery, interpretation, audit row).
Baselines in the same run: ``executemany`` of the same 11-column rows read by csv.reader into a
bare table, and on PostgreSQL ``COPY`` of the same file.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PG_BENCH_DB = "bench_careloop_checkups"


def rss_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def current_rss_mb() -> float:
    with open("/proc/self/statm") as fh:
        pages = int(fh.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 1024 / 1024


def scratch_env(data_dir: Path) -> dict[str, str]:
    env = dict(os.environ, CARELOOP_DATA_DIR=str(data_dir), DJANGO_SETTINGS_MODULE="careloop.settings",
               CARELOOP_LOG_LEVEL="WARNING")
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith("postgres"):
        env["DATABASE_URL"] = url.rsplit("/", 1)[0] + "/" + PG_BENCH_DB
    return env


def reset_postgres() -> None:
    import psycopg

    admin = os.environ["DATABASE_URL"]
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {PG_BENCH_DB} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {PG_BENCH_DB}")


def drop_postgres() -> None:
    import psycopg

    with psycopg.connect(os.environ["DATABASE_URL"], autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {PG_BENCH_DB} WITH (FORCE)")


def run_case(case: str, path: Path, env: dict[str, str]) -> dict:
    out = subprocess.run([sys.executable, __file__, "--child", case, str(path)], env=env, capture_output=True, text=True,
                         check=False)
    if out.returncode != 0:
        raise SystemExit(f"{case} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def child(case: str, path: str) -> None:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    from careloop.org.models import OrgUnit

    hq = OrgUnit.objects.filter(code="hq").first()
    if hq is None:
        from careloop.org.services import orgunit_create_raw

        hq = orgunit_create_raw(name="总公司", kind="hq", parent=None, code="hq")
    before = current_rss_mb()
    started = time.perf_counter()
    result: dict = {"case": case}
    if case in {"import_csv", "import_xlsx"}:
        from careloop.checkups.services import import_system_user, results_import, results_import_start

        marks: dict[str, float] = {}

        from careloop.checkups.importing import STREAM_SHARE

        def progress(rows: int, fraction: float) -> None:
            if fraction <= STREAM_SHARE:  # the last such call ends the streaming part
                marks["streamed"] = time.perf_counter()

        # Lenient: 39 of the 60 generated item codes (LAB00…) are not in the shipped catalogue.
        user = import_system_user()
        batch = results_import_start(upload=Path(path), branch=hq, acting_user=user, strict=False, enqueue=False)
        batch = results_import(batch=batch, acting_user=user, progress=progress)
        assert batch.status == "done", (batch.status, batch.errors[:3])
        elapsed = time.perf_counter() - started
        rows = batch.items_created
        result.update(rows=rows, seconds=elapsed, rows_per_s=rows / elapsed,
                      stream_seconds=marks["streamed"] - started,
                      stream_rows_per_s=rows / (marks["streamed"] - started), reports=batch.reports_created)
    elif case in {"executemany", "copy"}:
        import csv

        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE IF EXISTS bench_rows")
            cursor.execute(
                "CREATE TABLE bench_rows (exam_no varchar(64), id_number varchar(18), name varchar(50), sex varchar(6),"
                " exam_date varchar(10), code varchar(32), item_name varchar(100), value text, unit varchar(32),"
                " reference varchar(100), flag varchar(2))"
            )
        from django.db import transaction

        started = time.perf_counter()
        rows = 0
        with transaction.atomic(), connection.cursor() as cursor:
            if case == "copy":
                raw = cursor.cursor
                with open(path, "rb") as fh, raw.copy("COPY bench_rows FROM STDIN WITH (FORMAT csv, HEADER true)") as copy:
                    for block in iter(lambda: fh.read(1 << 20), b""):
                        copy.write(block)
                cursor.execute("SELECT count(*) FROM bench_rows")
                rows = cursor.fetchone()[0]
            else:
                placeholder = "%s" if connection.vendor == "postgresql" else "?"
                sql = f"INSERT INTO bench_rows VALUES ({', '.join([placeholder] * 11)})"
                raw = cursor.cursor
                with open(path, encoding="utf-8", newline="") as fh:
                    reader = csv.reader(fh)
                    next(reader)
                    chunk: list[list[str]] = []
                    for row in reader:
                        chunk.append(row)
                        if len(chunk) == 5000:
                            raw.executemany(sql, chunk)
                            rows += len(chunk)
                            chunk = []
                    if chunk:
                        raw.executemany(sql, chunk)
                        rows += len(chunk)
        elapsed = time.perf_counter() - started
        result.update(rows=rows, seconds=elapsed, rows_per_s=rows / elapsed)
    result.update(peak_rss_mb=rss_mb(), rss_growth_mb=max(0.0, rss_mb() - before), db=connection.vendor)
    print(json.dumps(result))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reports", type=int, default=10_000)
    parser.add_argument("--formats", default="csv,xlsx")
    parser.add_argument("--memory-check", action="store_true", help="also import a quarter-size CSV to compare peak memory")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "careloop.settings")
    from bench.checkups_files import write_csv, write_xlsx

    postgres = os.environ.get("DATABASE_URL", "").startswith("postgres")
    work = Path(tempfile.mkdtemp(prefix="bench-checkups-"))
    files = {"csv": work / f"results_{args.reports}.csv", "xlsx": work / f"results_{args.reports}.xlsx"}
    formats = args.formats.split(",")
    t = time.perf_counter()
    write_csv(files["csv"], args.reports)
    if "xlsx" in formats:
        write_xlsx(files["xlsx"], args.reports)
    print(f"# {args.reports} reports x 60 items = {args.reports * 60} rows; files written in {time.perf_counter() - t:.1f}s "
          f"(csv {files['csv'].stat().st_size / 1e6:.1f} MB)")
    print(f"# database: {'PostgreSQL' if postgres else 'SQLite'}; cores: {os.cpu_count()}")
    cases = [("executemany", files["csv"])]
    if postgres:
        cases.append(("copy", files["csv"]))
    cases += [(f"import_{fmt}", files[fmt]) for fmt in formats]
    if args.memory_check:
        small = work / f"results_{args.reports // 4}.csv"
        write_csv(small, args.reports // 4)
        cases.append(("import_csv", small))
    results = []
    for case, path in cases:
        data_dir = work / f"data-{len(results)}"
        data_dir.mkdir()
        if postgres:
            reset_postgres()
        result = run_case(case, path, scratch_env(data_dir))
        result["file"] = path.name
        results.append(result)
        extra = ""
        if "stream_rows_per_s" in result:
            extra = f"  streaming part {result['stream_rows_per_s']:>9,.0f} rows/s ({result['stream_seconds']:.1f}s)"
        print(f"{case:12} {path.name:22} {result['rows']:>8,} rows {result['seconds']:7.1f}s {result['rows_per_s']:>9,.0f} rows/s"
              f"  peak RSS {result['peak_rss_mb']:6.0f} MB (+{result['rss_growth_mb']:.0f}){extra}")
    if postgres:
        drop_postgres()
    import shutil

    shutil.rmtree(work, ignore_errors=True)
    base = results[0]["rows_per_s"]
    for r in results[1:]:
        print(f"ratio {r['case']} ({r['file']}) / executemany: {r['rows_per_s'] / base:.3f}"
              + (f" (streaming part {r['stream_rows_per_s'] / base:.3f})" if "stream_rows_per_s" in r else ""))


if __name__ == "__main__":
    main()
