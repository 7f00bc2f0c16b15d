"""Client lookup over a large archive: exact phone and name prefix through the API vs bare SQL.

    /work/main/.venv/bin/python bench/clients_lookup.py                       # 1,000,000 clients, SQLite and PostgreSQL
    /work/main/.venv/bin/python bench/clients_lookup.py --clients 200000 --database postgres
    /work/main/.venv/bin/python bench/clients_lookup.py --reuse               # keep the loaded data from the last run

For each database it loads ``careloop demo --clients N`` into a fresh data dir (SQLite) or a fresh
database ``careloop_bench_demo`` (PostgreSQL, dropped afterwards unless --keep), then, in a separate
process bound to that database, measures as the ``clerk`` persona (Beijing branch subtree, token
authentication) through Django's test client — the whole stack: middleware, DRF, scoping, search,
decryption and masking, the audit row every list writes:

  * GET /api/v1/clients/?phone=<a client's number>   vs  SELECT … WHERE phone_hash = %s
  * GET /api/v1/clients/?q=<surname + 1 character>   vs  SELECT … WHERE name >= %s AND name < %s ORDER BY name, id LIMIT 25
  * GET /api/v1/clients/?q=<surname>                 vs  the same range for the surname alone (wide: 2-7% of clients)

and splits the API time into layers (auth, ORM count + page, serialisation, audit write, rest).
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import random
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.common import Stats, load_average, machine, measure, ratio, table  # noqa: E402

PG_ADMIN_URL = os.environ.get("BENCH_PG_URL", "postgres://127.0.0.1:5432/postgres")
PG_DB = os.environ.get("BENCH_PG_DB", "careloop_bench_demo")  # e.g. BENCH_PG_DB=careloop_bench_perf_lookup
DATA_ROOT = Path(os.environ.get("BENCH_DATA_DIR", str(ROOT / "var" / "bench")))
PERSONA = "clerk"
API = "/api/v1/clients/"


# --- parent: prepare databases, run a worker per database, print the results -------------------------
def _env(database: str) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("DATABASE_URL", None)
    env.update({
        "PYTHONPATH": str(ROOT), "DJANGO_SETTINGS_MODULE": "careloop.settings",
        "CARELOOP_DATA_DIR": str(DATA_ROOT / f"clients_lookup-{database}"),
        "CARELOOP_DEMO_PASSWORD": env.get("CARELOOP_DEMO_PASSWORD") or "bench-demo-password-not-secret",
        "CARELOOP_LOG_LEVEL": "WARNING",
    })
    if database == "postgres":
        env["DATABASE_URL"] = PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + PG_DB
    return env


def _pg_admin(sql: str) -> None:
    import psycopg

    with psycopg.connect(PG_ADMIN_URL.replace("postgres://", "postgresql://"), autocommit=True) as conn:
        conn.execute(sql)


def _careloop(env: dict[str, str], *args: str) -> None:
    subprocess.run([sys.executable, "-m", "careloop.cli", *args], env=env, cwd=ROOT, check=True)


def prepare(database: str, clients: int, reuse: bool) -> float:
    """Fresh (or reused) database with at least ``clients`` clients; returns the load time in seconds."""
    env = _env(database)
    data_dir = Path(env["CARELOOP_DATA_DIR"])
    if not reuse:
        shutil.rmtree(data_dir, ignore_errors=True)
        if database == "postgres":
            _pg_admin(f"DROP DATABASE IF EXISTS {PG_DB}")
            _pg_admin(f"CREATE DATABASE {PG_DB}")
    data_dir.mkdir(parents=True, exist_ok=True)
    _careloop(env, "migrate", "-v", "0")
    started = time.perf_counter()
    _careloop(env, "demo", "--clients", str(clients))
    return time.perf_counter() - started


def run_worker(database: str, args: argparse.Namespace) -> dict[str, Any]:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", "--requests", str(args.requests),
           "--seed", str(args.seed)]
    if args.profile:
        cmd.append("--profile")
    if args.no_what_if:
        cmd.append("--no-what-if")
    proc = subprocess.run(cmd, env=_env(database), cwd=ROOT, check=True, stdout=subprocess.PIPE, text=True)
    lines = proc.stdout.splitlines()
    result_line = next(line for line in reversed(lines) if line.startswith("RESULT "))
    for line in lines:
        if not line.startswith("RESULT "):
            print(line)
    return json.loads(result_line[len("RESULT "):])


def report(results: dict[str, dict[str, Any]]) -> None:
    rows = []
    for database, r in results.items():
        for kind in ("phone", "id", "name2", "name1"):
            api, sql, floor = Stats(**r["api"][kind]), Stats(**r["sql"][kind]), Stats(**r["floor"][kind])
            aim = floor.p95 + 3 * sql.p95
            rows.append([database, kind, r["clients"], api.n, api.p50, api.p95, floor.p50, floor.p95, sql.p50,
                         sql.p95, round(aim, 2), "yes" if api.p95 <= aim else "no", ratio(api.p95, sql.p95)])
    print()
    print("Client lookup, milliseconds per request (API = in-process Django test client, clerk persona, token auth;"
          " floor = an authenticated API call that does nothing; aim = floor p95 + 3 x SQL p95)")
    print(table(["db", "lookup", "clients", "n", "API p50", "API p95", "floor p50", "floor p95", "SQL p50",
                 "SQL p95", "aim p95", "meets", "p95 ratio"], rows))
    for database, r in results.items():
        print()
        print(f"Where the API time goes on {database} (mean ms per request; 'rest' = DRF, middleware, "
              f"routing, rendering):")
        layer_rows = []
        for kind, layers in r["layers"].items():
            layer_rows.append([kind, *[layers[k] for k in ("auth", "orm", "serialize", "audit", "rest", "total")]])
        print(table(["lookup", "auth+roles", "ORM count+page", "serialize+JSON", "audit row", "rest", "API mean"],
                    layer_rows))
        print(f"Queries per API request: {r['queries']}; load: {r['load_seconds']:.0f} s")
        print("COUNT(*) of a name prefix in the clerk's subtree, ms — scope as a join on the unit path (what the "
              "API does) vs as a list of unit ids (uses the (branch, name) index):")
        scope_rows = [[kind, Stats(**v["join"]).p50, Stats(**v["join"]).p95, Stats(**v["ids"]).p50,
                       Stats(**v["ids"]).p95] for kind, v in r["scope"].items()]
        print(table(["lookup", "join p50", "join p95", "unit ids p50", "unit ids p95"], scope_rows))
        if "what_if" in r:
            print(f"What-if on {database}: the API with one change (ms per request):")
            what_rows = []
            for change, kinds in r["what_if"].items():
                for kind, raw in kinds.items():
                    now, then = Stats(**r["api"][kind]), Stats(**raw)
                    what_rows.append([change, kind, now.p50, now.p95, then.p50, then.p95])
            print(table(["change", "lookup", "as is p50", "as is p95", "changed p50", "changed p95"], what_rows))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=1_000_000)
    parser.add_argument("--database", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--requests", type=int, default=400, help="timed requests per lookup kind")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--reuse", action="store_true", help="reuse the data of the previous run (loads what is missing)")
    parser.add_argument("--keep", action="store_true", help="keep the PostgreSQL database afterwards")
    parser.add_argument("--profile", action="store_true", help="also print a cProfile of the phone lookups")
    parser.add_argument("--no-what-if", action="store_true",
                        help="skip re-measuring the API with the scope as unit ids and with relaxed commits")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args)
        return
    databases = ["sqlite", "postgres"] if args.database == "both" else [args.database]
    print(f"Machine: {machine()}; load average {load_average()}")
    results = {}
    for database in databases:
        print(f"\n== {database}: loading {args.clients:,} clients ==", flush=True)
        load_seconds = prepare(database, args.clients, args.reuse)
        results[database] = run_worker(database, args)
        results[database]["load_seconds"] = load_seconds
        if database == "postgres" and not args.keep:
            _pg_admin(f"DROP DATABASE IF EXISTS {PG_DB} WITH (FORCE)")
    report(results)
    print(f"\nLoad average at the end: {load_average()}")


# --- worker: runs inside Django, bound to one database ------------------------------------------------
def worker(args: argparse.Namespace) -> None:
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext
    from django.urls import clear_url_caches
    from rest_framework.authtoken.models import Token
    from rest_framework.renderers import JSONRenderer
    from rest_framework.test import APIClient

    from careloop.accounts.auth import ExpiringTokenAuthentication
    from careloop.audit.services import audit_record
    from careloop.clients.models import Client
    from careloop.clients.selectors import client_search, clients_visible_to
    from careloop.clients.serializers import ClientSerializer
    from careloop.clients.services import id_number_index, phone_index
    from careloop.org.models import User

    settings.ROOT_URLCONF = "bench.noop_urls"  # the app's URLs + an authenticated no-op: the floor
    clear_url_caches()
    rng = random.Random(args.seed)
    user = User.objects.get(username=PERSONA)
    Token.objects.filter(user=user).delete()
    key = Token.objects.create(user=user).key
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    total = Client.objects.count()

    # Inputs, chosen before timing: real clients of the persona's scope.
    scope_ids = list(clients_visible_to(user).values_list("id", flat=True))
    sample = Client.objects.in_bulk(rng.sample(scope_ids, min(args.requests, len(scope_ids))))
    targets = list(sample.values())
    rng.shuffle(targets)
    phones = [(c.phone, c.pk) for c in targets]
    name2 = [c.name[:2] for c in targets]
    name1 = [c.name[:1] for c in targets[: max(20, args.requests // 4)]]
    id_numbers = [(c.id_number, c.pk) for c in targets if c.id_number]

    def api_get(params: dict[str, str]) -> dict[str, Any]:
        response = api.get(API, params)
        if response.status_code != 200:
            raise SystemExit(f"API answered {response.status_code}: {response.content[:300]!r}")
        return response.json()

    def api_phone(item: tuple[str, int]) -> None:
        body = api_get({"phone": item[0]})
        if item[1] not in [row["id"] for row in body["results"]]:
            raise SystemExit(f"phone lookup did not find client {item[1]}")

    def api_id(item: tuple[str, int]) -> None:
        body = api_get({"id_number": item[0]})
        if item[1] not in [row["id"] for row in body["results"]]:
            raise SystemExit(f"ID lookup did not find client {item[1]}")

    def api_floor(_item: Any) -> None:
        response = api.get("/api/v1/bench/noop/")
        if response.status_code != 200:
            raise SystemExit(f"floor answered {response.status_code}")

    def api_name(prefix: str) -> None:
        if api_get({"q": prefix})["count"] < 1:
            raise SystemExit(f"name lookup {prefix!r} found nothing")

    cursor = connection.cursor()
    phone_hashes = [(phone_index(p), pk) for p, pk in phones]

    def sql_phone(item: tuple[str, int]) -> None:
        cursor.execute("SELECT id, name FROM clients_client WHERE phone_hash = %s", [item[0]])
        if item[1] not in [row[0] for row in cursor.fetchall()]:
            raise SystemExit("bare SQL did not find the client")

    id_hashes = [(id_number_index(n), pk) for n, pk in id_numbers]

    def sql_id(item: tuple[str, int]) -> None:
        cursor.execute("SELECT id, name FROM clients_client WHERE id_number_hash = %s", [item[0]])
        if item[1] not in [row[0] for row in cursor.fetchall()]:
            raise SystemExit("bare SQL did not find the ID number")

    def sql_name(prefix: str) -> None:
        cursor.execute("SELECT id, name FROM clients_client WHERE name >= %s AND name < %s ORDER BY name, id LIMIT 25",
                       [prefix, prefix + "\U0010ffff"])
        if not cursor.fetchall():
            raise SystemExit("bare SQL found no name")

    results: dict[str, Any] = {"clients": total, "in_scope": len(scope_ids), "api": {}, "sql": {}, "layers": {},
                               "floor": {}}
    for kind, inputs, sql_inputs, api_op, sql_op in (
        ("phone", phones, phone_hashes, api_phone, sql_phone),
        ("id", id_numbers, id_hashes, api_id, sql_id),
        ("name2", name2, name2, api_name, sql_name),
        ("name1", name1, name1, api_name, sql_name),
    ):
        _progress(f"{connection.vendor}: measuring {kind} ({len(inputs)} requests)")
        results["sql"][kind] = measure(sql_op, sql_inputs, warmup=20).as_dict()
        results["api"][kind] = measure(api_op, inputs, warmup=20).as_dict()
        # the floor right after, in the same conditions: an authenticated API call that does nothing
        results["floor"][kind] = measure(api_floor, inputs, warmup=5).as_dict()

    # Layers: the same work the API does, piece by piece (means, so that they add up).
    auth = ExpiringTokenAuthentication()
    renderer = JSONRenderer()

    def layer_auth(_x: Any) -> None:
        found, _token = auth.authenticate_credentials(key)
        _ = found.roles  # the first permission check loads the roles

    page: dict[Any, list[Client]] = {}

    def layer_orm(params: dict[str, str]) -> None:
        qs = client_search(user, **params).select_related("branch").order_by("name", "id")
        qs.count()
        page[str(params)] = list(qs[:25])

    def layer_serialize(params: dict[str, str]) -> None:
        renderer.render({"count": 1, "results": ClientSerializer(page[str(params)], many=True).data})

    def layer_audit(params: dict[str, str]) -> None:
        with transaction.atomic():
            audit_record(actor=user, action="client.list", detail={"filters": {"bench": "layers"}, "count": 1})

    _progress(f"{connection.vendor}: measuring the layers, the scope filters and the what-ifs")
    for kind, params_list in (("phone", [{"phone": p} for p, _pk in phones]),
                              ("id", [{"id_number": n} for n, _pk in id_numbers]), ("name2", [{"q": n} for n in name2]),
                              ("name1", [{"q": n} for n in name1])):
        params_list = params_list[: max(20, len(params_list) // 2)]
        layers = {
            "auth": measure(layer_auth, params_list, warmup=5).mean,
            "orm": measure(layer_orm, params_list, warmup=5).mean,
            "serialize": measure(layer_serialize, params_list, warmup=5).mean,
            "audit": measure(layer_audit, params_list, warmup=5).mean,
        }
        layers["total"] = results["api"][kind]["mean"]
        layers["rest"] = layers["total"] - (layers["auth"] + layers["orm"] + layers["serialize"] + layers["audit"])
        results["layers"][kind] = layers

    results["scope"] = _scope_filters(connection, user, name2, name1)

    with CaptureQueriesContext(connection) as queries:
        api_get({"phone": phones[0][0]})
    results["queries"] = len(queries.captured_queries)
    print(f"-- {connection.vendor}: queries of one phone lookup through the API --")
    for q in queries.captured_queries:
        print("   ", q["time"], q["sql"][:240])
    _explain(connection, [("phone", phones[0][0]), ("id", id_numbers[0][0]), ("name2", name2[0]),
                          ("name1", name1[0])], user)

    if not args.no_what_if:
        results["what_if"] = _what_if(connection, api_phone, api_name, phones, name2, name1)

    if args.profile:
        profiler = cProfile.Profile()
        profiler.enable()
        for item in phones[:100]:
            api_phone(item)
        for prefix in name1[:50]:
            api_name(prefix)
        profiler.disable()
        print(f"-- cProfile of {min(100, len(phones))} phone and {min(50, len(name1))} one-character surname "
              "lookups through the API --")
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(40)
        pstats.Stats(profiler).sort_stats("tottime").print_stats(25)
    print("RESULT " + json.dumps(results))


def _progress(message: str) -> None:
    print(f"   … {message}", file=sys.stderr, flush=True)


def _what_if(connection: Any, api_phone: Any, api_name: Any, phones: list[Any], name2: list[str],
             name1: list[str]) -> dict[str, Any]:
    """The API again with one thing changed, to price it: (a) the subtree filter as a list of unit ids
    instead of a join on the unit path; (b) commits that do not wait for the disk (the audit row's cost)."""
    from django.db.models import Q

    from careloop.clients import selectors as client_selectors
    from careloop.org.selectors import units_visible_to

    out: dict[str, Any] = {}
    original = client_selectors.subtree_q

    def subtree_as_ids(user: Any, field: str = "branch") -> Q:
        return Q(**{f"{field}_id__in": list(units_visible_to(user).values_list("id", flat=True))})

    client_selectors.subtree_q = subtree_as_ids  # type: ignore[assignment]
    try:
        # Only 40 phone lookups: on SQLite this change sends them through the branch index (seconds each).
        out["scope_as_unit_ids"] = {"name2": measure(api_name, name2, warmup=10).as_dict(),
                                    "name1": measure(api_name, name1, warmup=5).as_dict(),
                                    "phone": measure(api_phone, phones[:40], warmup=2).as_dict()}
    finally:
        client_selectors.subtree_q = original
    relaxed, strict = (("PRAGMA synchronous = NORMAL", "PRAGMA synchronous = FULL") if connection.vendor == "sqlite"
                       else ("SET synchronous_commit = off", "SET synchronous_commit = on"))
    with connection.cursor() as cursor:
        cursor.execute(relaxed)
    try:
        out["commit_without_disk_wait"] = {"phone": measure(api_phone, phones, warmup=10).as_dict()}
    finally:
        with connection.cursor() as cursor:
            cursor.execute(strict)
    return out


def _scope_filters(connection: Any, user: Any, name2: list[str], name1: list[str]) -> dict[str, Any]:
    """The COUNT a name search needs, with the subtree as today's join on the unit path, and as a list of unit ids.

    Not what the API runs: a measurement of the alternative, to show what the scope filter costs.
    """
    from careloop.org.selectors import units_visible_to

    path = user.org_unit.path
    ids = list(units_visible_to(user).values_list("id", flat=True))
    marks = ", ".join(["%s"] * len(ids))
    join_sql = ("SELECT COUNT(*) FROM clients_client c JOIN org_orgunit o ON c.branch_id = o.id "
                "WHERE o.path LIKE %s AND c.name >= %s AND c.name < %s")
    in_sql = f"SELECT COUNT(*) FROM clients_client WHERE branch_id IN ({marks}) AND name >= %s AND name < %s"
    out: dict[str, Any] = {}
    with connection.cursor() as cursor:
        for kind, prefixes in (("name2", name2[:100]), ("name1", name1[:25])):
            def by_join(prefix: str) -> None:
                cursor.execute(join_sql, [path + "%", prefix, prefix + "\U0010ffff"])
                cursor.fetchall()

            def by_ids(prefix: str) -> None:
                cursor.execute(in_sql, [*ids, prefix, prefix + "\U0010ffff"])
                cursor.fetchall()

            out[kind] = {"join": measure(by_join, prefixes, warmup=3).as_dict(),
                         "ids": measure(by_ids, prefixes, warmup=3).as_dict()}
    return out


def _explain(connection: Any, probes: list[tuple[str, str]], user: Any) -> None:
    """The plan of the API's count query for each probe: is the index used?"""
    from careloop.clients.selectors import client_search

    explain = "EXPLAIN QUERY PLAN " if connection.vendor == "sqlite" else "EXPLAIN "
    for kind, value in probes:
        qs = (client_search(user, phone=value) if kind == "phone" else
              client_search(user, id_number=value) if kind == "id" else client_search(user, q=value))
        sql, params = qs.order_by("name", "id").values("id")[:25].query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute(explain + sql, params)
            plan = [" ".join(str(c) for c in row) for row in cursor.fetchall()]
        print(f"-- plan ({kind}): " + " | ".join(plan)[:400])


if __name__ == "__main__":
    main()
