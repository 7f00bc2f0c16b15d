"""Audited writes per second with 1, 4 and 16 concurrent writers on PostgreSQL (issue 20 item 1).

In a fresh database `careloop_bench_audit` (dropped and re-created) it migrates, then for each number of
writers runs, in the same run:
- ``locked``: the chain as it was before the sealer — each write takes the global advisory lock, reads the
  chain's last row and inserts, holding the lock until COMMIT (emulated over today's table);
- ``sealed``: today's ``audit_record`` (one INSERT, no lock), each in its own transaction;
- ``bare``: a plain INSERT of the same row into a copy of the table without triggers (the floor).
Then an import-like writer holds its transaction (10,000 audit rows) open for 2 s while 4 writers go on:
their worst latency shows whether the import blocks them. Last, ``audit_seal()`` chains everything written
(rows/s) and ``verify_chain`` checks it.

    .venv/bin/python bench/audit_bench.py --writes 300
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PG_DB = os.environ.get("BENCH_PG_DB", "careloop_bench_audit")
PG_URL = f"postgres://127.0.0.1:5432/{PG_DB}"


def _write(mode: str, n: int, i: int) -> None:
    from django.db import connection, transaction

    from careloop.audit.models import AuditEvent
    from careloop.audit.services import _PG_LOCK_KEY, audit_record

    with transaction.atomic():
        if mode == "locked":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_PG_LOCK_KEY])
            AuditEvent.objects.order_by("-append_id").values("append_id", "mac").first()
            audit_record(actor=None, action="client.view", detail={"w": n, "i": i})
        elif mode == "sealed":
            audit_record(actor=None, action="client.view", detail={"w": n, "i": i})
        else:
            with connection.cursor() as cursor:
                cursor.execute(
                    "INSERT INTO bench_audit_plain (at, actor_name, roles, action, object_type, object_id, ip, channel,"
                    " result, detail, mac) VALUES (now(), '', '', 'client.view', '', '', '', 'cli', 'ok', %s::jsonb, '')",
                    [json.dumps({"w": n, "i": i})],
                )


def run_writers(mode: str, writers: int, writes: int, *, warm: bool = True) -> dict:
    from django.db import connections

    barrier = threading.Barrier(writers + 1)
    latencies: list[float] = []
    lock = threading.Lock()

    def work(n: int) -> None:
        mine = []
        try:
            try:
                if warm:
                    _write(mode, n, -1)  # connect before the clock starts
            except BaseException:
                barrier.abort()
                raise
            barrier.wait()
            for i in range(writes):
                t0 = time.perf_counter()
                _write(mode, n, i)
                mine.append(time.perf_counter() - t0)
        finally:
            connections.close_all()
            with lock:
                latencies.extend(mine)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(writers)]
    for t in threads:
        t.start()
    barrier.wait()
    t0 = time.perf_counter()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    latencies.sort()
    return {"writes_per_s": round(writers * writes / wall, 1),
            "p95_ms": round(latencies[int(len(latencies) * 0.95)] * 1000, 2), "max_ms": round(latencies[-1] * 1000, 1)}


def run_import_blocking(mode: str) -> dict:
    """Latencies (ms) of 4 writers while an import-like transaction with 10,000 audit rows stays open 2 s."""
    from django.db import connection, connections, transaction

    from careloop.audit.services import _PG_LOCK_KEY, audit_record_many

    started = threading.Event()

    def importer() -> None:
        try:
            with transaction.atomic():
                if mode == "locked":
                    with connection.cursor() as cursor:
                        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_PG_LOCK_KEY])
                audit_record_many(actor=None, entries=[{"action": "checkup.create", "detail": {"i": i}}
                                                       for i in range(10_000)])
                started.set()
                time.sleep(2)
        finally:
            connections.close_all()

    thread = threading.Thread(target=importer)
    thread.start()
    started.wait()
    result = run_writers(mode, 4, 20, warm=False)  # a warm-up write would take the wait off the clock
    thread.join()
    return result


def child(args: argparse.Namespace) -> dict:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "careloop.settings")
    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from careloop.audit.models import AuditEvent
    from careloop.audit.services import audit_seal
    from careloop.audit.verify import verify_chain

    call_command("migrate", verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE bench_audit_plain (LIKE audit_auditevent INCLUDING DEFAULTS INCLUDING IDENTITY)")
    result: dict = {"cpus": os.cpu_count(), "load_before": os.getloadavg()[0]}
    for writers in () if args.only_import else (1, 4, 16):
        for mode in ("bare", "locked", "sealed"):
            figures = run_writers(mode, writers, args.writes)
            result[f"{mode}_{writers}_writes_per_s"] = figures["writes_per_s"]
            result[f"{mode}_{writers}_p95_ms"] = figures["p95_ms"]
    for mode in ("locked", "sealed"):
        figures = run_import_blocking(mode)
        result[f"import_open_2s_{mode}_writers_max_ms"] = figures["max_ms"]
        result[f"import_open_2s_{mode}_writes_per_s"] = figures["writes_per_s"]
    unsealed = AuditEvent.objects.filter(seq__isnull=True).count()
    t0 = time.perf_counter()
    sealed = audit_seal()
    seal_s = time.perf_counter() - t0
    result.update({"seal_rows": sealed.sealed, "unsealed_before": unsealed, "seal_s": round(seal_s, 2),
                   "seal_rows_per_s": round(sealed.sealed / seal_s, 1)})
    verdict = verify_chain(update_checkpoint=False)
    result["verify"] = verdict.message
    result["load_after"] = os.getloadavg()[0]
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--writes", type=int, default=300, help="writes per writer per run")
    parser.add_argument("--child", action="store_true")
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--only-import", action="store_true", help="only the open-import figure")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    if args.child:
        print(json.dumps(child(args), ensure_ascii=False))
        return
    import psycopg

    with psycopg.connect("postgresql://127.0.0.1:5432/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {PG_DB}")
        conn.execute(f"CREATE DATABASE {PG_DB}")
    env = dict(os.environ)
    env.update({"DATABASE_URL": PG_URL, "CARELOOP_DATA_DIR": "/tmp/careloop_bench_audit", "CARELOOP_LOG_LEVEL": "WARNING",
                "PYTHONPATH": str(ROOT)})
    Path(env["CARELOOP_DATA_DIR"]).mkdir(parents=True, exist_ok=True)
    out = subprocess.run([sys.executable, __file__, "--child", *sys.argv[1:]], env=env, cwd=ROOT,
                         capture_output=True, text=True, check=False)
    if out.returncode != 0:
        sys.stderr.write(out.stderr[-5000:])
        raise SystemExit("run failed")
    for key, value in json.loads(out.stdout.strip().splitlines()[-1]).items():
        print(f"{key:40s} {value}")
    if not args.keep:
        with psycopg.connect("postgresql://127.0.0.1:5432/postgres", autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {PG_DB}")


if __name__ == "__main__":
    main()
