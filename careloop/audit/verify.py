"""Checking the audit chain: the first row that was edited, deleted or inserted is named."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from careloop.audit.chain import GENESIS, row_hash
from careloop.audit.models import AuditEvent

FIELDS = ("id", "seq", "at", "actor_id", "actor_name", "roles", "action", "object_type", "object_id",
          "client_id", "ip", "channel", "result", "detail", "prev_hash", "hash")


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    checked: int
    message: str
    broken_seq: int | None = None


def checkpoint_path() -> Path:
    return Path(settings.KEYS_DIR) / "audit-checkpoint.json"


def _read_checkpoint() -> dict | None:
    path = checkpoint_path()
    if not path.exists():
        return None
    return json.loads(path.read_text())


def write_checkpoint(seq: int, hash_: str) -> None:
    path = checkpoint_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps({"seq": seq, "hash": hash_}))
    tmp.replace(path)


def verify_chain(*, update_checkpoint: bool = True, using: str = "default", use_checkpoint: bool = True) -> VerifyResult:
    """Walk the chain in ``using``; the checkpoint outside the database also catches a truncated tail
    (``use_checkpoint=False`` for a restored copy, which legitimately ends before it)."""
    prev_hash = GENESIS
    expected_seq = 1
    checked = 0
    hashes_at: dict[int, str] = {}
    checkpoint = _read_checkpoint() if use_checkpoint else None
    rows = AuditEvent.objects.using(using).order_by("seq").values(*FIELDS).iterator(chunk_size=2000)
    for row in rows:
        seq = row["seq"]
        if seq != expected_seq:
            return VerifyResult(False, checked, f"row seq {seq} (id {row['id']}): rows {expected_seq}–{seq - 1} are missing (deleted)", seq)
        if row["prev_hash"] != prev_hash:
            return VerifyResult(False, checked, f"row seq {seq} (id {row['id']}): does not follow row {seq - 1} (a row was inserted or replaced)", seq)
        content = dict(row)
        content["at"] = row["at"].astimezone(dt.UTC)
        if row_hash(prev_hash, content) != row["hash"]:
            return VerifyResult(False, checked, f"row seq {seq} (id {row['id']}): content was altered", seq)
        if checkpoint and seq == checkpoint["seq"]:
            hashes_at[seq] = row["hash"]
        prev_hash = row["hash"]
        expected_seq += 1
        checked += 1
    if checkpoint:
        cp_seq = checkpoint["seq"]
        if checked < cp_seq:
            return VerifyResult(False, checked, f"rows after seq {checked} are missing: the last verified checkpoint saw row {cp_seq}", checked + 1)
        if hashes_at.get(cp_seq) != checkpoint["hash"]:
            return VerifyResult(False, checked, f"row seq {cp_seq}: differs from the last verified checkpoint", cp_seq)
    if update_checkpoint and checked:
        write_checkpoint(checked, prev_hash)
    return VerifyResult(True, checked, f"audit trail intact: {checked} rows")
