"""Plans benchmark on PostgreSQL: entitlement use under contention, and the cost of an entitlement check.

    .venv/bin/python bench/plans_bench.py --clients 20000 --requests 400 --rounds 10

It drops and re-creates the PostgreSQL database ``careloop_bench_plans``, migrates, loads ``--clients``
clients each enrolled in the seed-004 maintenance plan (a third with some services already used), then:

1. contention: for each of ``--rounds`` fresh clients with 2 newsletter units left (quota 4, 2 used),
   4 processes each try 3 uses at the same instant through ``entitlement_use`` (12 attempts): exactly the
   units left must succeed, the rest be refused, and the table must hold exactly the quota;
2. the check: p50/p95 of ``GET /api/v1/clients/{id}/entitlements/`` (DRF, scope, audit row, selector)
   and of the selector alone, against the one bare SQL statement that answers the same question (quota
   and used per service of the client's current enrolments) — measured in the same run, same clients;
3. the use: p50/p95 of ``POST /api/v1/clients/{id}/entitlements/`` against the bare SQL of a use
   (lock the enrolment row, count, insert) in one transaction.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
PG_DB = "careloop_bench_plans"
PG_URL = f"postgres://127.0.0.1:5432/{PG_DB}"
TODAY = dt.date(2026, 11, 23)

BARE_CHECK = """
SELECT s.code, ps.quota, ps.period, COUNT(u.id)
FROM plans_enrolment e
JOIN plans_planservice ps ON ps.version_id = e.version_id AND NOT ps.per_group
JOIN plans_service s ON s.id = ps.service_id
LEFT JOIN plans_entitlementuse u ON u.enrolment_id = e.id AND u.service_id = ps.service_id
     AND u.period_start = e.start_date AND u.released_at IS NULL
