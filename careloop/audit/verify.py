"""Checking the audit chain: the first row that was edited, deleted or inserted is named."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from careloop.audit.chain import GENESIS, row_hash, row_mac
from careloop.audit.models import AuditEvent

FIELDS = ("id", "append_id", "seq", "at", "actor_id", "actor_name", "roles", "action", "object_type", "object_id",
          "client_id", "ip", "channel", "result", "detail", "mac", "prev_hash", "hash")


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    checked: int
    message: str
    broken_seq: int | None = None
    unsealed: int = 0  # committed rows not chained yet
    oldest_unsealed: int | None = None  # their lowest append_id
    oldest_unsealed_age: float | None = None  # seconds since it was written


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


def verify_chain(*, update_checkpoint: bool = True, using: str = "default", use_checkpoint: bool = True,
                 max_unsealed_seconds: int | None = -1) -> VerifyResult:
    """Walk the sealed chain in ``using``; the checkpoint outside the database also catches a truncated tail
    (``use_checkpoint=False`` for a restored copy, which legitimately ends before it). Rows not sealed yet
    are named; one older than ``max_unsealed_seconds`` (default: the AUDIT_UNSEALED_MAX_SECONDS setting;
    None: no limit, for a restored copy) fails the check — the sealer is not running or is stuck."""
    prev_hash = GENESIS
    expected_seq = 1
    checked = 0
    hashes_at: dict[int, str] = {}
    checkpoint = _read_checkpoint() if use_checkpoint else None
    rows = (AuditEvent.objects.using(using).filter(seq__isnull=False).order_by("seq").values(*FIELDS)
            .iterator(chunk_size=2000))
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
    return _report(checked, using, settings.AUDIT_UNSEALED_MAX_SECONDS if max_unsealed_seconds == -1 else max_unsealed_seconds)


def _report(checked: int, using: str, max_unsealed_seconds: int | None) -> VerifyResult:
    """The result once the sealed rows are intact: fails on an unsealed row that is forged or too old."""
    unsealed, oldest, age, forged = _unsealed(using)
    if forged is not None:
        return VerifyResult(False, checked, f"unsealed row append_id {forged['append_id']} (id {forged['id']}): "
                                            f"not written by careloop or altered (its MAC does not match)", None,
                            unsealed, oldest, age)
    if unsealed and max_unsealed_seconds is not None and age is not None and age > max_unsealed_seconds:
        return VerifyResult(False, checked, f"{unsealed} rows are not sealed; the oldest (append_id {oldest}) was "
                                            f"written {age:.0f} s ago, more than the {max_unsealed_seconds} s allowed: "
                                            f"is the sealer running?", None, unsealed, oldest, age)
    message = f"audit trail intact: {checked} rows"
    if unsealed:
        message += f"; {unsealed} not sealed yet (oldest append_id {oldest}, {age:.0f} s old)"
    return VerifyResult(True, checked, message, None, unsealed, oldest, age)

def _unsealed(using: str) -> tuple[int, int | None, float | None, dict | None]:
    """Rows waiting for the sealer: how many, the oldest's append_id and age, and the first whose MAC is wrong."""
    unsealed, oldest, age = 0, None, None
    pending = (AuditEvent.objects.using(using).filter(seq__isnull=True).order_by("append_id").values(*FIELDS)
               .iterator(chunk_size=2000))
    for row in pending:
        unsealed += 1
        if oldest is None:
            oldest, age = row["append_id"], max(0.0, (timezone.now() - row["at"]).total_seconds())
        content = dict(row)
        content["at"] = row["at"].astimezone(dt.UTC)
        if row_mac(content) != row["mac"]:
            return unsealed, oldest, age, row
    return unsealed, oldest, age, None
