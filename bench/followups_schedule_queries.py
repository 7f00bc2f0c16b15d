"""Queries of one batch of 1,000 encounters through encounter_bulk_create (issue 20 item 6: team look-ups).

Run against a database that bench/followups_bench.py left behind (it creates the `bench-importer`):

    CARELOOP_DATA_DIR=/tmp/loop-bench-after .venv/bin/python bench/followups_schedule_queries.py

The batch is rolled back; prints the number of queries, those touching teams, and the time.
"""

import datetime as dt
import os
import random
import time


def main() -> None:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "careloop.settings")
    django.setup()
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    from careloop.clients.models import Client
    from careloop.org.models import User

    try:
        from careloop.followups.services.planning import EncounterRow, encounter_bulk_create
    except ImportError:  # the code before the split
        from careloop.followups.services.planning import EncounterRow, encounter_bulk_create  # type: ignore

    actor = User.objects.get(username="bench-importer")
    rng = random.Random(5)
    ids = list(Client.objects.values_list("pk", flat=True))
    clients = list(Client.objects.filter(pk__in=rng.sample(ids, 1000)))
    today = dt.date(2026, 11, 23)
    rows = [EncounterRow(client=c, kind="tcm_first_visit", date=today, prescription_days=30) for c in clients]
    with transaction.atomic():
        with CaptureQueriesContext(connection) as ctx:
            t0 = time.perf_counter()
            encounter_bulk_create(rows=rows, source="count", acting_user=actor)
            took = time.perf_counter() - t0
        transaction.set_rollback(True)
    team_q = sum(1 for q in ctx.captured_queries if "org_team" in q["sql"])
    print(f"1000 encounters: {len(ctx.captured_queries)} queries, {team_q} touching teams, {took:.2f} s")


if __name__ == "__main__":
    main()
