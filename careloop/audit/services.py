"""Writing the audit trail. Every read of a client's record and every write calls audit_record."""

from __future__ import annotations

import datetime as dt
import json
import logging
from dataclasses import dataclass
from typing import Any

from django.db import connection, models, transaction
from django.utils import timezone

from careloop.audit.chain import GENESIS, row_hash, row_mac
from careloop.audit.models import AuditEvent
from careloop.core.context import current_origin

logger = logging.getLogger("careloop.audit")

_PG_LOCK_KEY = 0x6361_7265  # "care": one sealer at a time on PostgreSQL
APPEND_SEQUENCE = "audit_auditevent_append_id_seq"  # PostgreSQL: the append_id column's default (migration 0004)
SEAL_BATCH = 5000

# Written at INSERT; seq, prev_hash and hash stay NULL until audit_seal().
_INSERT_COLUMNS = ("at", "actor_id", "actor_name", "roles", "action", "object_type", "object_id", "client_id", "ip",
                   "channel", "result", "detail", "mac")


def _insert_sql(*, many: bool) -> str:
    table = connection.ops.quote_name(AuditEvent._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(c) for c in _INSERT_COLUMNS)
    returning = "" if many else " RETURNING id, append_id"
    if connection.vendor == "postgresql":
        values = ", ".join("%s::jsonb" if c == "detail" else "%s" for c in _INSERT_COLUMNS)
        # append_id comes from the column's default, nextval() of its sequence: no lock, no read.
        return f"INSERT INTO {table} ({columns}) VALUES ({values}){returning}"  # noqa: S608 (names are constants)
    # SQLite: a transaction holds the one writer lock, so max + 1 is unique and follows commit order.
    values = ", ".join(["%s"] * len(_INSERT_COLUMNS))
    next_id = f"(SELECT COALESCE(MAX(append_id), 0) + 1 FROM {table})"  # noqa: S608
    return f"INSERT INTO {table} (append_id, {columns}) VALUES ({next_id}, {values}){returning}"  # noqa: S608


def _stored(row: dict[str, Any]) -> tuple[Any, ...]:
    """The row as INSERT parameters (the datetime adapted for SQLite, the detail as JSON text)."""
    at = row["at"] if connection.vendor == "postgresql" else connection.ops.adapt_datetimefield_value(row["at"])
    detail = json.dumps(row["detail"], ensure_ascii=False)
    return (at, *(row[c] for c in _INSERT_COLUMNS[1:-2]), detail, row["mac"])


def audit_record(
    *,
    actor: Any,
    action: str,
    obj: models.Model | None = None,
    client: Any = None,
    result: str = "ok",
    detail: dict[str, Any] | None = None,
    object_type: str = "",
    object_id: str = "",
) -> AuditEvent:
    """Append one audit row inside the caller's transaction: one INSERT, no lock. ``audit_seal`` chains it
    after it commits."""
    origin = current_origin()
    authenticated = actor is not None and getattr(actor, "is_authenticated", False)
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk)
    client_id = getattr(client, "pk", client)
    row: dict[str, Any] = {
        "at": timezone.now().astimezone(dt.UTC),
        "actor_id": actor.pk if authenticated else None,
        "actor_name": actor.get_username() if authenticated else "",
        "roles": ",".join(sorted(actor.roles)) if authenticated and hasattr(actor, "roles") else "",
        "action": action,
        "object_type": object_type,
        "object_id": object_id,
        "client_id": client_id,
        "ip": origin.ip,
        "channel": origin.channel,
        "result": result,
        "detail": json.loads(json.dumps(detail or {}, default=str)),
    }
    row["mac"] = row_mac(row)
    with connection.cursor() as cursor:
        cursor.execute(_insert_sql(many=False), _stored(row))
        pk, append_id = cursor.fetchone()
    event = AuditEvent(id=pk, append_id=append_id, **row)
    event._state.adding = False
    event._state.db = connection.alias
    return event


