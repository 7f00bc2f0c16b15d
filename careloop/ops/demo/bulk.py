"""A large demo data set for benchmarks: ``careloop demo --clients N``.

Rows are generated in Python in batches, encrypted and hashed with the real key ring (so that
benchmarks search real ciphertext and real keyed hashes), and inserted with ``executemany`` on SQLite
and ``COPY`` on PostgreSQL, inside ONE transaction: either the whole set is there, with its one
summary audit row (``demo.bulk_load``), or none of it is. No index, constraint or trigger is switched
off. Per-client audit rows are not written for bulk data (a million "client.create" rows would only
measure the audit table); the summary row records how many rows were loaded and their id range.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import multiprocessing
import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from queue import Empty
from typing import Any

from django.contrib.auth.hashers import make_password
from django.core.management.color import no_style
from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone

from careloop.audit.services import audit_record
from careloop.clients.models import NOTICE_VERSION, Channel, Client, Consent, ConsentMethod, ConsentPurpose
from careloop.clients.services import id_number_index, phone_index
from careloop.core.demo import Output
from careloop.lib import crypto
from careloop.ops.demo import reference as ref
from careloop.ops.demo.people import BEIJING, SHANGHAI, City, PeopleGenerator
from careloop.org.models import OrgUnit, Role, RoleGrant, Team, TeamKind, TeamMembership, User

CLIENTS_PER_NURSE = 5_000
NURSES_PER_TEAM = 10
CLIENTS_PER_DOCTOR = 25_000
# Where bulk clients were registered: (unit code, city, share).
PLACES: tuple[tuple[str, City, float], ...] = (
    ("bj-cy", BEIJING, 0.39), ("bj", BEIJING, 0.21), ("sh-xh", SHANGHAI, 0.26), ("sh", SHANGHAI, 0.14),
)
BRANCH_OF = {"bj-cy": "bj", "bj": "bj", "sh-xh": "sh", "sh": "sh"}
CONSENT_COLUMNS = ("client_id", "purpose", "granted", "version", "method", "given_at", "recorded_by_id", "note")


@dataclass
class BulkResult:
    loaded: int
    consents: int
    staff: int
    seconds: float
    first_id: int | None = None
    last_id: int | None = None

    @property
    def rate(self) -> float:
        return self.loaded / self.seconds if self.seconds else 0.0


@dataclass
class _Staff:
    nurses: dict[str, list[int]]  # branch code -> user ids
    doctors: dict[str, list[int]]
    created: int


def _staff_name(gen: PeopleGenerator) -> str:
    sex = "female" if gen.rng.random() < 0.7 else "male"
    return gen.surname() + gen.given_name(sex, gen.rng.randint(1970, 2000))


def _create_staff(n_clients: int, units: dict[str, OrgUnit]) -> _Staff:
    """Health managers (one per 5,000 clients, in teams of ten with a lead) and family doctors for the bulk set."""
    start = User.objects.filter(username__startswith="hm").count() + User.objects.filter(
        username__startswith="fd").count()
    unusable = make_password(None)
    nurses: dict[str, list[int]] = {"bj": [], "sh": []}
    doctors: dict[str, list[int]] = {"bj": [], "sh": []}
    gen = PeopleGenerator(random.Random(n_clients), timezone.localdate())
    created = 0
    for branch, share in (("bj", 0.6), ("sh", 0.4)):
        n_nurses = max(1, math.ceil(n_clients * share / CLIENTS_PER_NURSE))
        n_doctors = max(1, math.ceil(n_clients * share / CLIENTS_PER_DOCTOR))
        users = [User(username=f"hm{branch}{start + i:05d}", password=unusable, org_unit=units[branch],
                      display_name=_staff_name(gen)) for i in range(n_nurses)]
        users += [User(username=f"fd{branch}{start + i:05d}", password=unusable, org_unit=units[branch],
                       display_name=_staff_name(gen)) for i in range(n_doctors)]
        User.objects.bulk_create(users)
        saved = {u.username: u.pk for u in User.objects.filter(username__in=[u.username for u in users])}
        nurse_ids = [saved[u.username] for u in users[:n_nurses]]
        doctor_ids = [saved[u.username] for u in users[n_nurses:]]
        grants = [RoleGrant(user_id=pk, role=Role.FOLLOWUP if i % NURSES_PER_TEAM else Role.LEAD)
                  for i, pk in enumerate(nurse_ids)]
        grants += [RoleGrant(user_id=pk, role=Role.DOCTOR) for pk in doctor_ids]
        RoleGrant.objects.bulk_create(grants)
        for t, first in enumerate(range(0, n_nurses, NURSES_PER_TEAM)):
            members = nurse_ids[first:first + NURSES_PER_TEAM]
            team = Team.objects.create(name=f"{units[branch].name}随访团队{start + t + 1:03d}", kind=TeamKind.FOLLOWUP,
                                       org_unit=units[branch], lead_id=members[0])
            TeamMembership.objects.bulk_create([TeamMembership(team=team, user_id=pk) for pk in members])
        nurses[branch], doctors[branch] = nurse_ids, doctor_ids
        created += len(users)
    return _Staff(nurses=nurses, doctors=doctors, created=created)


class _RowMaker:
    """Turns generated people into database rows of clients_client, in the table's column order."""

    def __init__(self, rng: random.Random, gen: PeopleGenerator, units: dict[str, OrgUnit], staff: _Staff,
                 columns: list[str]) -> None:
        self.rng, self.gen, self.staff, self.columns = rng, gen, staff, columns
        self.vendor = connection.vendor
        self.places = [(units[code].pk, city, BRANCH_OF[code]) for code, city, _s in PLACES]
        self.place_cum = _cum([share for _c, _city, share in PLACES])
        now = timezone.now()
        # Records created over the past five years; adapting a datetime costs more than choosing one.
        self.created = [connection.ops.adapt_datetimefield_value(now - dt.timedelta(minutes=rng.randint(0, 5 * 525_600)))
                        for _ in range(2048)]
        self.channels = [json.dumps(c) for c in ([Channel.PHONE], [Channel.PHONE, Channel.WECHAT],
                                                 [Channel.PHONE, Channel.SMS], [Channel.WECHAT],
                                                 [Channel.PHONE, Channel.WECHAT, Channel.EMAIL])]
        self.defaults = {f.column: f.get_db_prep_save(f.get_default(), connection)
                         for f in Client._meta.concrete_fields}

    def rows(self, first_id: int, count: int) -> list[tuple[Any, ...]]:
        rng, gen, enc, pick = self.rng, self.gen, crypto.encrypt, self.gen.pick
        places = rng.choices(self.places, cum_weights=self.place_cum, k=count)
        tiers = rng.choices("ABC", cum_weights=(20, 50, 100), k=count)
        statuses = rng.choices(("active", "cured", "deceased", "lost", "opted_out"),
                               cum_weights=(93, 96, 97, 99, 100), k=count)
        today = gen.today
        sqlite = self.vendor == "sqlite"
        out = []
        for i in range(count):
            unit_id, city, branch = places[i]
            person = gen.person(city)
            tier = tiers[i]
            old = (today.year - person.birth_date.year) >= 65
            emergency = gen.mobile() if old else ""
            row = dict(self.defaults)
            row.update({
                "id": first_id + i,
                "name": person.name, "sex": person.sex,
                "birth_date": person.birth_date.isoformat() if sqlite else person.birth_date,
                "id_number": enc(person.id_number, context="client.id_number"),
                "id_number_hash": id_number_index(person.id_number),
                "phone": enc(person.phone, context="client.phone"), "phone_hash": phone_index(person.phone),
                "email": person.email, "address": enc(person.address, context="client.address"),
                "emergency_contact_name": (person.surname + gen.given_name(pick(("male", "female")),
                                                                           person.birth_date.year + 28)) if old else "",
                "emergency_contact_phone": enc(emergency, context="client.emergency_phone") if old else "",
                "preferred_channels": pick(self.channels), "contact_hours": pick(ref.CONTACT_HOURS),
                "is_vip": tier == "A" and rng.random() < 0.35, "tier": tier, "status": statuses[i],
                "branch_id": unit_id, "health_manager_id": pick(self.staff.nurses[branch]),
                "family_doctor_id": pick(self.staff.doctors[branch]) if tier == "A" else None,
                "created_at": (created := pick(self.created)), "updated_at": created,
            })
            out.append(tuple(row[c] for c in self.columns))
        return out

    def consents(self, first_id: int, count: int, recorded_by: int | None) -> list[tuple[Any, ...]]:
        rng = self.rng
        given = self.created[0]
        health, reminders = ConsentPurpose.HEALTH_DATA.value, ConsentPurpose.REMINDERS.value
        written = ConsentMethod.WRITTEN.value
        out: list[tuple[Any, ...]] = []
        for client_id in range(first_id, first_id + count):
            out.append((client_id, health, True, NOTICE_VERSION, written, given, recorded_by, ""))
            if rng.random() < 0.85:
                out.append((client_id, reminders, True, NOTICE_VERSION, written, given, recorded_by, ""))
        return out


