"""Periodic jobs claim their slot: with several workers, each slot runs once (issue 18)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import time_machine

from careloop.lib.jobs import claim_slot, once_per_slot

SH = ZoneInfo("Asia/Shanghai")


def test_a_slot_is_claimed_once_and_the_next_slot_again() -> None:
    runs: list[int] = []

    @once_per_slot("tests.daily")
    def job(n: int) -> int:
        runs.append(n)
        return n

    with time_machine.travel(dt.datetime(2031, 3, 4, 8, 5, tzinfo=SH), tick=False):
        assert job(1) == 1
        assert job(2) is None  # the second worker's copy of the same slot
    with time_machine.travel(dt.datetime(2031, 3, 5, 8, 5, tzinfo=SH), tick=False):
        assert job(3) == 3
    assert runs == [1, 3]


def test_claims_are_per_name() -> None:
    assert claim_slot("tests.a", "2031-01-01") is True
    assert claim_slot("tests.b", "2031-01-01") is True
    assert claim_slot("tests.a", "2031-01-01") is False