def audit_record_many(*, actor: Any, entries: list[dict[str, Any]], result: str = "ok") -> int:
    """Append many audit rows by one actor, in order, with one COPY (PostgreSQL) or one executemany.

    Each entry has ``action`` and optionally ``obj`` (or ``object_type``/``object_id``), ``client``
    and ``detail``: the same rows ``audit_record`` would write one by one (bulk imports). They are sealed
    together by the next ``audit_seal`` after the caller's transaction commits.
    """
    if not entries:
        return 0
    origin = current_origin()
    authenticated = actor is not None and getattr(actor, "is_authenticated", False)
    actor_id = actor.pk if authenticated else None
    actor_name = actor.get_username() if authenticated else ""
    roles = ",".join(sorted(actor.roles)) if authenticated and hasattr(actor, "roles") else ""
    at = timezone.now().astimezone(dt.UTC)
    values = []
    for entry in entries:
        obj = entry.get("obj")
        object_type = entry.get("object_type", "")
        object_id = entry.get("object_id", "")
        if obj is not None:
            object_type = object_type or obj._meta.label_lower
            object_id = object_id or str(obj.pk)
        client = entry.get("client")
        row = {
            "at": at,
            "actor_id": actor_id,
            "actor_name": actor_name,
            "roles": roles,
            "action": entry["action"],
            "object_type": object_type,
            "object_id": str(object_id),
            "client_id": getattr(client, "pk", client),
            "ip": origin.ip,
            "channel": origin.channel,
            "result": entry.get("result", result),
            "detail": json.loads(json.dumps(entry.get("detail") or {}, default=str)),
        }
        row["mac"] = row_mac(row)
        values.append(_stored(row))
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            table = connection.ops.quote_name(AuditEvent._meta.db_table)
            columns = ", ".join(connection.ops.quote_name(c) for c in _INSERT_COLUMNS)
            # COPY fills append_id from the column default, in row order.
            with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for value in values:
                    copy.write_row(value)
        else:
            cursor.executemany(_insert_sql(many=True), values)
    return len(values)


# --- Sealing -------------------------------------------------------------------------------------------------

SEAL_FIELDS = ("id", "append_id", "at", "actor_id", "actor_name", "roles", "action", "object_type", "object_id",
               "client_id", "ip", "channel", "result", "detail", "mac")


@dataclass(frozen=True)
class SealResult:
    sealed: int  # rows given their place in the chain by this call
    waiting: int  # committed rows left unsealed (behind a transaction still open, or refused)
    refused: int | None = None  # append_id of a row whose MAC does not match: never sealed, verify names it


def audit_seal(*, batch: int = SEAL_BATCH) -> SealResult:
    """Give committed unsealed rows their ``seq``, ``prev_hash`` and ``hash``, in ``append_id`` order.

    One sealer at a time (an advisory lock on PostgreSQL, SQLite's writer lock). Rows are read in append_id
    order and chained until the first *gap*: an append_id that is not visible. On PostgreSQL a gap is either
    a transaction still open (its row will commit later) or one that rolled back (the number is lost for
    good). A transaction holding a missing number began before the read (it took its number before a
    higher one that had committed), so the sealer stops at a gap while any other client transaction of
    this database that began before the read is still open (pg_stat_activity.xact_start), and steps over
    it only once none is and a fresh look shows the number still missing (a writer that committed in
    between is sealed by the next batch, in order — without that second look a writer committing between
    the read and the pg_stat_activity query was stepped over and chained after a higher number, the
    inversion once seen under 16 writers). So a lower append_id is never chained after a higher one (the
    chain's order is append order), and a long transaction that wrote audit rows holds back the
    sealing (not the writing) of every row appended after its first one until it ends. Rows inserted by
    hand with a chosen append_id below the tail are still chained, at the end. A row whose MAC does not
    match stops the sealer (``refused``) until someone looks. Each batch is its own short transaction;
    writers never wait for the sealer.
    """
    sealed = 0
    while True:
        with transaction.atomic():
            count, more, refused = _seal_batch(batch)
        sealed += count
        if not more or refused is not None:
            break
    waiting = AuditEvent.objects.filter(seq__isnull=True).count()
    return SealResult(sealed=sealed, waiting=waiting, refused=refused)


def _older_transaction_open(read_at: dt.datetime) -> bool:
    with connection.cursor() as cursor:
        # pg_stat_activity is read once per transaction and kept: when audit_seal runs inside an outer
        # transaction, a later batch would otherwise judge from the first batch's view of the sessions.
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute(
            "SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE datname = current_database()"
            " AND pid <> pg_backend_pid() AND backend_type = 'client backend' AND xact_start < %s)",
            [read_at],
        )
        return bool(cursor.fetchone()[0])