WHERE e.client_id = %s AND e.status = 'active' AND e.start_date <= %s AND e.end_date >= %s
GROUP BY s.code, ps.quota, ps.period
"""


def _setup_django() -> None:
    os.environ["DATABASE_URL"] = PG_URL
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "careloop.settings")
    import django

    django.setup()


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    rank = (len(ordered) - 1) * p / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def ms(values: list[float]) -> dict[str, float]:
    return {"p50": round(pct(values, 50) * 1000, 2), "p95": round(pct(values, 95) * 1000, 2), "n": len(values)}


# --- worker: one contending process -------------------------------------------------------------


def worker(client_id: int, user_id: int, start_at: float, attempts: int) -> None:
    _setup_django()
    from careloop.clients.models import Client
    from careloop.org.models import User
    from careloop.plans import services

    client = Client.objects.get(pk=client_id)
    user = User.objects.get(pk=user_id)
    while time.time() < start_at:
        time.sleep(0.001)
    ok = refused = 0
    for _ in range(attempts):
        try:
            services.entitlement_use(client=client, service="newsletter", date=TODAY, acting_user=user,
                                     source="bench")
            ok += 1
        except services.EntitlementRefused:
            refused += 1
    print(json.dumps({"ok": ok, "refused": refused}))


# --- main -------------------------------------------------------------------------------------------


def populate(n_clients: int, rng: random.Random) -> tuple[list[int], int]:
    from django.db import connection

    from careloop.clients.models import Client
    from careloop.org.models import OrgUnit, RoleGrant, UnitKind, User
    from careloop.plans.models import Enrolment, EntitlementUse, Plan, Service

    hq = OrgUnit.objects.create(name="总公司", code="hq", kind=UnitKind.HQ)
    branch = OrgUnit.objects.create(name="北京分公司", code="bj", kind=UnitKind.BRANCH, parent=hq)
    service_user = User.objects.create(username="service", org_unit=branch)
    RoleGrant.objects.create(user=service_user, role="service")
    version = Plan.objects.get(code="maintenance").versions.get()
    services_by_code = {s.code: s for s in Service.objects.all()}
    batch = 5000
    ids: list[int] = []
    for first in range(0, n_clients, batch):
        count = min(batch, n_clients - first)
        made = Client.objects.bulk_create([
            Client(name=f"客户{first + i:07d}", sex="female" if i % 2 else "male", birth_date=dt.date(1970, 1, 1),
                   branch=branch) for i in range(count)])
        ids += [c.pk for c in made]
        enrolments = Enrolment.objects.bulk_create([
            Enrolment(client_id=c.pk, version=version, start_date=TODAY - dt.timedelta(days=rng.randint(1, 300)),
                      end_date=dt.date(2027, 11, 1), amount=version.price) for c in made])
        uses = []
        for e in enrolments:
            if rng.random() < 1 / 3:
                for code in ("checkup", "newsletter"):
                    uses.append(EntitlementUse(enrolment=e, service=services_by_code[code], used_on=e.start_date,
                                               period_start=e.start_date, period_end=e.end_date, source="bench"))
        EntitlementUse.objects.bulk_create(uses)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return ids, service_user.pk


def contention(ids: list[int], user_id: int, rounds: int) -> dict:
    from careloop.plans.models import Enrolment, EntitlementUse, Service

    newsletter = Service.objects.get(code="newsletter")
    results = []
    for r in range(rounds):
        client_id = ids[-(r + 1)]
        enrolment = Enrolment.objects.get(client_id=client_id)
        EntitlementUse.objects.filter(enrolment=enrolment).delete()
        EntitlementUse.objects.bulk_create([EntitlementUse(
            enrolment=enrolment, service=newsletter, used_on=enrolment.start_date, period_start=enrolment.start_date,
            period_end=enrolment.end_date, source="bench-pre") for _ in range(2)])
        start_at = time.time() + 3.0
        procs = [subprocess.Popen([sys.executable, __file__, "--worker", str(client_id), str(user_id), str(start_at),
                                   "3"], stdout=subprocess.PIPE, text=True, cwd=ROOT) for _ in range(4)]
        outs = [json.loads(p.communicate(timeout=120)[0].strip().splitlines()[-1]) for p in procs]
        ok = sum(o["ok"] for o in outs)
        stored = EntitlementUse.objects.filter(enrolment=enrolment, service=newsletter).count()
        results.append({"client": client_id, "succeeded": ok, "refused": sum(o["refused"] for o in outs),
                        "stored": stored, "exact": ok == 2 and stored == 4})
    return {"rounds": rounds, "all_exact": all(x["exact"] for x in results), "details": results}


def check_latency(ids: list[int], user_id: int, requests: int, rng: random.Random) -> dict:
    import time_machine
    from django.db import connection, transaction
    from rest_framework.test import APIClient

    from careloop.clients.models import Client
    from careloop.org.models import User
    from careloop.plans.selectors import entitlements_of

    user = User.objects.get(pk=user_id)
    api = APIClient()
    api.force_authenticate(user)
    sample = [rng.choice(ids[: -50]) for _ in range(requests)]
    clients = Client.objects.in_bulk(sample)
    traveller = time_machine.travel(dt.datetime(2026, 11, 23, 2, 0, tzinfo=dt.UTC), tick=True)
    traveller.start()
    out: dict = {}
    try:
        bare, api_t, sel_t = [], [], []
        with connection.cursor() as cursor:
            for pk in sample[:20]:
                cursor.execute(BARE_CHECK, [pk, TODAY, TODAY])
                cursor.fetchall()
                api.get(f"/api/v1/clients/{pk}/entitlements/")
            for pk in sample:
                t0 = time.perf_counter()
                cursor.execute(BARE_CHECK, [pk, TODAY, TODAY])
                cursor.fetchall()
                bare.append(time.perf_counter() - t0)
                t0 = time.perf_counter()
                entitlements_of(clients[pk], TODAY)
                sel_t.append(time.perf_counter() - t0)
                t0 = time.perf_counter()
                response = api.get(f"/api/v1/clients/{pk}/entitlements/")
                api_t.append(time.perf_counter() - t0)
                assert response.status_code == 200, response.status_code
        out["check"] = {"bare_sql": ms(bare), "selector": ms(sel_t), "api": ms(api_t),
                        "ratio_api_p95_to_bare_p95": round(pct(api_t, 95) / pct(bare, 95), 1),
                        "ratio_selector_p95_to_bare_p95": round(pct(sel_t, 95) / pct(bare, 95), 1)}
        # a use: through the API vs the bare statements of a use in one transaction (lock, count, insert)
        use_sample = [pk for pk in dict.fromkeys(sample)][: max(20, requests // 4)]
        bare_use, api_use = [], []
        with connection.cursor() as cursor:
            svc_id = _service_id(cursor, "assessment")
            for pk in use_sample:
                t0 = time.perf_counter()
                with transaction.atomic():
                    cursor.execute("SELECT id, start_date, end_date FROM plans_enrolment WHERE client_id = %s AND "
                                   "status = 'active' AND start_date <= %s AND end_date >= %s FOR UPDATE",
                                   [pk, TODAY, TODAY])
                    eid, start, end = cursor.fetchone()
                    cursor.execute("SELECT COUNT(*) FROM plans_entitlementuse WHERE enrolment_id = %s AND "
                                   "service_id = %s AND period_start = %s AND released_at IS NULL", [eid, svc_id, start])
                    cursor.fetchone()
                    cursor.execute("INSERT INTO plans_entitlementuse (enrolment_id, service_id, used_on, period_start, "
                                   "period_end, copies, source, note, created_at) VALUES (%s, %s, %s, %s, %s, 1, "
                                   "'bare', '', now()) RETURNING id", [eid, svc_id, TODAY, start, end])
                    use_id = cursor.fetchone()[0]
                bare_use.append(time.perf_counter() - t0)
                cursor.execute("DELETE FROM plans_entitlementuse WHERE id = %s", [use_id])
        for pk in use_sample:
            t0 = time.perf_counter()
            response = api.post(f"/api/v1/clients/{pk}/entitlements/", {"service": "assessment",
                                                                        "date": TODAY.isoformat()}, format="json")
            api_use.append(time.perf_counter() - t0)
            assert response.status_code == 201, (response.status_code, response.content)
        out["use"] = {"bare_sql": ms(bare_use), "api": ms(api_use),
                      "ratio_api_p95_to_bare_p95": round(pct(api_use, 95) / pct(bare_use, 95), 1)}
    finally:
        traveller.stop()
    return out


def _service_id(cursor, code: str) -> int:  # type: ignore[no-untyped-def]
    cursor.execute("SELECT id FROM plans_service WHERE code = %s", [code])
    return int(cursor.fetchone()[0])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=20000)
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--worker", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        client_id, user_id, start_at, attempts = args.worker
        worker(int(client_id), int(user_id), float(start_at), int(attempts))
        return
    import psycopg

    with psycopg.connect("postgresql://127.0.0.1:5432/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {PG_DB}")
        conn.execute(f"CREATE DATABASE {PG_DB}")
    _setup_django()
    from django.core.management import call_command

    rng = random.Random(2026)
    t0 = time.perf_counter()
    call_command("migrate", verbosity=0)
    ids, user_id = populate(args.clients, rng)
    load_s = time.perf_counter() - t0
    report = {"clients": args.clients, "load_seconds": round(load_s, 1), "database": "PostgreSQL",
              "contention": contention(ids, user_id, args.rounds),
              **check_latency(ids, user_id, args.requests, rng)}
    print(json.dumps(report, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
