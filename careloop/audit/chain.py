"""Hash chaining of audit rows: HMAC-SHA256 over the previous hash and the row's content.

The key lives in the key ring (outside the database), so a person who can edit the database cannot
recompute a consistent chain after changing a row.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

from careloop.lib import crypto

GENESIS = "0" * 64


def _chain_key() -> bytes:
    # Derived from the index key so that no extra secret has to be managed.
    return hmac.new(crypto.keyring().index_key, b"careloop-audit-chain", hashlib.sha256).digest()


def _content(row: dict[str, Any]) -> tuple[Any, ...]:
    return (
        row["at"].isoformat(timespec="microseconds"), row["actor_id"], row["actor_name"], row["roles"],
        row["action"], row["object_type"], row["object_id"], row["client_id"], row["ip"], row["channel"],
        row["result"], row["detail"],
    )


def _dump(fields: tuple[Any, ...]) -> bytes:
    return json.dumps(fields, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def canonical(row: dict[str, Any]) -> bytes:
    return _dump((row["seq"], *_content(row)))


def row_hash(prev_hash: str, row: dict[str, Any]) -> str:
    return hmac.new(_chain_key(), prev_hash.encode("ascii") + b"\x00" + canonical(row), hashlib.sha256).hexdigest()


def row_mac(row: dict[str, Any]) -> str:
    """The row's own MAC, written with it before it has a place in the chain: the sealer seals only rows
    whose MAC matches, so a row slipped into the table by someone without the key is never chained."""
    return hmac.new(_chain_key(), b"unsealed\x00" + _dump(_content(row)), hashlib.sha256).hexdigest()
