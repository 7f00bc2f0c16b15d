"""Benchmark of the supervision sample (QA-2): drawing a reproducible 5% sample of the signed
follow-up records of one quarter, per staff member, on PostgreSQL.

Run:  DATABASE_URL=postgres://127.0.0.1:5432/bench_quality .venv/bin/python bench/quality_bench.py \
          [--records 200000] [--staff 200] [--repeat 5]

The database named in DATABASE_URL is created if missing, migrated, and (re)filled with synthetic
rows: ``--staff`` nurses, 1,000 clients, one closed task and one record per ``--records`` (95% signed,
spread over the quarter and three channels). Measured in the same run, each ``--repeat`` times:

* ours: ``careloop.quality.sampling.draw`` (md5(seed:staff:id) ranked per staff member and channel
  by a window function, 5%, at least 2, at most 10 per person — the shipped plan; then 5%, no cap);
* baseline 1: ``TABLESAMPLE SYSTEM (5)`` on the record table with the same filters (not per staff
  member, not reproducible unless REPEATABLE, blocks rather than rows);
* baseline 2: ``ORDER BY random()`` per staff member (row_number over random(), not reproducible).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def ensure_database(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    admin = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=200_000)
    parser.add_argument("--staff", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        sys.exit("Set DATABASE_URL to a PostgreSQL database (it is created, migrated and filled).")
    ensure_database(url)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "careloop.settings")
    os.environ.setdefault("CARELOOP_DATA_DIR", "/tmp/quality-bench-var")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    from careloop.org.models import OrgUnit, User
    from careloop.quality import sampling
    from careloop.quality.models import SamplingPlan
    from tests.factories import make_client

    start, end = date(2026, 7, 1), date(2026, 9, 30)
    branch = OrgUnit.objects.filter(code="bench").first() or OrgUnit.objects.create(name="压测分公司", kind="branch",
                                                                                    code="bench")
    t0 = time.perf_counter()
    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM followups_followuprecord")
        existing = cur.fetchone()[0]
    if existing != args.records:
        with connection.cursor() as cur:
            cur.execute("TRUNCATE followups_followuprecord, followups_followuptask CASCADE")
        staff = list(User.objects.filter(username__startswith="bench_nurse_").order_by("pk"))
        if len(staff) < args.staff:
            User.objects.bulk_create([User(username=f"bench_nurse_{i}", org_unit=branch)
                                      for i in range(len(staff), args.staff)])
            staff = list(User.objects.filter(username__startswith="bench_nurse_").order_by("pk"))
        clients = list(branch.clients.values_list("pk", flat=True)) if hasattr(branch, "clients") else []
        if not clients:
            clients = [make_client(branch=branch, name=f"压测{i}", birth_date=date(1950, 1, 1) + timedelta(days=i)).pk
                       for i in range(1000)]
        staff_ids = [u.pk for u in staff[: args.staff]]
        with connection.cursor() as cur:
            cur.execute("""
                INSERT INTO followups_followuptask (client_id, sequence, total, labels, reason, due_date, status,
                    channel, priority, attempt_count, close_reason, created_at, updated_at, assignee_id, closed_at)
                SELECT (%(clients)s::int[])[1 + g %% array_length(%(clients)s::int[], 1)], 1, 1, '', 'bench',
                       %(start)s::date + (g %% 92), 'done', (ARRAY['phone','sms','wechat'])[1 + g %% 3], 0, 0, '',
                       now(), now(), (%(staff)s::int[])[1 + (g * 7919) %% array_length(%(staff)s::int[], 1)], now()
                FROM generate_series(1, %(n)s) AS g""",
                        {"clients": clients, "staff": staff_ids, "start": start, "n": args.records})
            cur.execute("""
                INSERT INTO followups_followuprecord (task_id, client_id, channel, performed_at, performed_by_id,
                    identity_confirmed, answers, client_words, guidance, next_step, problem, problem_note,
                    recheck_item, feedback_kind, feedback_text, signed_by_id, signed_at, created_at)
                SELECT t.id, t.client_id, t.channel, t.due_date + time '10:00', t.assignee_id, true, '{}', '', '',
                       '', 'none', '', '', '', '', CASE WHEN t.id % 20 = 0 THEN NULL ELSE t.assignee_id END,
                       CASE WHEN t.id % 20 = 0 THEN NULL ELSE t.due_date + time '10:30' END, now()
                FROM followups_followuptask t""")
            cur.execute("ANALYZE followups_followuprecord")
            cur.execute("ANALYZE followups_followuptask")
            cur.execute("ANALYZE clients_client")
    print(f"data: {args.records} records, {args.staff} staff, ready in {time.perf_counter() - t0:.1f} s")

    unit_ids = [branch.pk]
    shipped = SamplingPlan.objects.get(code="quarterly")
    uncapped = SamplingPlan(code="uncapped", percent=Decimal(5), minimum=2, maximum=32000, stratum="channel")
    seed = sampling.period_seed("bench", start, end, shipped.code)
    records_sql = """FROM followups_followuprecord r JOIN clients_client c ON c.id = r.client_id
                     WHERE r.signed_at IS NOT NULL AND r.performed_at >= %s AND r.performed_at < %s + 1
                     AND c.branch_id = ANY(%s)"""

    def tablesample() -> int:
        with connection.cursor() as cur:
            cur.execute("SELECT r.id " + records_sql.replace("followups_followuprecord r",
                                                            "followups_followuprecord r TABLESAMPLE SYSTEM (5)"),
                        [start, end, unit_ids])
            return len(cur.fetchall())

    def random_per_staff() -> int:
        with connection.cursor() as cur:
            cur.execute("SELECT id FROM (SELECT r.id, row_number() OVER (PARTITION BY r.performed_by_id ORDER BY "
                        "random()) AS k, count(*) OVER (PARTITION BY r.performed_by_id) AS n " + records_sql
                        + ") s WHERE k <= ceil(n * 0.05)", [start, end, unit_ids])
            return len(cur.fetchall())

    def ours(plan: SamplingPlan) -> int:
        return len(sampling.draw(unit_ids=unit_ids, start=start, end=end, plan=plan, seed=seed))

    cases = [("ours, shipped plan (5%, 2..10 per person, by channel)", lambda: ours(shipped)),
             ("ours, 5% uncapped, by channel", lambda: ours(uncapped)),
             ("baseline: TABLESAMPLE SYSTEM (5)", tablesample),
             ("baseline: row_number() OVER (ORDER BY random()) per staff, 5%", random_per_staff)]
    results = {}
    for label, fn in cases:
        fn()  # warm
        times = []
        for _ in range(args.repeat):
            t = time.perf_counter()
            n = fn()
            times.append((time.perf_counter() - t) * 1000)
        times.sort()
        results[label] = (times[len(times) // 2], n)
    base = results["baseline: TABLESAMPLE SYSTEM (5)"][0]
    rand = results["baseline: row_number() OVER (ORDER BY random()) per staff, 5%"][0]
    print(f"{'query':<66} {'median ms':>10} {'rows':>7} {'×TABLESAMPLE':>13} {'×random()':>10}")
    for label, (ms, n) in results.items():
        print(f"{label:<66} {ms:>10.1f} {n:>7} {ms / base:>13.1f} {ms / rand:>10.2f}")
    again = sampling.draw(unit_ids=unit_ids, start=start, end=end, plan=shipped, seed=seed)
    first = sampling.draw(unit_ids=unit_ids, start=start, end=end, plan=shipped, seed=seed)
    print("reproducible:", [d.record_id for d in again] == [d.record_id for d in first])


if __name__ == "__main__":
    main()
