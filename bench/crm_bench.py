"""CRM benchmarks: tier recomputation against the bare SQL aggregation, and booking under contention.

    .venv/bin/python bench/crm_bench.py --clients 20000 --rows-per-client 20          # PostgreSQL
    .venv/bin/python bench/crm_bench.py --clients 1000000 --rows-per-client 20       # the issue's scale

In a fresh PostgreSQL database `careloop_bench_crm` (dropped and re-created; `BENCH_PG_DB` names another,
`--keep` keeps it for EXPLAIN) it migrates, fills clients (random starting tiers) and ledger rows with
set-based SQL generated in the server (no row through Python) into the two tables stripped of their
secondary indexes and foreign keys, which are built and validated once after the load (`bulk_load`:
20,000,000 ledger rows would otherwise queue 20,000,000 deferred FK checks and update three indexes
each), then measures in one process:

1. the bare aggregation a recomputation needs (SUM and visit counts per client over the window,
   GROUP BY, every row fetched) — the baseline;
2. `compute_moves` (the whole decision: active-client count, top-share threshold, the aggregation
   joined to clients, overrides, chronic sources, classification and the reason of every move),
   moves counted, not kept (`keep_moves=False`, as the nightly job) when the code offers it — ratio
   to (1), best of three, timed without tracemalloc; then one more run under tracemalloc for the
   Python peak (its time is reported as `compute_moves_traced_s`: tracing slows every allocation),
   the RSS before it and the process's max RSS;
3. `tiers_recompute` applying the moves (tier history row and audit row per moved client, the
   follow-up re-plan of each moved client; `--encounter-share` of the clients have a checkup with
   planned follow-ups, so the FU-6 upkeep series really moves) — moves per second;
4. booking under contention: 8 threads (8 database connections) book 100 slots of capacity 4 with
   more attempts than places, through `appointment_book` (scope, window, conditional UPDATE,
   confirmation + reminder in the outbox, audit row); then checks that no slot is overbooked and
   that each slot's counter equals its bookings; p50/p95 per attempt.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import inspect
import json
import os
import random
import resource
import subprocess
import sys
import threading
import time
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PG_DB = os.environ.get("BENCH_PG_DB", "careloop_bench_crm")
PG_URL = f"postgres://127.0.0.1:5432/{PG_DB}"


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return 0.0
    k = max(0, min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1))))
    return ordered[k]


@contextlib.contextmanager
def bulk_load(cursor, table: str) -> Iterator[None]:
    """Drop ``table``'s secondary indexes and its own foreign keys for a bulk load; re-create them after."""
    cursor.execute(
        "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i "
        "WHERE i.indrelid = %s::regclass AND NOT i.indisprimary "
        "AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid)", [table])
    indexes = cursor.fetchall()
    cursor.execute("SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                   "WHERE conrelid = %s::regclass AND contype = 'f'", [table])
    fks = cursor.fetchall()
    for name, _definition in fks:
        cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
    for name, _definition in indexes:
        cursor.execute(f"DROP INDEX {name}")
    yield
    for _name, definition in indexes:
        cursor.execute(definition)
    for name, definition in fks:
        cursor.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')


def populate(n_clients: int, per_client: int) -> dict:
    from django.db import connection
    from django.utils import timezone

    from careloop.clients.models import Client
    from careloop.org.models import RoleGrant, UnitKind, User
    from careloop.org.services import orgunit_create_raw

    hq = orgunit_create_raw(name="总公司", kind=UnitKind.HQ, parent=None, code="hq")
    branch = orgunit_create_raw(name="分公司", kind=UnitKind.BRANCH, parent=hq, code="b0")
    site = orgunit_create_raw(name="体检中心", kind=UnitKind.SITE, parent=branch, code="s0")
    desk = User.objects.create(username="desk", password="!", org_unit=hq)
    RoleGrant.objects.create(user=desk, role="service")
    now = timezone.now().isoformat()
    today = timezone.localdate()
    client_cols = [f.column for f in Client._meta.concrete_fields if f.column != "id"]
    exprs = {
        "name": "'客户' || x", "sex": "CASE WHEN x %% 2 = 0 THEN 'male' ELSE 'female' END",
        "birth_date": "'1970-01-01'", "tier": "CASE x %% 3 WHEN 0 THEN 'A' WHEN 1 THEN 'B' ELSE 'C' END",
        "status": "'active'", "branch_id": str(branch.pk), "health_manager_id": "NULL", "family_doctor_id": "NULL",
        "id_number_hash": "NULL", "preferred_channels": "'[]'", "created_at": f"'{now}'", "updated_at": f"'{now}'",
        "is_vip": "false",
    }
    select = [exprs.get(c, "''") + f" AS {c}" for c in client_cols]
    with connection.cursor() as cursor:
        cursor.execute("SET maintenance_work_mem = '512MB'")  # index builds after the load
    with connection.cursor() as cursor, bulk_load(cursor, "clients_client"), bulk_load(cursor, "crm_ledgerentry"):
        # Server-side generation (no rows through Python) into tables without their secondary indexes and
        # foreign keys, which are put back (built and validated once each) when the load is over: 20,000,000
        # ledger rows would otherwise queue one deferred FK check each and update three indexes per row.
        cursor.execute(f"INSERT INTO clients_client ({', '.join(client_cols)}) "
                       f"SELECT {', '.join(select)} FROM generate_series(1, %s) AS x", [n_clients])
        cursor.execute("SELECT MIN(id) FROM clients_client")
        first = cursor.fetchone()[0]
        # Skewed value: a fifth of the clients spend ~8x the rest; visits and checkups mixed in.
        cursor.execute(
            "INSERT INTO crm_ledgerentry (client_id, date, kind, amount, note, source, created_at) "
            "SELECT %s + (r %% %s), %s::date - ((r::bigint * 7919) %% 360)::int, "
            "CASE WHEN r %% 10 < 5 THEN 'visit' WHEN r %% 10 < 7 THEN 'checkup' "
            "     WHEN r %% 50 = 49 THEN 'refund' ELSE 'purchase' END, "
            "CASE WHEN r %% 50 = 49 THEN -100 "
            "     WHEN (r %% %s) %% 5 = 0 THEN 400 + (r %% 997) ELSE 50 + (r %% 97) END, '', 'bench', %s "
            "FROM generate_series(0, %s - 1) AS r",
            [first, n_clients, today, n_clients, now, n_clients * per_client],
        )
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE clients_client")
        cursor.execute("VACUUM ANALYZE crm_ledgerentry")
    return {"site": site.pk, "desk": desk.pk, "first_client": first}


def plan_encounters(n_clients: int, share: float, first: int) -> int:
    """Give every 1/share-th client a checkup with its follow-ups planned (encounter_bulk_create, the import
    path), so that applying tier moves has real upkeep series (FU-6) to re-plan, as in a centre."""
    from django.utils import timezone

    from careloop.clients.models import Client
    from careloop.followups.services.planning import EncounterRow, encounter_bulk_create

    if share <= 0:
        return 0
    step = max(1, round(1 / share))
    ids = list(range(first, first + n_clients, step))
    day = timezone.localdate() - dt.timedelta(days=20)
    made = 0
    for i in range(0, len(ids), 2000):
        clients = list(Client.objects.filter(pk__in=ids[i:i + 2000]))
        rows = [EncounterRow(client=c, kind="checkup", date=day, health_status="normal") for c in clients]
        made += len(encounter_bulk_create(rows=rows, source="bench", acting_user=None))
    return made


def bare_aggregation(today: dt.date) -> tuple[float, int]:
    from django.db import connection

    start = today - dt.timedelta(days=364)
    recent = today - dt.timedelta(days=89)
    t0 = time.perf_counter()
    n = 0
    with connection.chunked_cursor() as cursor:
        cursor.execute(
            "SELECT client_id, SUM(amount), SUM(CASE WHEN kind IN ('visit','checkup') THEN 1 ELSE 0 END), "
            "SUM(CASE WHEN kind IN ('visit','checkup') AND date >= %s THEN 1 ELSE 0 END) "
            "FROM crm_ledgerentry WHERE date >= %s AND date <= %s GROUP BY client_id",
            [recent, start, today],
        )
        while True:
            rows = cursor.fetchmany(2000)
            if not rows:
                break
            n += len(rows)
    return time.perf_counter() - t0, n


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


def bare_aggregation_today() -> tuple[float, int]:
    from django.utils import timezone

    return bare_aggregation(timezone.localdate())


def bench_tiers(apply: bool = True, trace: bool = True) -> dict:
    from django.utils import timezone

    from careloop.crm.services import tiers_recompute
    from careloop.crm.tiers import compute_moves

    today = timezone.localdate()
    # The decision as the nightly run makes it: moves streamed and counted, not kept (``keep_moves``), when the
    # code offers it (the "before" code of commit a750d2c keeps every move in a list).
    streamed = "keep_moves" in inspect.signature(compute_moves).parameters
    decide = (lambda: compute_moves(today=today, keep_moves=False)) if streamed else (lambda: compute_moves(today=today))
    bare, ours = [], []
    rss_before = rss_mb()
    for _ in range(3):  # timed without tracemalloc (it slows every Python allocation two- to threefold)
        seconds, groups = bare_aggregation(today)
        bare.append(seconds)
        t0 = time.perf_counter()
        preview = decide()
        ours.append(time.perf_counter() - t0)
    traced_s, peak = 0.0, 0
    if trace:  # one more run for the Python peak, timed too (the bench's way before this change)
        tracemalloc.start()
        t0 = time.perf_counter()
        decide()
        traced_s = time.perf_counter() - t0
        _current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    moves = preview.moved if streamed else len(preview.moves)
    common = {
        "bare_aggregation_s": round(min(bare), 3), "aggregated_clients": groups,
        "compute_moves_s": round(min(ours), 3), "ratio": round(min(ours) / min(bare), 2),
        "compute_moves_traced_s": round(traced_s, 3), "moves_streamed": streamed,
        "moves": moves, "moves_by_pair": {f"{a}->{b}": n for (a, b), n in sorted(preview.by_pair.items())},
        "compute_peak_python_mb": round(peak / 1e6, 1), "rss_before_compute_mb": rss_before,
        "max_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "loadavg": " ".join(Path("/proc/loadavg").read_text().split()[:3]),
    }
    if not apply:
        return common
    t0 = time.perf_counter()
    result = tiers_recompute()
    apply_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    again = tiers_recompute(dry_run=True)
    second_s = time.perf_counter() - t0
    moved = len(result.moves) if hasattr(result, "moves") and result.moves else getattr(result, "moved", 0)
    return {
        **common,
        "recompute_applied_s": round(apply_s, 1), "applied_moves": moved,
        "apply_moves_per_s": round(moved / max(apply_s, 1e-9), 1),
        "second_run_moves": getattr(again, "moved", len(again.moves)), "second_run_s": round(second_s, 3),
        "max_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def bench_booking(setup: dict, threads: int, slots: int, capacity: int, attempts: int) -> dict:
    from django.db import connections
    from django.utils import timezone

    from careloop.clients.models import Client
    from careloop.crm.models import Appointment, AppointmentService, Slot
    from careloop.crm.services import BookingConflict, appointment_book
    from careloop.org.models import User

    service = AppointmentService.objects.get(code="checkup")
    base = timezone.now().replace(minute=0, second=0, microsecond=0) + dt.timedelta(hours=2)
    Slot.objects.bulk_create([Slot(site_id=setup["site"], service=service, start=base + dt.timedelta(minutes=30 * i),
                                   capacity=capacity) for i in range(slots)])
    slot_list = list(Slot.objects.filter(site_id=setup["site"]).order_by("start"))
    client_ids = list(Client.objects.filter(tier="A").values_list("pk", flat=True)[:attempts])
    rng = random.Random(7)
    jobs = [(client_ids[i % len(client_ids)], rng.choice(slot_list).pk) for i in range(attempts)]
    chunks = [jobs[i::threads] for i in range(threads)]
    latencies: list[float] = []
    outcomes: dict[str, int] = {}
    lock = threading.Lock()
    barrier = threading.Barrier(threads)

    def work(chunk: list[tuple[int, int]]) -> None:
        desk = User.objects.get(pk=setup["desk"])
        barrier.wait()
        for client_id, slot_id in chunk:
            client = Client.objects.get(pk=client_id)
            slot = Slot.objects.get(pk=slot_id)
            t0 = time.perf_counter()
            try:
                appointment_book(client=client, slot=slot, acting_user=desk)
                outcome = "booked"
            except BookingConflict as exc:
                outcome = exc.conflict
            elapsed = (time.perf_counter() - t0) * 1000
            with lock:
                latencies.append(elapsed)
                outcomes[outcome] = outcomes.get(outcome, 0) + 1
        connections.close_all()

    t0 = time.perf_counter()
    pool = [threading.Thread(target=work, args=(c,)) for c in chunks]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    wall = time.perf_counter() - t0
    over = Slot.objects.filter(booked__gt=capacity).count()
    mismatched = 0
    for slot in Slot.objects.filter(site_id=setup["site"]):
        if slot.booked != Appointment.objects.filter(slot=slot, status="booked").count():
            mismatched += 1
    return {
        "threads": threads, "slots": slots, "capacity": capacity, "attempts": attempts, "outcomes": outcomes,
        "places": slots * capacity, "overbooked_slots": over, "counter_mismatches": mismatched,
        "booking_p50_ms": round(pct(latencies, 50), 1), "booking_p95_ms": round(pct(latencies, 95), 1),
        "booking_max_ms": round(max(latencies), 1), "wall_s": round(wall, 1),
        "attempts_per_s": round(attempts / wall, 1),
    }


def steady_state() -> dict:
    """Every client put at its computed tier (in bulk), then the decision again: the nightly case."""
    from careloop.clients.models import Client
    from careloop.crm.tiers import compute_moves

    by_tier: dict[str, list[int]] = {}
    for move in compute_moves().moves:  # arrangement: put every client at its computed tier in bulk
        by_tier.setdefault(move.new, []).append(move.client_id)
    for tier, ids in by_tier.items():
        for i in range(0, len(ids), 50_000):
            Client.objects.filter(pk__in=ids[i:i + 50_000]).update(tier=tier)
    steady_bare = min(bare_aggregation_today()[0] for _ in range(3))
    times = []
    for _ in range(3):
        t0 = time.perf_counter()
        compute_moves()
        times.append(time.perf_counter() - t0)
    return {"steady_bare_s": round(steady_bare, 3), "steady_compute_moves_s": round(min(times), 3),
            "steady_ratio": round(min(times) / steady_bare, 2)}


def child(args: argparse.Namespace) -> dict:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "careloop.settings")
    django.setup()
    from django.core.management import call_command

    if args.reuse:  # the kept database of an earlier run: its starting tiers back, then measure the decision
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("SELECT MIN(id), COUNT(*) FROM clients_client")
            first, count = cursor.fetchone()
            cursor.execute("UPDATE clients_client SET tier = CASE (id - %s + 1) %% 3 WHEN 0 THEN 'A' WHEN 1 THEN 'B' "
                           "ELSE 'C' END", [first])
            cursor.execute("SELECT COUNT(*) FROM crm_ledgerentry")
            rows = cursor.fetchone()[0]
            cursor.execute("SELECT COUNT(*) FROM followups_encounter")
            encounters = cursor.fetchone()[0]
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE clients_client")
        result = {"clients": count, "ledger_rows": rows, "encounters_with_followups": encounters, "reused": PG_DB}
        result.update(bench_tiers(apply=False, trace=not args.no_trace))
        if args.steady:
            result.update(steady_state())
        return result
    t0 = time.perf_counter()
    call_command("migrate", verbosity=0)
    t1 = time.perf_counter()
    setup = populate(args.clients, args.rows_per_client)
    encounters = plan_encounters(args.clients, args.encounter_share, setup["first_client"])
    t2 = time.perf_counter()
    result = {"clients": args.clients, "ledger_rows": args.clients * args.rows_per_client,
              "encounters_with_followups": encounters,
              "migrate_s": round(t1 - t0, 1), "populate_s": round(t2 - t1, 1)}
    result.update(bench_tiers(apply=not args.no_apply))
    if args.no_apply:  # a steady-state run too: every client already at its computed tier
        result.update(steady_state())
    result.update(bench_booking(setup, args.threads, args.slots, args.capacity, args.attempts))
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=20_000)
    parser.add_argument("--rows-per-client", type=int, default=20)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--slots", type=int, default=100)
    parser.add_argument("--capacity", type=int, default=4)
    parser.add_argument("--attempts", type=int, default=800)
    parser.add_argument("--encounter-share", type=float, default=0.2,
                        help="share of clients with a checkup and its planned follow-ups (0 = none, as before)")
    parser.add_argument("--no-apply", action="store_true",
                        help="measure the decision only (no per-move writes), then a steady-state run")
    parser.add_argument("--keep", action="store_true", help="keep the bench database (for EXPLAIN) instead of dropping it")
    parser.add_argument("--reuse", action="store_true",
                        help="measure the decision again on the kept database BENCH_PG_DB (starting tiers put back)")
    parser.add_argument("--no-trace", action="store_true", help="with --reuse: no tracemalloc run (no Python peak)")
    parser.add_argument("--steady", action="store_true", help="with --reuse: the steady-state run too")
    parser.add_argument("--child", action="store_true")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    if args.child:
        print(json.dumps(child(args), ensure_ascii=False))
        return
    import psycopg

    if not args.reuse:
        with psycopg.connect("postgresql://127.0.0.1:5432/postgres", autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {PG_DB}")
            conn.execute(f"CREATE DATABASE {PG_DB}")
    env = dict(os.environ)
    env.update({"DATABASE_URL": PG_URL, "CARELOOP_DATA_DIR": f"/tmp/{PG_DB}", "CARELOOP_LOG_LEVEL": "WARNING",
                "PYTHONPATH": str(ROOT)})
    Path(env["CARELOOP_DATA_DIR"]).mkdir(parents=True, exist_ok=True)
    cmd = [sys.executable, __file__, "--child", *sys.argv[1:]]
    t0 = time.perf_counter()
    out = subprocess.run(cmd, env=env, cwd=ROOT, capture_output=True, text=True, check=False)
    if out.returncode != 0:
        sys.stderr.write(out.stderr[-5000:])
        raise SystemExit("run failed")
    result = json.loads(out.stdout.strip().splitlines()[-1])
    result["wall_total_s"] = round(time.perf_counter() - t0, 1)
    for key, value in result.items():
        print(f"{key:28s} {value}")
    if not args.keep and not args.reuse:
        with psycopg.connect("postgresql://127.0.0.1:5432/postgres", autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {PG_DB}")


if __name__ == "__main__":
    main()
