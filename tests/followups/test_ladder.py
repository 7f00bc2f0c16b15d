"""FU-12 attempt ladder: exact seed cases, then properties over any outcome sequence (hypothesis)."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from careloop.followups.ladder import OUTCOMES, Attempt, LadderPolicy, decide, into_calling_hours

SH = ZoneInfo("Asia/Shanghai")
POLICY = LadderPolicy()


def at(hour: int, minute: int = 0, day: int = 23) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=SH)


def run(outcomes: list[str], start: datetime, policy: LadderPolicy = POLICY) -> list:
    """Place each call at the time the previous decision asked for; return the decisions."""
    history: list[Attempt] = []
    decisions = []
    moment = start
    for outcome in outcomes:
        history.append(Attempt(outcome, moment))
        decision = decide(history, policy)
        decisions.append(decision)
        if decision.next_attempt_at is None:
            break
        moment = decision.next_attempt_at
    return decisions


def test_no_answer_hourly_then_notice_on_the_third() -> None:
    decisions = run(["no_answer", "no_answer", "no_answer", "no_answer"], at(9))
    assert [(d.next_attempt_at, d.send_notice) for d in decisions] == [
        (at(10), False),
        (at(11), False),
        (at(11, day=24), True),  # SMS proposing tomorrow at the same time; next try then
        (at(12, day=24), False),
    ]


def test_busy_counts_as_unanswered() -> None:
    decisions = run(["busy", "no_answer", "busy"], at(9))
    assert [d.send_notice for d in decisions] == [False, False, True]


def test_unreachable_every_ten_minutes_notice_after_the_sixth() -> None:
    decisions = run(["unreachable"] * 7, at(9))
    assert [d.next_attempt_at for d in decisions[:5]] == [at(9, 10), at(9, 20), at(9, 30), at(9, 40), at(9, 50)]
    assert [d.send_notice for d in decisions] == [False] * 5 + [True, False]
    assert decisions[5].next_attempt_at == at(9, 50, day=24)


def test_poor_line_ten_minutes_and_resets_the_streak() -> None:
    history = [Attempt("no_answer", at(9)), Attempt("no_answer", at(10)), Attempt("poor_line", at(11))]
    assert decide(history).next_attempt_at == at(11, 10)
    history.append(Attempt("no_answer", at(11, 10)))
    assert decide(history).send_notice is False


def test_answered_and_wrong_number_close() -> None:
    assert decide([Attempt("answered", at(9))]).close == "done"
    decision = decide([Attempt("no_answer", at(9)), Attempt("wrong_number", at(10))])
    assert (decision.next_attempt_at, decision.close) == (None, "wrong_number")


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (at(7, 59), at(8)),
        (at(8), at(8)),
        (at(20, 59), at(20, 59)),
        (at(21), at(8, day=24)),
        (at(23, 30), at(8, day=24)),
        (datetime(2026, 11, 23, 1, 0, tzinfo=ZoneInfo("UTC")), at(9)),  # 09:00 in Shanghai
    ],
)
def test_calling_hours(moment: datetime, expected: datetime) -> None:
    assert into_calling_hours(moment, POLICY) == expected


def test_late_retry_moves_to_next_morning() -> None:
    assert decide([Attempt("no_answer", at(20, 30))]).next_attempt_at == at(8, day=24)
    assert decide([Attempt("unreachable", at(20, 55))]).next_attempt_at == at(8, day=24)


def test_carrier_limit_per_callee_per_day() -> None:
    policy = LadderPolicy(max_calls_per_day=5)
    history = [Attempt("unreachable", at(9, 10 * i)) for i in range(5)]
    assert decide(history, policy).next_attempt_at == at(8, day=24)
    assert decide(history, POLICY).next_attempt_at == at(9, 50)


outcome_lists = st.lists(st.sampled_from([o for o in OUTCOMES if o not in ("answered", "wrong_number")]), max_size=30)
starts = st.datetimes(
    min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(SH)
)


@settings(max_examples=300, deadline=None)
@given(outcomes=outcome_lists, start=starts, limit=st.sampled_from([None, 2, 5]))
def test_ladder_properties(outcomes: list[str], start: datetime, limit: int | None) -> None:
    policy = LadderPolicy(max_calls_per_day=limit)
    history: list[Attempt] = []
    moment = start
    unanswered = unreachable = 0
    for outcome in outcomes:
        history.append(Attempt(outcome, moment))
        decision = decide(history, policy)
        nxt = decision.next_attempt_at
        assert nxt is not None and nxt > moment
        local = nxt.astimezone(SH)
        assert time(8) <= local.time() < time(21)
        unanswered = unanswered + 1 if outcome in ("no_answer", "busy") else 0
        unreachable = unreachable + 1 if outcome == "unreachable" else 0
        expected_notice = (unanswered > 0 and unanswered % 3 == 0) or (unreachable > 0 and unreachable % 6 == 0)
        assert decision.send_notice == expected_notice
        wait = {"no_answer": timedelta(hours=1), "busy": timedelta(hours=1), "unreachable": timedelta(minutes=10),
                "poor_line": timedelta(minutes=10)}[outcome]
        if decision.send_notice:
            wait = timedelta(days=1)
        assert nxt >= moment + wait
        if limit is None:
            assert nxt == into_calling_hours(moment + wait, policy)
        else:
            day = local.date()
            assert sum(1 for a in history if a.at.astimezone(SH).date() == day) < limit
        moment = nxt
