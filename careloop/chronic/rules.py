"""Judging a reading against an indicator's target and alarm thresholds (pure functions)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


class Bounds(Protocol):
    target_low: float | None
    target_high: float | None
    alarm_low: float | None
    alarm_high: float | None
    critical_low: float | None
    critical_high: float | None


@dataclass(frozen=True)
class Verdict:
    flag: str  # "", "low", "high", "alarm_low", "alarm_high"
    in_target: bool | None
    critical: bool = False


def judge(value: float, bounds: Bounds | None) -> Verdict:
    """Alarm thresholds are inclusive (BP ≥ 180/110, glucose ≥ 16.7 or ≤ 3.9); targets are a closed band."""
    if bounds is None:
        return Verdict("", None)
    critical = ((bounds.critical_high is not None and value >= bounds.critical_high)
                or (bounds.critical_low is not None and value < bounds.critical_low))
    if bounds.alarm_high is not None and value >= bounds.alarm_high:
        return Verdict("alarm_high", False, critical)
    if bounds.alarm_low is not None and value <= bounds.alarm_low:
        return Verdict("alarm_low", False, critical)
    if critical:
        return Verdict("alarm_high" if bounds.critical_high is not None and value >= bounds.critical_high
                       else "alarm_low", False, True)
    if bounds.target_low is None and bounds.target_high is None:
        return Verdict("", None)
    if bounds.target_low is not None and value < bounds.target_low:
        return Verdict("low", False)
    if bounds.target_high is not None and value > bounds.target_high:
        return Verdict("high", False)
    return Verdict("", True)
