"""The follow-up schedule engine: pure functions from rule data and an encounter to planned dates.

Nothing here touches the database. A rule is plain data (the same JSON shape the FollowupRule model
stores, see `docs/followup-rules.md`); `plan_schedule` turns one rule and one encounter into the
dated follow-ups, applying SPEC FU-7/FU-7a: no date after the prescription ends or on/before the
visit, colliding dates merged, optional move off non-working days.
"""

from __future__ import annotations

import calendar
import datetime as _dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

UNITS = ("day", "week", "month", "in_week")
ANCHORS = ("encounter", "end", "report_delivery")
MOVES = ("", "next", "previous")


class RuleDataError(ValueError):
    """Rule data that cannot be planned; the message names the field."""


@dataclass(frozen=True)
class Step:
    """One dated follow-up of a series: `offset` `unit`s after `anchor`.

    unit "in_week" means SPEC FU-7a "in week N": due on day 7(N−1)+1, window ends on day 7N.
    `last` marks the step that closes the series (TCM "end − 3"): earlier steps falling on or
    after it merge into it. `if_after_end` gives the offset from the end used when the date
    would fall after the prescription ends (FU-3 "day 9" of a prescription shorter than 9 days).
    """

    anchor: str = "encounter"
    offset: int = 0
    unit: str = "day"
    window_days: int | None = None
    last: bool = False
    if_after_end: int | None = None
    label: str = ""


@dataclass(frozen=True)
class Repeat:
    """After the explicit steps: every `every` `unit`s from the last step's due date, `count` times."""

    every: int
    unit: str
    count: int
    window_days: int | None = None
    label: str = ""


@dataclass(frozen=True)
class Cycle:
    """FU-7a "N per period": due at start + k·period/N, k = 1…N·cycles; start = report delivery,
    else the encounter date."""

    per_period: int
    period: int
    unit: str
    cycles: int = 1
    window_days: int | None = None
    label: str = ""


@dataclass(frozen=True)
class RuleSpec:
    code: str
    name: str
    kinds: tuple[str, ...]
    min_days: int | None = None
    max_days: int | None = None
    health_statuses: tuple[str, ...] = ()
    tiers: tuple[str, ...] = ()
    first_only: bool = False
    steps: tuple[Step, ...] = ()
    repeat: Repeat | None = None
    cycle: Cycle | None = None
    channel: str = "phone"
    move_off_nonworking: str = ""
    priority: int = 0
    script: str = ""


@dataclass(frozen=True)
class EncounterFacts:
    """What the engine needs to know about an encounter."""

    kind: str
    date: date
    prescription_days: int | None = None
    health_status: str = ""
    tier: str = ""
    report_delivered_on: _dt.date | None = None
    is_first: bool = False

    @property
    def end(self) -> _dt.date | None:
        if self.prescription_days is None:
            return None
        return self.date + timedelta(days=self.prescription_days)


@dataclass(frozen=True)
class PlannedFollowup:
    due_date: date
    window_end: date | None
    sequence: int
    total: int
    labels: tuple[str, ...] = field(default_factory=tuple)

    @property
    def position(self) -> str:
        """first / middle / last / only — what the questionnaire for this call depends on (FU-8)."""
        if self.total == 1:
            return "only"
        if self.sequence == 1:
            return "first"
        if self.sequence == self.total:
            return "last"
        return "middle"


# --- date arithmetic -----------------------------------------------------------------------------


def add_months(d: date, months: int) -> date:
    """Calendar months; the 31st plus one month is the last day of a shorter month."""
    month_index = d.month - 1 + months
    year = d.year + month_index // 12
    month = month_index % 12 + 1
    day = min(d.day, calendar.monthrange(year, month)[1])
    return date(year, month, day)


def shift(d: date, amount: int, unit: str) -> date:
    if unit == "day":
        return d + timedelta(days=amount)
    if unit == "week":
        return d + timedelta(weeks=amount)
    if unit == "month":
        return add_months(d, amount)
    raise RuleDataError(f"unit: unknown unit {unit!r}")


def _fractional_shift(start: date, numerator: int, denominator: int, unit: str) -> date:
    """start + numerator/denominator units; whole units where it divides, else days (month = 30.4375)."""
    if numerator % denominator == 0:
        return shift(start, numerator // denominator, unit)
    days_per_unit = {"day": 1.0, "week": 7.0, "month": 365.25 / 12}[unit]
    return start + timedelta(days=round(numerator * days_per_unit / denominator))


# --- rule parsing --------------------------------------------------------------------------------


def _check_unit(value: str, where: str, allowed: Iterable[str] = UNITS) -> str:
    if value not in allowed:
        raise RuleDataError(f"{where}: unknown unit {value!r}")
    return value


def _opt_int(raw: Mapping[str, Any], key: str, where: str) -> int | None:
    value = raw.get(key)
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool):
        raise RuleDataError(f"{where}.{key}: must be a whole number")
    return value


