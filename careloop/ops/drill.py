"""The restore drill (SEC-6, issue 18): prove that the newest backup restores, without touching live data.

The backup is restored into a scratch database (a temporary SQLite file, or a new PostgreSQL database
next to the live one), the row count of every table is compared with the manifest, the audit chain
is verified in the copy, and the copy's last audit row is checked against the live chain (a backup is a
prefix of the live trail). RPO is the age of the backup; RTO the time the restore and checks took.
"""

from __future__ import annotations

import datetime as dt
import shutil
import sqlite3
import subprocess
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db import connection, connections

from careloop.audit.models import AuditEvent
from careloop.audit.verify import verify_chain
from careloop.ops.backup import BackupError, _pg_args, _pg_env, _sha256, backup_latest, backup_manifest

ALIAS = "restore_drill"


@dataclass
class DrillResult:
    backup: Path
    ok: bool = False
    rpo_seconds: float = 0.0
    rto_seconds: float = 0.0
    tables: int = 0
    rows: int = 0
    mismatches: list[str] = field(default_factory=list)
    audit_message: str = ""
    problems: list[str] = field(default_factory=list)


def restore_drill(path: Path | None = None) -> DrillResult:
    path = Path(path) if path else backup_latest()
    if path is None:
        raise BackupError("no backup found in the backup directory")
    manifest = backup_manifest(path)
    result = DrillResult(backup=path)
    created = dt.datetime.fromisoformat(manifest.get("created_at_iso") or _stamp_to_iso(manifest["created_at"]))
    result.rpo_seconds = (dt.datetime.now(dt.UTC) - created).total_seconds()
    if _sha256(path) != manifest["sha256"]:
        raise BackupError(f"{path}: checksum does not match its manifest (damaged or altered)")
    if manifest["vendor"] != connection.vendor:
        raise BackupError(f"{path} is a {manifest['vendor']} backup; this installation uses {connection.vendor}")
    started = time.monotonic()
    scratch = _restore_sqlite(path) if connection.vendor == "sqlite" else _restore_postgres(path)
    try:
        connections.databases[ALIAS] = {**connections.databases["default"], "NAME": scratch}
        expected: dict[str, int] = manifest.get("rows", {})
        if not expected:
            result.problems.append("the manifest has no row counts (a backup from before the drill existed)")
        with connections[ALIAS].cursor() as cursor:
            for table, want in sorted(expected.items()):
                cursor.execute(f'SELECT count(*) FROM "{table}"')  # noqa: S608 (table names from our manifest)
                got = int(cursor.fetchone()[0])
                result.rows += got
                if got != want:
                    result.mismatches.append(f"{table}: {got} rows restored, {want} in the manifest")
        result.tables = len(expected)
        # A copy taken while rows waited for the sealer has unsealed rows: not a fault of the copy.
        chain = verify_chain(using=ALIAS, update_checkpoint=False, use_checkpoint=False, max_unsealed_seconds=None)
        result.audit_message = chain.message
        if not chain.ok:
            result.problems.append(f"audit chain in the restored copy: {chain.message}")
        last = AuditEvent.objects.using(ALIAS).filter(seq__isnull=False).order_by("-seq").values_list("seq", "hash").first()
        if last is not None:
            live = AuditEvent.objects.filter(seq=last[0]).values_list("hash", flat=True).first()
            if live is not None and live != last[1]:
                result.problems.append(f"audit row seq {last[0]} differs from the live trail: not a prefix of it")
    finally:
        connections[ALIAS].close()
        del connections[ALIAS]
        connections.databases.pop(ALIAS, None)
        _drop(scratch)
    result.rto_seconds = time.monotonic() - started
    result.ok = not result.mismatches and not result.problems
    return result


def _stamp_to_iso(stamp: str) -> str:
    return dt.datetime.strptime(stamp, "%Y%m%dT%H%M%S%fZ").replace(tzinfo=dt.UTC).isoformat()


def _restore_sqlite(path: Path) -> str:
    target = Path(tempfile.mkdtemp(prefix="careloop-drill-")) / "drill.sqlite3"
    source, dest = sqlite3.connect(f"file:{path}?mode=ro", uri=True), sqlite3.connect(target)
    try:
        source.backup(dest)
    finally:
        dest.close()
        source.close()
    return str(target)


def _restore_postgres(path: Path) -> str:
    if shutil.which("pg_restore") is None:
        raise BackupError("pg_restore is not installed (Debian: apt-get install postgresql-client)")
    name = f"{settings.DATABASES['default']['NAME']}_drill_{uuid.uuid4().hex[:8]}"[:63]
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{name}"')
    args = _pg_args()
    args[args.index("--dbname") + 1] = name
    result = subprocess.run(["pg_restore", "--no-owner", "--exit-on-error", *args, str(path)],
                            env=_pg_env(), capture_output=True, text=True, check=False)
    if result.returncode != 0:
        _drop(name)
        raise BackupError(f"pg_restore into the scratch database failed: {result.stderr.strip()}")
    return name


def _drop(scratch: str) -> None:
    if connection.vendor == "sqlite":
        shutil.rmtree(Path(scratch).parent, ignore_errors=True)
    else:
        with connection.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)')
