"""Follow-up benchmarks: the nurse's worklist at scale, and scheduling new encounters.

    /work/main/.venv/bin/python bench/followups_bench.py --db both --clients 100000 --tasks-per-client 10
    /work/main/.venv/bin/python bench/followups_bench.py --db postgres --clients 1000000 --tasks-per-client 10

For each database (a fresh SQLite file under /tmp, or the PostgreSQL database
`careloop_bench_followups`, dropped and re-created) it migrates, fills clients and tasks with set-based
SQL, then measures:

1. worklist first page p50/p95 through the web view (`/followups/`, Django test client: middleware,
   session, template) and through the API (`/api/v1/followup-tasks/worklist/`), against the bare SQL
   query the page needs (same filter, order and limit, with the client join) — ratio = view / bare.
2. scheduling E new encounters through `encounter_bulk_create` (rules, planning, assignment, audit)
   in batches of 1,000, in tasks per second, against a bare insert of the same task rows (executemany
   on SQLite, COPY on PostgreSQL — the fastest bare way on each, and the one the service uses);
   and 1,000 encounters one by one through `encounter_create` (the interactive path).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PG_DB = os.environ.get("BENCH_PG_DB", "careloop_bench_followups")
PG_URL = f"postgres://127.0.0.1:5432/{PG_DB}"


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1))))
    return ordered[k]


# --- child: one database ---------------------------------------------------------------------------


def child(args: argparse.Namespace) -> dict:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "careloop.settings")
    django.setup()
    from django.core.management import call_command
    from django.db import connection

    t0 = time.perf_counter()
    call_command("migrate", verbosity=0)
    migrate_s = time.perf_counter() - t0
    today = dt.date(2026, 11, 23)
    t0 = time.perf_counter()
    if args.reuse:  # the database of an earlier run: measure the worklist again only
        from careloop.org.models import User

        nurses = list(User.objects.filter(username__startswith="nurse").values_list("pk", flat=True))
    else:
        nurses = populate(args.clients, args.tasks_per_client, today)
    populate_s = time.perf_counter() - t0
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    counts = table_counts()
    result = {"db": connection.vendor, "clients": counts["clients"], "tasks": counts["tasks"],
              "nurses": len(nurses), "migrate_s": round(migrate_s, 1), "populate_s": round(populate_s, 1)}
    result.update(bench_worklist(nurses, today, args.requests, args.profile))
    if not args.reuse and args.encounters:
        result.update(bench_scheduling(args.encounters, today))
    return result


def table_counts() -> dict:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM clients_client")
        clients = cursor.fetchone()[0]
        cursor.execute("SELECT COUNT(*) FROM followups_followuptask")
        tasks = cursor.fetchone()[0]
    return {"clients": clients, "tasks": tasks}


def populate(n_clients: int, per_client: int, today: dt.date) -> list[int]:
    """Units, one nurse per 500 clients (a team per branch of 10,000), clients and tasks, by set-based SQL."""
    from django.db import connection, transaction
    from django.utils import timezone

    from careloop.clients.models import Client
    from careloop.followups.models import FollowupRule
    from careloop.org.models import RoleGrant, Team, TeamMembership, UnitKind, User
    from careloop.org.services import orgunit_create_raw

    hq = orgunit_create_raw(name="总公司", kind=UnitKind.HQ, parent=None, code="hq")
    n_branches = max(1, n_clients // 10_000)
    branches = [orgunit_create_raw(name=f"分公司{i}", kind=UnitKind.BRANCH, parent=hq, code=f"b{i}")
                for i in range(n_branches)]
    n_nurses = max(1, n_clients // 500)
    users = User.objects.bulk_create([
        User(username=f"nurse{i}", password="!", org_unit=branches[i % n_branches]) for i in range(n_nurses)
    ], batch_size=2000)
    RoleGrant.objects.bulk_create([RoleGrant(user=u, role="followup") for u in users], batch_size=2000)
    teams = Team.objects.bulk_create([Team(name=f"随访组{i}", org_unit=b, kind="followup")
                                      for i, b in enumerate(branches)])
    TeamMembership.objects.bulk_create([TeamMembership(team=teams[i % n_branches], user=u)
                                        for i, u in enumerate(users)], batch_size=2000)
    nurse_ids = [u.pk for u in users]
    team_of_branch = {b.pk: t.pk for b, t in zip(branches, teams, strict=True)}
    first_nurse, first_branch = nurse_ids[0], branches[0].pk
    first_team = team_of_branch[first_branch]
    rules = list(FollowupRule.objects.order_by("pk").values_list("pk", flat=True))
    now = timezone.now().isoformat()
    pg = connection.vendor == "postgresql"
    # Ids are contiguous (fresh database): client c (1-based) → nurse (c-1) % n_nurses, branch of that nurse.
    client_cols = {f.column: f for f in Client._meta.concrete_fields if f.column != "id"}
    exprs = {
        "name": "'客户' || x", "sex": "CASE WHEN x % 2 = 0 THEN 'male' ELSE 'female' END",
        "birth_date": "'1970-01-01'", "tier": "CASE x % 3 WHEN 0 THEN 'A' WHEN 1 THEN 'B' ELSE 'C' END",
        "status": "'active'", "branch_id": f"{first_branch} + ((x - 1) % {n_nurses}) % {n_branches}",
        "health_manager_id": f"{first_nurse} + (x - 1) % {n_nurses}", "family_doctor_id": "NULL",
        "id_number_hash": "NULL", "preferred_channels": "'[]'", "created_at": f"'{now}'",
        "updated_at": f"'{now}'", "is_vip": "x % 10 = 0" if pg else "(x % 10 = 0)",
    }
    select = []
    for column, field in client_cols.items():
        if column in exprs:
            select.append(exprs[column])
        else:
            default = field.get_default()
            select.append("''" if default in ("", None) and not field.null else ("NULL" if default is None else f"'{default}'"))
    series = (f"generate_series(1, {n_clients}) AS s(x)" if pg else None)
    with transaction.atomic(), connection.cursor() as cursor:
        if pg:
            cursor.execute(f"INSERT INTO clients_client ({', '.join(client_cols)}) "
                           f"SELECT {', '.join(select)} FROM {series}")
        else:
            cursor.execute(f"WITH RECURSIVE s(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM s WHERE x < {n_clients}) "
                           f"INSERT INTO clients_client ({', '.join(client_cols)}) SELECT {', '.join(select)} FROM s")
        cursor.execute("SELECT MIN(id) FROM clients_client")
        first_client = cursor.fetchone()[0]
        # One encounter per client (real tasks come from one: the worklist's reason reads its kind,
        # prescription days and health status), kinds and prescriptions varied.
        enc_cols = ("client_id, kind, date, prescription_days, health_status, report_delivered_on, status, "
                    "cancel_reason, source, created_by_id, created_at, updated_at")
        kind = ("CASE x % 4 WHEN 0 THEN 'tcm_first_visit' WHEN 1 THEN 'tcm_return_visit' "
                "WHEN 2 THEN 'discharge' ELSE 'checkup' END")
        enc_date = (f"DATE '{today.isoformat()}' - 60" if pg else f"date('{today.isoformat()}', '-60 days')")
        enc_values = (f"{first_client} + x - 1, {kind}, {enc_date}, "
                      "CASE WHEN x % 4 < 2 THEN 14 + x % 3 * 15 ELSE NULL END, "
                      "CASE WHEN x % 4 = 3 THEN 'abnormal_stable' ELSE '' END, NULL, 'active', '', 'bench', NULL, "
                      f"'{now}', '{now}'")
        if pg:
            cursor.execute(f"INSERT INTO followups_encounter ({enc_cols}) SELECT {enc_values} FROM {series}")
        else:
            cursor.execute(f"WITH RECURSIVE s(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM s WHERE x < {n_clients}) "
                           f"INSERT INTO followups_encounter ({enc_cols}) SELECT {enc_values} FROM s")
        cursor.execute("SELECT MIN(id) FROM followups_encounter")
        first_encounter = cursor.fetchone()[0]
        # Task k of client c: due over [today − 60, today + 364]; the past mostly done, some missed,
        # the last days (and 1 % of older ones) still open — a nurse has ~50 due or overdue today.
        days = "((c * 7 + k * 37) % 425) - 60"
        due = (f"(DATE '{today.isoformat()}' + ({days}))" if pg
               else f"date('{today.isoformat()}', ({days}) || ' days')")
        status = (f"CASE WHEN {days} < -3 AND (c + k) % 100 <> 0 THEN "
                  f"(CASE WHEN (c + k) % 10 = 0 THEN 'missed' ELSE 'done' END) ELSE 'pending' END")
        cols = ("client_id, encounter_id, rule_id, sequence, total, labels, reason, due_date, window_end, status, "
                "channel, priority, assignee_id, team_id, next_attempt_at, attempt_count, closed_at, close_reason, "
                "created_at, updated_at")
        values = (f"{first_client} + c - 1, {first_encounter} + c - 1, {rules[0]} + (k % {len(rules)}), 1 + k % 3, 3, '', '', {due}, "
                  f"NULL, {status}, 'phone', (c % 3) * 10 + (k % 4) * 5, {first_nurse} + (c - 1) % {n_nurses}, "
                  f"{first_team} + ((c - 1) % {n_nurses}) % {n_branches}, NULL, 0, NULL, '', '{now}', '{now}'")
        chunk = 100_000
        for start in range(1, n_clients + 1, chunk):
            stop = min(n_clients, start + chunk - 1)
            if pg:
                cursor.execute(f"INSERT INTO followups_followuptask ({cols}) SELECT {values} "
                               f"FROM generate_series({start}, {stop}) AS a(c), generate_series(0, {per_client - 1}) AS b(k)")
            else:
                cursor.execute(
                    f"WITH RECURSIVE a(c) AS (SELECT {start} UNION ALL SELECT c + 1 FROM a WHERE c < {stop}), "
                    f"b(k) AS (SELECT 0 UNION ALL SELECT k + 1 FROM b WHERE k < {per_client - 1}) "
                    f"INSERT INTO followups_followuptask ({cols}) SELECT {values} FROM a, b")
    return nurse_ids


# The page's own SQL, bare: the count, the page (with the client, rule and encounter a row shows) and the
# companions (the same clients' other open tasks due within the next days) — what the view asks of the
# database, without the ORM, templates or serializers.
BARE_COUNT = ("SELECT COUNT(*) FROM followups_followuptask t "
              "WHERE t.assignee_id = %s AND t.status IN ('pending', 'in_progress') AND t.due_date <= %s")
BARE_SQL = (
    "SELECT t.id, t.client_id, t.rule_id, t.encounter_id, t.sequence, t.total, t.labels, t.reason, t.due_date, "
    "t.window_end, t.status, t.channel, t.priority, t.assignee_id, t.team_id, t.next_attempt_at, t.attempt_count, "
    "c.id, c.name, c.tier, r.code, r.name, e.kind, e.prescription_days, e.health_status "
    "FROM followups_followuptask t JOIN clients_client c ON c.id = t.client_id "
    "LEFT JOIN followups_followuprule r ON r.id = t.rule_id LEFT JOIN followups_encounter e ON e.id = t.encounter_id "
    "WHERE t.assignee_id = %s AND t.status IN ('pending', 'in_progress') AND t.due_date <= %s "
    "ORDER BY t.priority DESC, t.due_date ASC, t.id ASC LIMIT 25"
)
BARE_COMPANIONS = (
    "SELECT t.id, t.client_id, t.due_date, t.sequence, t.total, t.reason, e.kind, e.prescription_days "
    "FROM followups_followuptask t LEFT JOIN followups_encounter e ON e.id = t.encounter_id "
    "WHERE t.client_id IN ({ids}) AND t.status IN ('pending', 'in_progress') AND t.due_date > %s "
    "AND t.due_date <= %s ORDER BY t.due_date, t.id"
)


def bare_page(cursor, pk: int, today: dt.date) -> int:  # type: ignore[no-untyped-def]
    cursor.execute(BARE_COUNT, [pk, today])
    cursor.fetchone()
    cursor.execute(BARE_SQL, [pk, today])
    rows = cursor.fetchall()
    ids = sorted({r[1] for r in rows})
    if ids:
        cursor.execute(BARE_COMPANIONS.format(ids=", ".join(["%s"] * len(ids))),
                       [*ids, today, today + dt.timedelta(days=3)])
        cursor.fetchall()
    return len(rows)


def bench_worklist(nurse_ids: list[int], today: dt.date, requests: int, profile: str = "") -> dict:
    """Web and API worklist against the bare SQL (warm) and the floor, interleaved request by request.

    Every request of the sample runs, in turn: the bare SQL, the floor page, the worklist page, the floor
    API call and the worklist API call — so each measure sees the same caches and the same machine load.
    The API authenticates with a real token in the Authorization header (token + user looked up per
    request, as in production); the web with a real session cookie.
    """
    import time_machine
    from django.conf import settings
    from django.db import connection
    from django.test import Client as WebClient
    from django.urls import clear_url_caches
    from rest_framework.authtoken.models import Token

    from careloop.org.models import User

    settings.ROOT_URLCONF = "bench.noop_urls"
    clear_url_caches()
    rng = random.Random(7)
    sample = [rng.choice(nurse_ids) for _ in range(requests)]
    users = {u.pk: u for u in User.objects.filter(pk__in=set(sample))}
    traveller = time_machine.travel(dt.datetime(2026, 11, 23, 2, 0, tzinfo=dt.UTC), tick=True)
    traveller.start()
    series: dict[str, list[float]] = {k: [] for k in ("bare", "floor_web", "web", "floor_api", "api")}
    rows: list[int] = []
    try:
        browsers, apis = {}, {}
        for pk in set(sample):
            browser = WebClient()
            browser.force_login(users[pk])
            browsers[pk] = browser
            token, _ = Token.objects.get_or_create(user=users[pk])
            apis[pk] = WebClient(HTTP_AUTHORIZATION=f"Token {token.key}")
        cursor = connection.cursor()

        def one(pk: int, record: bool) -> None:
            steps = (
                ("bare", lambda: bare_page(cursor, pk, today)),
                ("floor_web", lambda: browsers[pk].get("/bench/noop/")),
                ("web", lambda: browsers[pk].get("/followups/")),
                ("floor_api", lambda: apis[pk].get("/api/v1/bench/noop/")),
                ("api", lambda: apis[pk].get("/api/v1/followup-tasks/worklist/")),
            )
            for name, step in steps:
                t0 = time.perf_counter()
                out = step()
                elapsed = time.perf_counter() - t0
                if name == "bare":
                    if record:
                        rows.append(out)
                else:
                    assert out.status_code == 200, (name, out.status_code)
                if record:
                    series[name].append(elapsed)

        for pk in sample[:20]:  # warm: caches, connections, translations, templates
            one(pk, record=False)
        for pk in sample:
            one(pk, record=True)
        if profile:
            import cProfile
            import pstats

            for name, url, client in (("web", "/followups/", browsers), ("api", "/api/v1/followup-tasks/worklist/", apis)):
                prof = cProfile.Profile()
                prof.enable()
                for pk in sample[:100]:
                    client[pk].get(url)
                prof.disable()
                with open(f"{profile}-{name}.txt", "w") as out_file:
                    stats = pstats.Stats(prof, stream=out_file)
                    stats.sort_stats("cumulative").print_stats(60)
                    stats.sort_stats("tottime").print_stats(40)
    finally:
        traveller.stop()
    ms = lambda v: round(v * 1000, 2)  # noqa: E731
    p95 = {k: pct(v, 95) for k, v in series.items()}
    result: dict = {"worklist_rows_per_page_mean": round(statistics.mean(rows), 1)}
    for name, values in series.items():
        result[f"{name}_p50_ms"] = ms(pct(values, 50))
        result[f"{name}_p95_ms"] = ms(p95[name])
    for side in ("web", "api"):
        aim = p95[f"floor_{side}"] + p95["bare"] + 0.003
        result[f"{side}_aim_p95_ms"] = ms(aim)
        result[f"{side}_overhead_p95_ms"] = ms(p95[side] - p95[f"floor_{side}"] - p95["bare"])
        result[f"{side}_p95_ratio_to_bare"] = round(p95[side] / p95["bare"], 1)
        result[f"{side}_meets_aim"] = p95[side] <= aim
    return result


def bench_scheduling(n_encounters: int, today: dt.date) -> dict:
    from django.db import connection, transaction

    from careloop.clients.models import Client
    from careloop.followups.models import Encounter, FollowupTask
    try:
        from careloop.followups.services.planning import EncounterRow, encounter_bulk_create, encounter_create
    except ImportError:  # the code before the split (for a before/after run of the same bench)
        from careloop.followups.services.planning import EncounterRow, encounter_bulk_create, encounter_create  # type: ignore
    from careloop.org.models import OrgUnit, RoleGrant, User

    # An importer at headquarters: encounter writes check the right and the branch subtree.
    actor, created_actor = User.objects.get_or_create(
        username="bench-importer", defaults={"password": "!", "org_unit": OrgUnit.objects.get(code="hq")})
    if created_actor:
        RoleGrant.objects.create(user=actor, role="clerk")
    rng = random.Random(11)
    first = Client.objects.order_by("pk").values_list("pk", flat=True).first()
    total = Client.objects.count()
    picked = rng.sample(range(first, first + total), min(n_encounters, total))
    clients = []
    for start in range(0, len(picked), 20_000):
        clients += list(Client.objects.filter(pk__in=picked[start:start + 20_000]))
    kinds = [("tcm_first_visit", 30), ("tcm_first_visit", 14), ("tcm_return_visit", 45), ("discharge", None),
             ("checkup", None), ("tcm_first_visit", 60)]
    rows = []
    for i in range(n_encounters):
        kind, days = kinds[i % len(kinds)]
        rows.append(EncounterRow(client=clients[i % len(clients)], kind=kind, date=today - dt.timedelta(days=i % 5),
                                 prescription_days=days, health_status="abnormal_stable" if kind == "checkup" else ""))
    before = FollowupTask.objects.count()
    t0 = time.perf_counter()
    batch = 1000
    for start in range(0, len(rows), batch):
        encounter_bulk_create(rows=rows[start:start + batch], source="bench", acting_user=actor)
    service_s = time.perf_counter() - t0
    created = FollowupTask.objects.count() - before

    # The baseline: the same task rows, inserted bare with executemany.
    cols = ["client_id", "encounter_id", "rule_id", "sequence", "total", "labels", "reason", "due_date",
            "window_end", "status", "channel", "priority", "assignee_id", "team_id", "next_attempt_at",
            "attempt_count", "closed_at", "close_reason", "created_at", "updated_at"]
    new_rows = list(FollowupTask.objects.filter(encounter__source="bench").values_list(*cols))
    with transaction.atomic():
        FollowupTask.objects.filter(encounter__source="bench").delete()
    sql = f"INSERT INTO followups_followuptask ({', '.join(cols)}) VALUES ({', '.join(['%s'] * len(cols))})"
    t0 = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":  # the fastest bare way on each database
            with cursor.cursor.copy(f"COPY followups_followuptask ({', '.join(cols)}) FROM STDIN") as copy:
                for row in new_rows:
                    copy.write_row(row)
        else:
            for start in range(0, len(new_rows), 5000):
                cursor.executemany(sql, new_rows[start:start + 5000])
    bare_s = time.perf_counter() - t0

    # The interactive path: one encounter per transaction, with its audit row.
    few = rows[: min(1000, len(rows))]
    before_one = FollowupTask.objects.count()
    t0 = time.perf_counter()
    for row in few:
        encounter_create(client=row.client, kind=row.kind, date=row.date, prescription_days=row.prescription_days,
                         health_status=row.health_status, source="bench-one", acting_user=actor)
    one_s = time.perf_counter() - t0
    one_tasks = FollowupTask.objects.count() - before_one
    return {
        "encounters": n_encounters, "tasks_scheduled": created,
        "schedule_s": round(service_s, 2), "schedule_tasks_per_s": round(created / service_s),
        "bare_insert_s": round(bare_s, 2), "bare_insert_rows_per_s": round(len(new_rows) / bare_s),
        "schedule_ratio_to_bare": round(service_s / bare_s, 1),
        "one_by_one_encounters": len(few), "one_by_one_tasks_per_s": round(one_tasks / one_s),
        "one_by_one_encounters_per_s": round(len(few) / one_s),
        "encounters_total": Encounter.objects.count(),
    }


# --- parent ----------------------------------------------------------------------------------------


def run_child(db: str, args: argparse.Namespace) -> dict:
    env = dict(os.environ)
    env.pop("DATABASE_URL", None)
    env["CARELOOP_LOG_LEVEL"] = "WARNING"
    if db == "sqlite":
        data = Path(os.environ.get("CARELOOP_BENCH_SQLITE_DIR", "/tmp/careloop_bench_followups_sqlite"))
        if not args.reuse:
            shutil.rmtree(data, ignore_errors=True)
            data.mkdir(parents=True)
        env["CARELOOP_DATA_DIR"] = str(data)
    elif args.reuse:
        env["DATABASE_URL"] = PG_URL
        env["CARELOOP_DATA_DIR"] = f"/tmp/{PG_DB}_pg"
    else:
        import psycopg

        with psycopg.connect("postgresql://127.0.0.1:5432/postgres", autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {PG_DB}")
            conn.execute(f"CREATE DATABASE {PG_DB}")
        env["DATABASE_URL"] = PG_URL
        env["CARELOOP_DATA_DIR"] = f"/tmp/{PG_DB}_pg"
        Path(env["CARELOOP_DATA_DIR"]).mkdir(parents=True, exist_ok=True)
    cmd = [sys.executable, __file__, "--child", "--clients", str(args.clients), "--tasks-per-client",
           str(args.tasks_per_client), "--encounters", str(args.encounters), "--requests", str(args.requests)]
    if args.reuse:
        cmd.append("--reuse")
    if args.profile:
        cmd += ["--profile", args.profile]
    out = subprocess.run(cmd, env=env, cwd=ROOT, capture_output=True, text=True, check=False)
    if out.returncode != 0:
        sys.stderr.write(out.stderr[-5000:])
        raise SystemExit(f"{db} run failed")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--clients", type=int, default=100_000)
    parser.add_argument("--tasks-per-client", type=int, default=10)
    parser.add_argument("--encounters", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--profile", default="",
                        help="also profile 100 web and 100 API requests (cProfile) into <PREFIX>-web.txt / -api.txt")
    parser.add_argument("--child", action="store_true")
    parser.add_argument("--reuse", action="store_true",
                        help="measure the worklist again on the databases an earlier run left behind")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    if args.child:
        print(json.dumps(child(args)))
        return
    dbs = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    for db in dbs:
        t0 = time.perf_counter()
        result = run_child(db, args)
        result["wall_s"] = round(time.perf_counter() - t0, 1)
        for key, value in result.items():
            print(f"{db:9s} {key:32s} {value}")
        print(flush=True)


if __name__ == "__main__":
    main()