def rule_from_data(data: Mapping[str, Any]) -> RuleSpec:
    """Build a RuleSpec from the stored JSON shape, naming the field that is wrong."""
    if not isinstance(data.get("steps") or [], list):
        raise RuleDataError("steps: must be a list of steps")
    for name in ("repeat", "cycle"):
        if data.get(name) is not None and not isinstance(data[name], dict):
            raise RuleDataError(f"{name}: must be an object")
    try:
        steps = []
        for i, raw in enumerate(data.get("steps") or ()):
            where = f"steps[{i}]"
            if not isinstance(raw, dict):
                raise RuleDataError(f"{where}: must be an object")
            anchor = raw.get("anchor", "encounter")
            if anchor not in ANCHORS:
                raise RuleDataError(f"{where}.anchor: unknown anchor {anchor!r}")
            steps.append(
                Step(
                    anchor=anchor,
                    offset=int(raw.get("offset", 0)),
                    unit=_check_unit(raw.get("unit", "day"), f"{where}.unit"),
                    window_days=_opt_int(raw, "window_days", where),
                    last=bool(raw.get("last", False)),
                    if_after_end=_opt_int(raw, "if_after_end", where),
                    label=str(raw.get("label", "")),
                )
            )
        repeat = None
        if data.get("repeat"):
            raw = data["repeat"]
            repeat = Repeat(
                every=int(raw["every"]),
                unit=_check_unit(raw.get("unit", "month"), "repeat.unit", ("day", "week", "month")),
                count=int(raw["count"]),
                window_days=_opt_int(raw, "window_days", "repeat"),
                label=str(raw.get("label", "")),
            )
            if repeat.every <= 0 or repeat.count < 0:
                raise RuleDataError("repeat: every must be positive and count not negative")
            if not steps:
                raise RuleDataError("repeat: needs at least one step to repeat after")
        cycle = None
        if data.get("cycle"):
            raw = data["cycle"]
            cycle = Cycle(
                per_period=int(raw["per_period"]),
                period=int(raw["period"]),
                unit=_check_unit(raw.get("unit", "month"), "cycle.unit", ("day", "week", "month")),
                cycles=int(raw.get("cycles", 1)),
                window_days=_opt_int(raw, "window_days", "cycle"),
                label=str(raw.get("label", "")),
            )
            if cycle.per_period <= 0 or cycle.period <= 0 or cycle.cycles <= 0:
                raise RuleDataError("cycle: per_period, period and cycles must be positive")
        move = data.get("move_off_nonworking", "") or ""
        if move not in MOVES:
            raise RuleDataError(f"move_off_nonworking: must be one of {MOVES}")
        min_days, max_days = data.get("min_days"), data.get("max_days")
        if min_days is not None and max_days is not None and min_days > max_days:
            raise RuleDataError("max_days: must not be below min_days")
        return RuleSpec(
            code=str(data["code"]),
            name=str(data.get("name", data["code"])),
            kinds=tuple(data.get("kinds") or ()),
            min_days=min_days,
            max_days=max_days,
            health_statuses=tuple(data.get("health_statuses") or ()),
            tiers=tuple(data.get("tiers") or ()),
            first_only=bool(data.get("first_only", False)),
            steps=tuple(steps),
            repeat=repeat,
            cycle=cycle,
            channel=str(data.get("channel", "phone")),
            move_off_nonworking=move,
            priority=int(data.get("priority", 0)),
            script=str(data.get("script", "")),
        )
    except KeyError as exc:
        raise RuleDataError(f"{exc.args[0]}: required") from exc
    except (TypeError, ValueError, AttributeError) as exc:
        if isinstance(exc, RuleDataError):
            raise
        raise RuleDataError(f"rule: {exc}") from exc


# --- matching and planning -----------------------------------------------------------------------


def rule_applies(rule: RuleSpec, facts: EncounterFacts) -> bool:
    if facts.kind not in rule.kinds:
        return False
    if rule.health_statuses and facts.health_status not in rule.health_statuses:
        return False
    if rule.tiers and facts.tier not in rule.tiers:
        return False
    if rule.first_only and not facts.is_first:
        return False
    if rule.min_days is not None or rule.max_days is not None:
        days = facts.prescription_days
        if days is None:
            return False
        if rule.min_days is not None and days < rule.min_days:
            return False
        if rule.max_days is not None and days > rule.max_days:
            return False
    return True


def _anchor_date(anchor: str, facts: EncounterFacts) -> date | None:
    if anchor == "encounter":
        return facts.date
    if anchor == "end":
        return facts.end
    if anchor == "report_delivery":
        return facts.report_delivered_on or facts.date
    raise RuleDataError(f"anchor: unknown anchor {anchor!r}")


@dataclass
class _Slot:
    due: date
    window_end: date | None
    labels: list[str]
    last: bool = False


