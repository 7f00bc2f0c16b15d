"""SPEC FU-1…FU-7a schedule tables, exactly, against the shipped default rule data."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import pytest

from careloop.followups.schedule import (
    EncounterFacts,
    RuleDataError,
    add_months,
    plan_all,
    plan_schedule,
    rule_from_data,
)

DEFAULTS = Path(__file__).resolve().parents[2] / "careloop" / "followups" / "defaults" / "rules.json"
RULES = [rule_from_data(raw) for raw in json.loads(DEFAULTS.read_text())]
VISIT = date(2026, 3, 2)


def days_after(facts: EncounterFacts) -> list[tuple[str, list[int]]]:
    return [
        (rule.code, item.due_date.toordinal() - facts.date.toordinal())
        for rule, item in plan_all(RULES, facts)
    ]


def offsets(kind: str, days: int) -> tuple[set[str], list[int]]:
    planned = days_after(EncounterFacts(kind=kind, date=VISIT, prescription_days=days))
    return {code for code, _ in planned}, [offset for _, offset in planned]


# FU-2: TCM first visit; the seed's own lengths, then the documented buckets (FU-7).
@pytest.mark.parametrize(
    ("days", "rule", "expected"),
    [
        (7, "FU-2-2w", [3, 4]),
        (14, "FU-2-2w", [3, 11]),
        (21, "FU-2-3w", [3, 10, 18]),
        (30, "FU-2-1m", [3, 15, 27]),
        (60, "FU-2-2m", [3, 21, 42, 57]),
        # lengths the seed does not list
        (10, "FU-2-2w", [3, 7]),
        (18, "FU-2-3w", [3, 10, 15]),
        (25, "FU-2-1m", [3, 15, 22]),
        (45, "FU-2-2m", [3, 21, 42]),  # day 42 and end − 3 collide: one task
        (50, "FU-2-2m", [3, 21, 42, 47]),
        (90, "FU-2-2m", [3, 21, 42, 87]),
        (5, "FU-2-2w", [2]),  # day 3 falls after end − 3, which closes the series
        (3, "FU-2-2w", [3]),  # end − 3 is the visit day itself: dropped
    ],
)
def test_tcm_first_visit(days: int, rule: str, expected: list[int]) -> None:
    codes, got = offsets("tcm_first_visit", days)
    assert codes == {rule}
    assert got == expected


# FU-3: TCM return visit.
@pytest.mark.parametrize(
    ("days", "rule", "expected"),
    [
        (14, "FU-3-2w", [9]),
        (10, "FU-3-2w", [9]),
        (9, "FU-3-2w", [9]),
        (8, "FU-3-2w", [5]),  # day 9 would be after the end: end − 3
        (7, "FU-3-2w", [4]),
        (15, "FU-3-1m", [7, 12]),
        (21, "FU-3-1m", [7, 18]),
        (30, "FU-3-1m", [7, 27]),
        (31, "FU-3-long", [7, 28]),  # day 30 after end − 3: merged into it
        (33, "FU-3-long", [7, 30]),
        (45, "FU-3-long", [7, 30, 42]),
        (60, "FU-3-long", [7, 30, 57]),
    ],
)
def test_tcm_return_visit(days: int, rule: str, expected: list[int]) -> None:
    codes, got = offsets("tcm_return_visit", days)
    assert codes == {rule}
    assert got == expected


def test_one_day_prescription_has_no_followup() -> None:
    assert plan_all(RULES, EncounterFacts(kind="tcm_first_visit", date=VISIT, prescription_days=1)) == []


def test_tcm_first_visit_sequence_and_positions() -> None:
    rule = next(r for r in RULES if r.code == "FU-2-1m")
    items = plan_schedule(rule, EncounterFacts(kind="tcm_first_visit", date=VISIT, prescription_days=30))
    assert [(i.sequence, i.total, i.position) for i in items] == [
        (1, 3, "first"),
        (2, 3, "middle"),
        (3, 3, "last"),
    ]
    assert [i.labels for i in items] == [("day 3",), ("day 15",), ("end − 3",)]
    assert all(i.window_end is None for i in items)


def test_merged_dates_keep_both_labels() -> None:
    rule = next(r for r in RULES if r.code == "FU-2-2m")
    items = plan_schedule(rule, EncounterFacts(kind="tcm_first_visit", date=VISIT, prescription_days=45))
    assert items[-1].labels == ("day 42", "end − 3")
    assert items[-1].total == 3


# FU-5 + FU-7a: discharge on Monday 2 March 2026.
def test_discharge_weeks_then_every_three_months() -> None:
    facts = EncounterFacts(kind="discharge", date=VISIT)
    rule = next(r for r in RULES if r.code == "FU-5")
    got = [(i.due_date, i.window_end) for i in plan_schedule(rule, facts)]
    assert got == [
        (date(2026, 3, 3), date(2026, 3, 9)),  # week 1: day 1 … day 7
        (date(2026, 3, 17), date(2026, 3, 23)),  # week 3: day 15 … day 21
        (date(2026, 4, 7), date(2026, 4, 13)),  # week 6: day 36 … day 42
        (date(2026, 5, 5), date(2026, 5, 11)),  # week 10: day 64 … day 70
        (date(2026, 8, 5), date(2026, 8, 19)),  # 3 months after week 10 opens, 14-day window
        (date(2026, 11, 5), date(2026, 11, 19)),
        (date(2027, 2, 5), date(2027, 2, 19)),
        (date(2027, 5, 5), date(2027, 5, 19)),
    ]


def test_discharge_also_gets_health_advice_within_three_days() -> None:
    facts = EncounterFacts(kind="discharge", date=VISIT)
    advice = [(r.code, i.due_date, i.window_end) for r, i in plan_all(RULES, facts) if r.code == "FU-6-advice"]
    assert advice == [("FU-6-advice", date(2026, 3, 3), date(2026, 3, 5))]


# FU-1 + FU-7a: cycles start at report delivery, else the checkup date.
@pytest.mark.parametrize(
    ("status", "rule", "months"),
    [
        ("normal", "FU-1-normal", [12]),
        ("abnormal_stable", "FU-1-stable", [3, 6, 9, 12]),
        ("complex", "FU-1-complex", list(range(1, 13))),
        ("cured", "FU-4", [6, 12]),
    ],
)
def test_checkup_cycles_from_report_delivery(status: str, rule: str, months: list[int]) -> None:
    delivered = date(2026, 3, 10)
    facts = EncounterFacts(kind="checkup", date=VISIT, health_status=status, report_delivered_on=delivered)
    got = [i.due_date for r, i in plan_all(RULES, facts) if r.code == rule]
    assert got == [add_months(delivered, m) for m in months]
    without_delivery = EncounterFacts(kind="checkup", date=VISIT, health_status=status)
    got = [i.due_date for r, i in plan_all(RULES, without_delivery) if r.code == rule]
    assert got == [add_months(VISIT, m) for m in months]


def test_two_per_quarter_falls_back_to_days() -> None:
    rule = rule_from_data(
        {"code": "x", "kinds": ["checkup"], "cycle": {"per_period": 2, "period": 3, "unit": "month"}}
    )
    items = plan_schedule(rule, EncounterFacts(kind="checkup", date=VISIT))
    assert [i.due_date for i in items] == [VISIT + timedelta(days=46), add_months(VISIT, 3)]


def test_tier_rules() -> None:
    facts = EncounterFacts(kind="checkup", date=VISIT, health_status="normal", tier="A")
    assert sorted({r.code for r, _ in plan_all(RULES, facts)}) == ["FU-1-normal", "FU-6-A", "FU-6-advice"]
    first_c = EncounterFacts(kind="purchase", date=VISIT, tier="C", is_first=True)
    assert [(r.code, i.due_date, i.window_end) for r, i in plan_all(RULES, first_c)] == [
        ("FU-6-C", date(2026, 3, 3), date(2026, 3, 9))
    ]
    assert plan_all(RULES, EncounterFacts(kind="purchase", date=VISIT, tier="C")) == []


def test_month_end_arithmetic() -> None:
    assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert add_months(date(2028, 1, 31), 1) == date(2028, 2, 29)
    assert add_months(date(2026, 11, 30), 3) == date(2027, 2, 28)


def weekdays_only(d: date) -> bool:
    return d.weekday() < 5


def test_move_off_nonworking_days_when_the_rule_says_so() -> None:
    data = json.loads(DEFAULTS.read_text())
    raw = next(r for r in data if r["code"] == "FU-2-1m")
    facts = EncounterFacts(kind="tcm_first_visit", date=date(2026, 3, 4), prescription_days=30)  # a Wednesday
    plain = plan_schedule(rule_from_data(raw), facts, is_working_day=weekdays_only)
    assert [i.due_date for i in plain] == [date(2026, 3, 7), date(2026, 3, 19), date(2026, 3, 31)]
    moved = plan_schedule(rule_from_data({**raw, "move_off_nonworking": "next"}), facts, is_working_day=weekdays_only)
    assert [i.due_date for i in moved] == [date(2026, 3, 9), date(2026, 3, 19), date(2026, 3, 31)]
    back = plan_schedule(
        rule_from_data({**raw, "move_off_nonworking": "previous"}), facts, is_working_day=weekdays_only
    )
    assert [i.due_date for i in back] == [date(2026, 3, 6), date(2026, 3, 19), date(2026, 3, 31)]


def test_move_never_pushes_past_the_end() -> None:
    raw = {
        "code": "x",
        "kinds": ["tcm_first_visit"],
        "min_days": 1,
        "move_off_nonworking": "next",
        "steps": [{"anchor": "end", "offset": 0, "unit": "day"}],
    }
    facts = EncounterFacts(kind="tcm_first_visit", date=date(2026, 3, 4), prescription_days=3)  # ends Saturday
    items = plan_schedule(rule_from_data(raw), facts, is_working_day=weekdays_only)
    assert [i.due_date for i in items] == [date(2026, 3, 6)]


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"kinds": ["checkup"]}, "code: required"),
        ({"code": "x", "steps": [{"anchor": "moon"}]}, "steps[0].anchor: unknown anchor 'moon'"),
        ({"code": "x", "steps": [{"unit": "fortnight"}]}, "steps[0].unit: unknown unit 'fortnight'"),
        ({"code": "x", "min_days": 10, "max_days": 5}, "max_days: must not be below min_days"),
        ({"code": "x", "repeat": {"every": 3, "unit": "month", "count": 2}}, "repeat: needs at least one step"),
        ({"code": "x", "cycle": {"per_period": 0, "period": 3}}, "cycle: per_period, period and cycles"),
        ({"code": "x", "move_off_nonworking": "sideways"}, "move_off_nonworking: must be one of"),
        ({"code": "x", "steps": {"offset": 3}}, "steps: must be a list"),
        ({"code": "x", "steps": ["day 3"]}, "steps[0]: must be an object"),
        ({"code": "x", "cycle": [1, 2]}, "cycle: must be an object"),
        ({"code": "x", "steps": [{"offset": "three"}]}, "rule: invalid literal"),
    ],
)
def test_bad_rule_data_names_the_field(raw: dict, message: str) -> None:
    with pytest.raises(RuleDataError) as caught:
        rule_from_data(raw)
    assert str(caught.value).startswith(message)


def test_no_date_before_visit_or_after_end_for_any_length() -> None:
    # The shortest prescription with a follow-up: 3 days (first visit, day 3), 4 (return, end − 3).
    for kind, shortest in (("tcm_first_visit", 3), ("tcm_return_visit", 4)):
        for days in range(1, 121):
            facts = EncounterFacts(kind=kind, date=VISIT, prescription_days=days)
            planned = plan_all(RULES, facts)
            dates = [i.due_date for _, i in planned]
            assert all(VISIT < d <= VISIT + timedelta(days=days) for d in dates), (kind, days)
            assert len(dates) == len(set(dates)), (kind, days)
            assert bool(planned) == (days >= shortest), (kind, days)