def _cum(weights: list[float]) -> list[float]:
    total, out = 0.0, []
    for w in weights:
        total += w
        out.append(total)
    return out


def _insert(table: str, columns: list[str] | tuple[str, ...], rows: list[tuple[Any, ...]]) -> None:
    if connection.vendor == "postgresql":
        raw = connection.connection  # psycopg 3 connection, inside Django's transaction
        with raw.cursor() as cursor, cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        return
    sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join(['%s'] * len(columns))})"  # noqa: S608 (fixed names)
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


def _prepare_connection() -> None:
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA cache_size = -262144")  # 256 MB of page cache: indexes of random hashes
    else:
        with connection.cursor() as cursor:
            cursor.execute(f"LOCK TABLE {Client._meta.db_table} IN SHARE ROW EXCLUSIVE MODE")


def _batches(total: int, size: int) -> Iterator[tuple[int, int]]:
    done = 0
    while done < total:
        step = min(size, total - done)
        yield done, step
        done += step


Batch = tuple[int, int, list[tuple[Any, ...]], list[tuple[Any, ...]]]  # first id, count, clients, consents


def _generate(maker: _RowMaker, plan: list[tuple[int, int]], recorded_by: int | None) -> Iterator[Batch]:
    for first, step in plan:
        yield first, step, maker.rows(first, step), maker.consents(first, step, recorded_by)


