"""Writing the audit trail. Every read of a client's record and every write calls audit_record."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.db import connection, models, transaction
from django.utils import timezone

from careloop.audit.chain import GENESIS, row_hash
from careloop.audit.models import AuditEvent
from careloop.core.context import current_origin

_PG_LOCK_KEY = 0x6361_7265  # "care": serialises chain appends across connections on PostgreSQL


def _lock_chain() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_PG_LOCK_KEY])
    # SQLite: transactions are IMMEDIATE, so the writer lock is already held.


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
    """Append one audit row, chained to the previous one, inside the caller's transaction."""
    origin = current_origin()
    authenticated = actor is not None and getattr(actor, "is_authenticated", False)
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk)
    client_id = getattr(client, "pk", client)
    with transaction.atomic():
        _lock_chain()
        last = AuditEvent.objects.order_by("-seq").values("seq", "hash").first()
        seq = (last["seq"] + 1) if last else 1
        prev = last["hash"] if last else GENESIS
        at = timezone.now().astimezone(dt.UTC)
        row = {
            "seq": seq,
            "at": at,
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
        return AuditEvent.objects.create(prev_hash=prev, hash=row_hash(prev, row), **row)


def audit_record_many(*, actor: Any, entries: list[dict[str, Any]], result: str = "ok") -> int:
    """Append many audit rows by one actor, chained in order, with one lock and one insert.

    Each entry has ``action`` and optionally ``obj`` (or ``object_type``/``object_id``), ``client``
    and ``detail``: the same rows ``audit_record`` would write one by one (bulk imports).
    """
    if not entries:
        return 0
    origin = current_origin()
    authenticated = actor is not None and getattr(actor, "is_authenticated", False)
    actor_id = actor.pk if authenticated else None
    actor_name = actor.get_username() if authenticated else ""
    roles = ",".join(sorted(actor.roles)) if authenticated and hasattr(actor, "roles") else ""
    postgres = connection.vendor == "postgresql"
    with transaction.atomic():
        _lock_chain()
        last = AuditEvent.objects.order_by("-seq").values("seq", "hash").first()
        seq = last["seq"] if last else 0
        prev = last["hash"] if last else GENESIS
        at = timezone.now().astimezone(dt.UTC)
        at_value = at if postgres else connection.ops.adapt_datetimefield_value(at)
        values = []
        for entry in entries:
            obj = entry.get("obj")
            object_type = entry.get("object_type", "")
            object_id = entry.get("object_id", "")
            if obj is not None:
                object_type = object_type or obj._meta.label_lower
                object_id = object_id or str(obj.pk)
            client = entry.get("client")
            stored = json.dumps(entry.get("detail") or {}, default=str)
            seq += 1
            row = {
                "seq": seq,
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
                "detail": json.loads(stored),
            }
            digest = row_hash(prev, row)
            row["at"], row["detail"] = at_value, stored
            values.append((*(row[c] for c in _BULK_COLUMNS[:-2]), prev, digest))
            prev = digest
        table = connection.ops.quote_name(AuditEvent._meta.db_table)
        columns = ", ".join(connection.ops.quote_name(c) for c in _BULK_COLUMNS)
        with connection.cursor() as cursor:
            if postgres:
                with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                    for value in values:
                        copy.write_row(value)
            else:
                # Table and column names are this module's constants; values are parameters.
                sql = f"INSERT INTO {table} ({columns}) VALUES ({', '.join(['%s'] * len(_BULK_COLUMNS))})"  # noqa: S608
                cursor.executemany(sql, values)
    return len(values)


_BULK_COLUMNS = ("seq", "at", "actor_id", "actor_name", "roles", "action", "object_type", "object_id", "client_id", "ip",
                 "channel", "result", "detail", "prev_hash", "hash")


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
