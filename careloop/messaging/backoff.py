"""Retry delays: exponential backoff with jitter."""

from __future__ import annotations

import random
from datetime import timedelta


def retry_delay(
    attempt: int,
    *,
    base_seconds: float = 30.0,
    cap_seconds: float = 3600.0,
    rng: random.Random | None = None,
) -> timedelta:
    """Delay before retry number ``attempt`` (1 = after the first failure).

    The ceiling doubles each attempt up to ``cap_seconds``; the delay is drawn uniformly from the upper
    half of it ("equal jitter"), so retries of many messages that failed together spread out but none
    comes back sooner than half the ceiling.
    """
    if attempt < 1:
        raise ValueError("attempt starts at 1")
    ceiling = min(cap_seconds, base_seconds * (2 ** min(attempt - 1, 32)))
    draw = (rng or random).uniform(0.0, ceiling / 2)
    return timedelta(seconds=ceiling / 2 + draw)
