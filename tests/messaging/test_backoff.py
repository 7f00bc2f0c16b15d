import random
from datetime import timedelta

import pytest

from careloop.messaging.backoff import retry_delay


def test_delay_lies_in_upper_half_of_doubling_ceiling():
    rng = random.Random(7)
    for attempt, ceiling in [(1, 30), (2, 60), (3, 120), (4, 240)]:
        for _ in range(200):
            delay = retry_delay(attempt, base_seconds=30, cap_seconds=3600, rng=rng)
            assert timedelta(seconds=ceiling / 2) <= delay <= timedelta(seconds=ceiling)


def test_delay_is_capped():
    rng = random.Random(1)
    delays = [retry_delay(30, base_seconds=30, cap_seconds=600, rng=rng) for _ in range(100)]
    assert max(delays) <= timedelta(seconds=600)
    assert min(delays) >= timedelta(seconds=300)


def test_jitter_spreads_simultaneous_failures():
    rng = random.Random(3)
    delays = {retry_delay(3, rng=rng) for _ in range(50)}
    assert len(delays) == 50


def test_attempt_zero_is_refused():
    with pytest.raises(ValueError):
        retry_delay(0)
