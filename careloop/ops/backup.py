"""Backups and restore (SEC-6). A backup holds ciphertext only: keys are never in it.

SQLite: the online backup API copies a consistent snapshot while the app runs. PostgreSQL:
pg_dump's custom format. Each backup has a manifest with its SHA-256, checked before a restore.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import connection, transaction

from careloop.audit.services import audit_seal


class BackupError(Exception):
    pass


@dataclass(frozen=True)
class BackupInfo:
    path: Path
    sha256: str
    vendor: str
    created_at: str


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _pg_args() -> list[str]:
    db = settings.DATABASES["default"]
    args = ["--dbname", db["NAME"]]
    if db.get("HOST"):
        args += ["--host", db["HOST"]]
    if db.get("PORT"):
        args += ["--port", str(db["PORT"])]
    if db.get("USER"):
        args += ["--username", db["USER"]]
    return args


def _pg_env() -> dict[str, str]:
    import os

    env = dict(os.environ)
    if settings.DATABASES["default"].get("PASSWORD"):
        env["PGPASSWORD"] = settings.DATABASES["default"]["PASSWORD"]
    return env


def _tables() -> list[str]:
    return sorted(connection.introspection.django_table_names(only_existing=True, include_views=False))


def _count_sqlite(path: Path, tables: list[str]) -> dict[str, int]:
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return {t: int(db.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0]) for t in tables}  # noqa: S608
    finally:
        db.close()


def backup_create(directory: Path | None = None) -> BackupInfo:
    """Write a consistent backup and its manifest (checksum, vendor, time, and the row count of every table
    as of the backup's own snapshot, which ``careloop restore --drill`` checks the restored copy against)."""
    directory = Path(directory or settings.BACKUP_DIR)
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    audit_seal()  # chain what has committed, so the copy's trail is sealed as far as it can be
    now = dt.datetime.now(dt.UTC)
    stamp = now.strftime("%Y%m%dT%H%M%S%fZ")
    vendor = connection.vendor
    tables = _tables()
    if vendor == "sqlite":
        target = directory / f"careloop-{stamp}.sqlite3"
        # The online backup API through Django's own connection: a consistent snapshot while the app runs,
        # of whatever database this process uses (the test database under pytest).
        connection.ensure_connection()
        dest = sqlite3.connect(target)
        try:
            connection.connection.backup(dest)
            dest.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal/-shm beside it
        finally:
            dest.close()
        counts = _count_sqlite(target, tables)
    elif vendor == "postgresql":
        if shutil.which("pg_dump") is None:
            raise BackupError("pg_dump is not installed (Debian: apt-get install postgresql-client)")
        target = directory / f"careloop-{stamp}.pgdump"
        # Count and dump inside one exported snapshot, so that the counts are exactly the dump's.
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            cursor.execute("SELECT pg_export_snapshot()")
            snapshot = cursor.fetchone()[0]
            counts = {}
            for table in tables:
                cursor.execute(f'SELECT count(*) FROM "{table}"')  # noqa: S608 (Django's own table names)
                counts[table] = int(cursor.fetchone()[0])
            result = subprocess.run(["pg_dump", "--format=custom", "--no-owner", f"--snapshot={snapshot}",
                                     "--file", str(target), *_pg_args()],
                                    env=_pg_env(), capture_output=True, text=True, check=False)
        if result.returncode != 0:
            raise BackupError(f"pg_dump failed: {result.stderr.strip()}")
    else:
        raise BackupError(f"backups are not supported for {vendor}")
    target.chmod(0o600)
    info = BackupInfo(target, _sha256(target), vendor, stamp)
    manifest = target.with_suffix(target.suffix + ".json")
    manifest.write_text(json.dumps({"file": target.name, "sha256": info.sha256, "vendor": vendor, "created_at": stamp,
                                    "created_at_iso": now.isoformat(), "rows": counts}))
    manifest.chmod(0o600)
    return info


def backup_manifest(path: Path) -> dict:
    return json.loads(Path(path).with_suffix(Path(path).suffix + ".json").read_text())


def backups_prune(keep: int, directory: Path | None = None) -> list[Path]:
    directory = Path(directory or settings.BACKUP_DIR)
    manifests = sorted(directory.glob("careloop-*.json"))
    removed = []
    for manifest in manifests[:-keep] if keep > 0 else []:
        data = json.loads(manifest.read_text())
        (directory / data["file"]).unlink(missing_ok=True)
        manifest.unlink()
        removed.append(directory / data["file"])
    return removed


def backup_latest(directory: Path | None = None) -> Path | None:
    directory = Path(directory or settings.BACKUP_DIR)
    manifests = sorted(directory.glob("careloop-*.json"))
    if not manifests:
        return None
    return directory / json.loads(manifests[-1].read_text())["file"]


def backup_restore(path: Path) -> None:
    """Replace the database with a backup after checking its manifest. Stop the app and worker first."""
    path = Path(path)
    manifest_path = path.with_suffix(path.suffix + ".json")
    if not path.exists():
        raise BackupError(f"{path}: no such backup")
    if not manifest_path.exists():
        raise BackupError(f"{manifest_path}: the manifest is missing; refusing to restore an unchecked file")
    manifest = json.loads(manifest_path.read_text())
    if _sha256(path) != manifest["sha256"]:
        raise BackupError(f"{path}: checksum does not match its manifest (damaged or altered)")
    if manifest["vendor"] != connection.vendor:
        raise BackupError(f"{path} is a {manifest['vendor']} backup; this installation uses {connection.vendor}")
    connection.close()
    if connection.vendor == "sqlite":
        source = sqlite3.connect(path)
        dest = sqlite3.connect(settings.DATABASES["default"]["NAME"])
        try:
            source.backup(dest)
        finally:
            dest.close()
            source.close()
    else:
        if shutil.which("pg_restore") is None:
            raise BackupError("pg_restore is not installed (Debian: apt-get install postgresql-client)")
        result = subprocess.run(["pg_restore", "--clean", "--if-exists", "--no-owner", "--single-transaction",
                                 *_pg_args(), str(path)], env=_pg_env(), capture_output=True, text=True, check=False)
        if result.returncode != 0:
            raise BackupError(f"pg_restore failed: {result.stderr.strip()}")