def _arrived_since(first: int, end: int) -> bool:
    """Whether a row with an append_id in [first, end) is visible now (a fresh statement: READ COMMITTED)."""
    return AuditEvent.objects.filter(append_id__gte=first, append_id__lt=end).exists()


def _seal_batch(batch: int) -> tuple[int, bool, int | None]:
    """Seal up to ``batch`` rows; return (sealed, whether more may be sealable now, refused append_id)."""
    postgres = connection.vendor == "postgresql"
    if postgres:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_PG_LOCK_KEY])
    tail = AuditEvent.objects.filter(seq__isnull=False).order_by("-seq").values("seq", "hash", "append_id").first()
    seq: int = (tail["seq"] or 0) if tail else 0
    prev: str = (tail["hash"] or GENESIS) if tail else GENESIS
    expected: int = (tail["append_id"] + 1) if tail else 1
    rows = list(AuditEvent.objects.filter(seq__isnull=True).order_by("append_id").values(*SEAL_FIELDS)[:batch])
    read_at: dt.datetime | None = None
    if postgres:
        with connection.cursor() as cursor:
            cursor.execute("SELECT clock_timestamp()")
            read_at = cursor.fetchone()[0]
    older_open: bool | None = None
    late = False
    updates: list[tuple[int, int, str, str]] = []
    refused = None
    stopped = False
    for row in rows:
        if row["append_id"] > expected and postgres:
            if older_open is None:
                older_open = _older_transaction_open(read_at)  # type: ignore[arg-type]
            if older_open or _arrived_since(expected, row["append_id"]):
                # A writer still open may hold the missing number; or one that held it committed after the
                # read above and before the pg_stat_activity look (so it no longer shows as open): its row
                # goes first, on the next batch. Only a number still missing now was rolled back.
                stopped = True
                late = not older_open
                break
        content = dict(row)
        content["at"] = row["at"].astimezone(dt.UTC)
        if row_mac(content) != row["mac"]:
            refused = row["append_id"]
            logger.error("audit row append_id %s was not written by careloop (MAC mismatch): not sealed", refused)
            break
        seq += 1
        content["seq"] = seq
        digest = row_hash(prev, content)
        updates.append((row["id"], seq, prev, digest))
        prev = digest
        expected = max(expected, row["append_id"] + 1)
    if updates:
        table = connection.ops.quote_name(AuditEvent._meta.db_table)
        with connection.cursor() as cursor:
            if postgres:
                ids, seqs, prevs, hashes = (list(column) for column in zip(*updates, strict=True))
                cursor.execute(
                    f"UPDATE {table} AS a SET seq = v.seq, prev_hash = v.prev_hash, hash = v.hash"  # noqa: S608
                    " FROM unnest(%s::bigint[], %s::bigint[], %s::varchar[], %s::varchar[]) AS v(id, seq, prev_hash, hash)"
                    " WHERE a.id = v.id",
                    [ids, seqs, prevs, hashes],
                )
            else:
                cursor.executemany(
                    f"UPDATE {table} SET seq = %s, prev_hash = %s, hash = %s WHERE id = %s",  # noqa: S608
                    [(s, p, h, i) for i, s, p, h in updates],
                )
    more = (len(rows) == batch and not stopped) or late
    return len(updates), more, refused


def audit_read(*, actor: Any, action: str, obj: models.Model | None = None, client: Any = None,
               detail: dict[str, Any] | None = None, object_id: str = "") -> AuditEvent:
    """The one door for reads of a client's data (SEC-2): every page, API operation and export that shows a
    client's record or health data calls this once per request. ``client`` defaults to ``obj.client`` (or
    ``obj`` itself when it is a client); a list passes no client and says what it showed in ``detail``.
    tests/audit/test_reads_are_audited.py walks every URL and API operation and fails on a read without a row."""
    if client is None and obj is not None:
        client = getattr(obj, "client_id", None)
        if client is None and obj._meta.label_lower == "clients.client":
            client = obj.pk
    return audit_record(actor=actor, action=action, obj=obj, client=client, detail=detail, object_id=object_id)
