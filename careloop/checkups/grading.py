"""Grading of result items (critical / major / minor) and the checkup's health status.

Pure: rules come in as data (the ``GradingRule`` table, shipped defaults in
``defaults/grading_rules.json``; sources in docs/checkups.md). A rule gives a band of values
``[low, high)`` (inclusiveness per rule) for one item, optionally for one sex and an age band
``[age_min, age_max)``, and the severity a value in that band earns.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

DEFAULTS_DIR = Path(__file__).resolve().parent / "defaults"

SEVERITIES = ("", "minor", "major", "critical")
RANK = {s: i for i, s in enumerate(SEVERITIES)}

# Laboratory flags: HH/LL/AA are the lab's own critical marks; H/L/A plain abnormal.
FLAG_SEVERITY = {"": "", "H": "minor", "L": "minor", "A": "minor", "HH": "critical", "LL": "critical", "AA": "critical"}

NORMAL, ABNORMAL_STABLE, COMPLEX = "normal", "abnormal_stable", "complex"


@dataclass(frozen=True)
class Rule:
    item: str
    severity: str
    low: float | None = None
    high: float | None = None
    low_inclusive: bool = True
    high_inclusive: bool = False
    sex: str = ""
    age_min: int | None = None
    age_max: int | None = None
    finding: str = ""
    source: str = ""
    id: int | None = None

    def applies_to(self, *, sex: str, age: int | None) -> bool:
        if self.sex and self.sex != sex:
            return False
        if self.age_min is not None and (age is None or age < self.age_min):
            return False
        return not (self.age_max is not None and (age is None or age >= self.age_max))

    def contains(self, value: float) -> bool:
        if self.low is not None and (value < self.low or (value == self.low and not self.low_inclusive)):
            return False
        return not (self.high is not None and (value > self.high or (value == self.high and not self.high_inclusive)))


@dataclass(frozen=True)
class Grade:
    severity: str  # "" when the value is not abnormal
    finding: str = ""
    rule_id: int | None = None


NOT_ABNORMAL = Grade("")


def load_default_rules() -> list[Rule]:
    data = json.loads((DEFAULTS_DIR / "grading_rules.json").read_text(encoding="utf-8"))
    return [Rule(**row) for row in data]


def load_default_items() -> list[dict]:
    return json.loads((DEFAULTS_DIR / "items.json").read_text(encoding="utf-8"))


class RuleBook:
    """Rules indexed by item code."""

    def __init__(self, rules: Iterable[Rule]) -> None:
        self._by_item: dict[str, list[Rule]] = {}
        for rule in rules:
            self._by_item.setdefault(rule.item.upper(), []).append(rule)

    def __contains__(self, item: str) -> bool:
        return item.upper() in self._by_item

    def grade(
        self,
        item: str,
        value: float | None,
        *,
        sex: str,
        age: int | None,
        flag: str = "",
        ref_low: float | None = None,
        ref_high: float | None = None,
    ) -> Grade:
        """The most severe of: the matching rules, the lab's flag, and (without a rule) the range."""
        best = NOT_ABNORMAL
        rules = self._by_item.get(item.upper(), [])
        if value is not None:
            for rule in rules:
                if rule.applies_to(sex=sex, age=age) and rule.contains(value) and RANK[rule.severity] > RANK[best.severity]:
                    best = Grade(rule.severity, rule.finding, rule.id)
        flagged = FLAG_SEVERITY.get(flag, "")
        if RANK[flagged] > RANK[best.severity]:
            best = Grade(flagged, best.finding)
        if not best.severity and not rules and value is not None and (
            (ref_low is not None and value < ref_low) or (ref_high is not None and value > ref_high)
        ):
            best = Grade("minor")
        return best


@dataclass(frozen=True)
class StatusPolicy:
    """How findings make a health status (SPEC RPT-6, seed 000 §4.1).

    complex: any critical finding, or major findings in ``complex_major_categories`` or more body
    systems (e.g. blood pressure and glucose). abnormal_stable: any major finding, or minor findings
    in ``abnormal_minor_categories`` or more systems. Otherwise normal: isolated borderline values
    get advice, not a tighter follow-up cycle.
    """

    complex_major_categories: int = 2
    abnormal_minor_categories: int = 3


def derive_health_status(findings: Iterable[tuple[str, str]], policy: StatusPolicy | None = None) -> str:
    """``findings``: (severity, category) pairs of the graded items of one checkup."""
    policy = policy or StatusPolicy()
    major: set[str] = set()
    minor: set[str] = set()
    for severity, category in findings:
        if severity == "critical":
            return COMPLEX
        if severity == "major":
            major.add(category)
        elif severity == "minor":
            minor.add(category)
    if len(major) >= policy.complex_major_categories:
        return COMPLEX
    if major or len(minor) >= policy.abnormal_minor_categories:
        return ABNORMAL_STABLE
    return NORMAL


def worst(severities: Iterable[str]) -> str:
    return max(severities, key=RANK.__getitem__, default="")


