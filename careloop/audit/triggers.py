"""Database triggers that make the audit table append-only for the application's connection.

DELETE and TRUNCATE are refused; so is every UPDATE but one: sealing, which sets ``seq``, ``prev_hash`` and
``hash`` from NULL to non-NULL and leaves every other column as it was. A sealed row can never change.
"""

from __future__ import annotations

from typing import Any

TABLE = "audit_auditevent"

# Every column but the three the sealer fills in; `IS` is SQLite's NULL-safe equality.
_KEPT = ("id", "append_id", "at", "actor_id", "actor_name", "roles", "action", "object_type", "object_id",
         "client_id", "ip", "channel", "result", "detail", "mac")
_SQLITE_SEALING = " AND ".join(
    ["OLD.seq IS NULL", "OLD.prev_hash IS NULL", "OLD.hash IS NULL",
     "NEW.seq IS NOT NULL", "NEW.prev_hash IS NOT NULL", "NEW.hash IS NOT NULL"]
    + [f"NEW.{c} IS OLD.{c}" for c in _KEPT]
)

SQLITE_INSTALL = [
    f"""CREATE TRIGGER IF NOT EXISTS audit_only_seal BEFORE UPDATE ON {TABLE} WHEN NOT ({_SQLITE_SEALING})
        BEGIN SELECT RAISE(ABORT, 'audit rows are append-only'); END""",
    f"""CREATE TRIGGER IF NOT EXISTS audit_no_delete BEFORE DELETE ON {TABLE}
        BEGIN SELECT RAISE(ABORT, 'audit rows are append-only'); END""",
]
SQLITE_REMOVE = ["DROP TRIGGER IF EXISTS audit_only_seal", "DROP TRIGGER IF EXISTS audit_no_delete"]

# to_jsonb(row) minus the sealed columns compares every other column, including any added later.
PG_INSTALL = [
    """CREATE OR REPLACE FUNCTION careloop_audit_append_only() RETURNS trigger AS $$
       BEGIN
         IF TG_OP = 'UPDATE'
            AND OLD.seq IS NULL AND OLD.prev_hash IS NULL AND OLD.hash IS NULL
            AND NEW.seq IS NOT NULL AND NEW.prev_hash IS NOT NULL AND NEW.hash IS NOT NULL
            AND (to_jsonb(NEW) - 'seq' - 'prev_hash' - 'hash') = (to_jsonb(OLD) - 'seq' - 'prev_hash' - 'hash')
         THEN
           RETURN NEW;
         END IF;
         RAISE EXCEPTION 'audit rows are append-only';
       END; $$ LANGUAGE plpgsql""",
    f"DROP TRIGGER IF EXISTS audit_no_change ON {TABLE}",
    f"""CREATE TRIGGER audit_no_change BEFORE UPDATE OR DELETE ON {TABLE}
        FOR EACH ROW EXECUTE FUNCTION careloop_audit_append_only()""",
    f"DROP TRIGGER IF EXISTS audit_no_truncate ON {TABLE}",
    f"""CREATE TRIGGER audit_no_truncate BEFORE TRUNCATE ON {TABLE}
        FOR EACH STATEMENT EXECUTE FUNCTION careloop_audit_append_only()""",
]
PG_REMOVE = [
    f"DROP TRIGGER IF EXISTS audit_no_change ON {TABLE}",
    f"DROP TRIGGER IF EXISTS audit_no_truncate ON {TABLE}",
]


def _run(connection: Any, statements: list[str]) -> None:
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


def install(connection: Any) -> None:
    _run(connection, PG_INSTALL if connection.vendor == "postgresql" else SQLITE_INSTALL)


def remove(connection: Any) -> None:
    _run(connection, PG_REMOVE if connection.vendor == "postgresql" else SQLITE_REMOVE)