def _window(due: date, days: int | None) -> date | None:
    return None if days is None else due + timedelta(days=days)


def _step_slot(step: Step, facts: EncounterFacts) -> _Slot | None:
    base = _anchor_date(step.anchor, facts)
    if base is None:
        return None
    if step.unit == "in_week":
        due = base + timedelta(days=7 * (step.offset - 1) + 1)
        window_end: date | None = base + timedelta(days=7 * step.offset)
    else:
        due = shift(base, step.offset, step.unit)
        window_end = _window(due, step.window_days)
    end = facts.end
    if end is not None and due > end and step.if_after_end is not None:
        due = end + timedelta(days=step.if_after_end)
        window_end = _window(due, step.window_days)
        moved = f"end − {-step.if_after_end}" if step.if_after_end < 0 else f"end + {step.if_after_end}"
        return _Slot(due, window_end, [f"{step.label} → {moved}" if step.label else moved], step.last)
    return _Slot(due, window_end, [step.label] if step.label else [], step.last)


def _move(d: date, direction: str, is_working_day: Callable[[date], bool]) -> date:
    delta = timedelta(days=1 if direction == "next" else -1)
    for _ in range(60):
        if is_working_day(d):
            return d
        d += delta
    raise RuleDataError("move_off_nonworking: no working day within 60 days")


def plan_schedule(
    rule: RuleSpec,
    facts: EncounterFacts,
    *,
    is_working_day: Callable[[date], bool] | None = None,
) -> list[PlannedFollowup]:
    """The dated follow-ups `rule` gives for `facts` (empty when the rule does not apply)."""
    if not rule_applies(rule, facts):
        return []
    slots: list[_Slot] = []
    for step in rule.steps:
        slot = _step_slot(step, facts)
        if slot is not None:
            slots.append(slot)
    if rule.repeat and slots:
        # FU-7a: repeats count from the last explicit step's due date (for "in week N", the day
        # that week's window opens).
        base = slots[-1].due
        for k in range(1, rule.repeat.count + 1):
            due = shift(base, k * rule.repeat.every, rule.repeat.unit)
            slots.append(_Slot(due, _window(due, rule.repeat.window_days), _labels(rule.repeat.label)))
    if rule.cycle:
        start = _anchor_date("report_delivery", facts)
        assert start is not None
        c = rule.cycle
        for k in range(1, c.per_period * c.cycles + 1):
            due = _fractional_shift(start, k * c.period, c.per_period, c.unit)
            slots.append(_Slot(due, _window(due, c.window_days), _labels(c.label)))

    if rule.move_off_nonworking and is_working_day is not None:
        for slot in slots:
            moved = _move(slot.due, rule.move_off_nonworking, is_working_day)
            if facts.end is not None and moved > facts.end:
                moved = _move(slot.due, "previous", is_working_day)
            if slot.window_end is not None:
                slot.window_end = max(slot.window_end + (moved - slot.due), moved)
            slot.due = moved

    # FU-7: never on or before the visit, never after the prescription ends.
    end = facts.end
    slots = [s for s in slots if s.due > facts.date and (end is None or s.due <= end)]
    # The step that closes the series absorbs any earlier step landing on or after it.
    closing = [s for s in slots if s.last]
    if closing:
        last = min(closing, key=lambda s: s.due)
        for s in slots:
            if s is not last and s.due >= last.due:
                s.due = last.due
    return _merge(slots)


def _labels(label: str) -> list[str]:
    return [label] if label else []


def _merge(slots: list[_Slot]) -> list[PlannedFollowup]:
    by_date: dict[date, _Slot] = {}
    for slot in sorted(slots, key=lambda s: s.due):
        kept = by_date.get(slot.due)
        if kept is None:
            by_date[slot.due] = _Slot(slot.due, slot.window_end, list(slot.labels), slot.last)
            continue
        for label in slot.labels:
            if label not in kept.labels:
                kept.labels.append(label)
        if slot.window_end is not None and (kept.window_end is None or slot.window_end > kept.window_end):
            kept.window_end = slot.window_end
    ordered = [by_date[d] for d in sorted(by_date)]
    total = len(ordered)
    return [
        PlannedFollowup(s.due, s.window_end, i, total, tuple(s.labels)) for i, s in enumerate(ordered, start=1)
    ]


def plan_all(
    rules: Iterable[RuleSpec],
    facts: EncounterFacts,
    *,
    is_working_day: Callable[[date], bool] | None = None,
) -> list[tuple[RuleSpec, PlannedFollowup]]:
    """Every applicable rule's follow-ups for one encounter, rule by rule."""
    planned: list[tuple[RuleSpec, PlannedFollowup]] = []
    for rule in rules:
        for item in plan_schedule(rule, facts, is_working_day=is_working_day):
            planned.append((rule, item))
    return planned
