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
from django.db import connection


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


def backup_create(directory: Path | None = None) -> BackupInfo:
    directory = Path(directory or settings.BACKUP_DIR)
    directory.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")
    vendor = connection.vendor
    if vendor == "sqlite":
        target = directory / f"careloop-{stamp}.sqlite3"
        source = sqlite3.connect(settings.DATABASES["default"]["NAME"])
        dest = sqlite3.connect(target)
        try:
            source.backup(dest)
        finally:
            dest.close()
            source.close()
    elif vendor == "postgresql":
        if shutil.which("pg_dump") is None:
            raise BackupError("pg_dump is not installed (Debian: apt-get install postgresql-client)")
        target = directory / f"careloop-{stamp}.pgdump"
        result = subprocess.run(["pg_dump", "--format=custom", "--no-owner", "--file", str(target), *_pg_args()],
                                env=_pg_env(), capture_output=True, text=True, check=False)
        if result.returncode != 0:
            raise BackupError(f"pg_dump failed: {result.stderr.strip()}")
    else:
        raise BackupError(f"backups are not supported for {vendor}")
    target.chmod(0o600)
    info = BackupInfo(target, _sha256(target), vendor, stamp)
    target.with_suffix(target.suffix + ".json").write_text(
        json.dumps({"file": target.name, "sha256": info.sha256, "vendor": vendor, "created_at": stamp})
    )
    return info


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
