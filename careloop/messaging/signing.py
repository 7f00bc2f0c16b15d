"""Request signing for HTTP SMS gateways, in the shape mainland platforms use.

Shape (documented in docs/messaging.md): every request carries ``appKey``, ``timestamp`` (Unix
milliseconds) and a one-time ``nonce``; the string to sign is all parameters except ``sign``, sorted by
name, each ``name=value`` percent-encoded per RFC 3986 (space → ``%20``, ``~`` kept) and joined with
``&`` — the canonical query string of Aliyun's SMS API — and ``sign`` is the lower-case hex
HMAC-SHA256 of it under the app secret (the algorithm of Tencent Cloud and most domestic platforms'
v2 APIs). The same scheme authenticates delivery receipts posted back to us.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections.abc import Mapping
from urllib.parse import quote

MAX_SKEW_SECONDS = 300


def _pct(value: str) -> str:
    return quote(value, safe="~")


def canonical_string(params: Mapping[str, str]) -> str:
    return "&".join(f"{_pct(k)}={_pct(str(v))}" for k, v in sorted(params.items()) if k != "sign")


def signature(params: Mapping[str, str], secret: str) -> str:
    return hmac.new(secret.encode(), canonical_string(params).encode(), hashlib.sha256).hexdigest()


def sign_params(
    params: Mapping[str, str],
    *,
    app_key: str,
    secret: str,
    now: float | None = None,
    nonce: str | None = None,
) -> dict[str, str]:
    """``params`` plus appKey, timestamp, nonce and sign."""
    signed = {str(k): str(v) for k, v in params.items()}
    signed["appKey"] = app_key
    signed["timestamp"] = str(int((time.time() if now is None else now) * 1000))
    signed["nonce"] = nonce or secrets.token_hex(12)
    signed["sign"] = signature(signed, secret)
    return signed


def verify_params(
    params: Mapping[str, str],
    *,
    secret: str,
    now: float | None = None,
    max_skew: int = MAX_SKEW_SECONDS,
) -> bool:
    """True when ``sign`` matches and ``timestamp`` is within ``max_skew`` seconds of now."""
    given = params.get("sign", "")
    try:
        stamp = int(params.get("timestamp", "")) / 1000
    except ValueError:
        return False
    current = time.time() if now is None else now
    if abs(current - stamp) > max_skew or not params.get("nonce"):
        return False
    return hmac.compare_digest(given, signature(params, secret))
