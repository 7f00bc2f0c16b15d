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


def canonical(row: dict[str, Any]) -> bytes:
    fields = (
        row["seq"], row["at"].isoformat(timespec="microseconds"), row["actor_id"], row["actor_name"], row["roles"],
        row["action"], row["object_type"], row["object_id"], row["client_id"], row["ip"], row["channel"],
        row["result"], row["detail"],
    )
    return json.dumps(fields, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def row_hash(prev_hash: str, row: dict[str, Any]) -> str:
    return hmac.new(_chain_key(), prev_hash.encode("ascii") + b"\x00" + canonical(row), hashlib.sha256).hexdigest()