def _producer(queue: Any, maker: _RowMaker, plan: list[tuple[int, int]], recorded_by: int | None) -> None:
    """Runs in a forked process: generate and encrypt while the parent inserts. Never touches the database."""
    for batch in _generate(maker, plan, recorded_by):
        queue.put(batch)
    queue.put(None)


def _in_other_process(maker: _RowMaker, plan: list[tuple[int, int]], recorded_by: int | None) -> Iterator[Batch]:
    """The same batches, generated by a second process (the second core) — identical output for a seed."""
    context = multiprocessing.get_context("fork")
    queue = context.Queue(maxsize=3)
    worker = context.Process(target=_producer, args=(queue, maker, plan, recorded_by), daemon=True)
    worker.start()
    try:
        while True:
            try:
                batch = queue.get(timeout=5)
            except Empty:
                if not worker.is_alive():
                    raise RuntimeError(f"the demo data generator stopped (exit code {worker.exitcode})") from None
                continue
            if batch is None:
                break
            yield batch
    finally:
        if worker.is_alive():
            worker.terminate()
        worker.join()


def load_bulk(*, target: int, rng: random.Random, stdout: Output, batch_size: int = 20_000,
              parallel: bool | None = None, progress: Callable[[str], None] | None = None) -> BulkResult:
    """Bring the number of clients up to ``target``; a no-op when there are already that many.

    ``parallel`` (default: for 50,000 rows or more, where fork is available) generates rows in a
    second process while this one inserts.
    """
    say = progress or (lambda text: stdout.write(text + "\n"))
    started = time.perf_counter()
    existing = Client.objects.count()
    if existing >= target:
        return BulkResult(loaded=0, consents=0, staff=0, seconds=0.0)
    count = target - existing
    if parallel is None:
        parallel = count >= 50_000 and "fork" in multiprocessing.get_all_start_methods()
    units = {u.code: u for u in OrgUnit.objects.filter(code__in=BRANCH_OF)}
    admin = User.objects.filter(username="admin").first()
    with transaction.atomic():
        _prepare_connection()
        staff = _create_staff(count, units)
        taken = set(Client.objects.exclude(id_number="").values_list("id_number", flat=True))
        gen = PeopleGenerator(rng, timezone.localdate(), taken_ids=taken)
        columns = [str(f.column) for f in Client._meta.concrete_fields]
        maker = _RowMaker(rng, gen, units, staff, columns)
        first_id = (Client.objects.aggregate(m=Max("id"))["m"] or 0) + 1
        plan = [(first_id + done, step) for done, step in _batches(count, batch_size)]
        recorded_by = admin.pk if admin else None
        batches = _in_other_process(maker, plan, recorded_by) if parallel else _generate(maker, plan, recorded_by)
        consents = done = 0
        report_every, next_report = max(batch_size, count // 20), 0
        say(f"Loading {count:,} clients in batches of {batch_size:,} into {connection.vendor}"
            f"{' (rows generated by a second process)' if parallel else ''} …")
        for _first, step, client_rows, consent_rows in batches:
            _insert(Client._meta.db_table, columns, client_rows)
            _insert(Consent._meta.db_table, CONSENT_COLUMNS, consent_rows)
            consents += len(consent_rows)
            done += step
            if done >= next_report or done == count:
                next_report = done + report_every
                say(f"  {done:>10,} / {count:,} clients  {done / (time.perf_counter() - started):>8,.0f} clients/s")
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                for sql in connection.ops.sequence_reset_sql(no_style(), [Client, Consent]):
                    cursor.execute(sql)
        last_id = first_id + count - 1
        audit_record(actor=None, action="demo.bulk_load", detail={
            "clients": count, "consents": consents, "staff": staff.created, "first_id": first_id, "last_id": last_id,
        })
    if connection.vendor == "postgresql" and not connection.in_atomic_block:
        # What autovacuum would do a little later: planner statistics, and the visibility map without
        # which no index-only scan is possible (a COUNT over a name prefix is ~40x slower without it).
        # SQLite gets no ANALYZE on purpose: with statistics its planner drives the scoped phone search
        # (phone_hash OR phone2_hash) through the branch index instead (see docs/perf-demo.md).
        with connection.cursor() as cursor:
            cursor.execute(f"VACUUM ANALYZE {Client._meta.db_table}, {Consent._meta.db_table}")
    seconds = time.perf_counter() - started
    return BulkResult(loaded=count, consents=consents, staff=staff.created, seconds=seconds, first_id=first_id,
                      last_id=last_id)
