from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from careloop.messaging.scheduling import QuietHours, next_allowed, plan_send_time

SH = ZoneInfo("Asia/Shanghai")
NIGHT = QuietHours(time(21, 0), time(8, 0))


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=SH)


def test_parse_and_off():
    assert QuietHours.parse("21:00-08:00") == NIGHT
    assert QuietHours.parse("off") is None
    assert QuietHours.parse("") is None
    with pytest.raises(ValueError):
        QuietHours.parse("25:00-08:00")
    with pytest.raises(ValueError):
        QuietHours.parse("nine to five")


def test_daytime_is_untouched():
    assert next_allowed(at(23, 8), NIGHT, SH) == at(23, 8)
    assert next_allowed(at(23, 20, 59), NIGHT, SH) == at(23, 20, 59)


def test_evening_moves_to_next_morning():
    assert next_allowed(at(23, 21), NIGHT, SH) == at(24, 8)
    assert next_allowed(at(23, 23, 30), NIGHT, SH) == at(24, 8)


def test_small_hours_move_to_same_morning():
    assert next_allowed(at(24, 2), NIGHT, SH) == at(24, 8)


def test_utc_input_is_judged_in_shanghai_time():
    utc = datetime(2026, 11, 23, 14, 0, tzinfo=ZoneInfo("UTC"))  # 22:00 in Shanghai
    assert next_allowed(utc, NIGHT, SH) == at(24, 8)


def test_daytime_quiet_window_without_wrap():
    lunch = QuietHours(time(12, 0), time(13, 30))
    assert next_allowed(at(23, 12, 10), lunch, SH) == at(23, 13, 30)
    assert next_allowed(at(23, 13, 30), lunch, SH) == at(23, 13, 30)


def test_naive_datetime_is_refused():
    with pytest.raises(ValueError):
        next_allowed(datetime(2026, 11, 23, 10, 0), NIGHT, SH)


def test_cap_postpones_to_next_morning_never_drops():
    counts = {date(2026, 11, 23): 3, date(2026, 11, 24): 3}
    planned = plan_send_time(requested=at(23, 10), quiet=NIGHT, tz=SH, daily_cap=3,
                             count_on_day=lambda d: counts.get(d, 0))
    assert planned == at(25, 8)


def test_cap_not_reached_keeps_time():
    planned = plan_send_time(requested=at(23, 10), quiet=NIGHT, tz=SH, daily_cap=3,
                             count_on_day=lambda d: 2)
    assert planned == at(23, 10)


def test_cap_zero_means_no_cap_and_quiet_still_applies():
    planned = plan_send_time(requested=at(23, 22), quiet=NIGHT, tz=SH, daily_cap=0,
                             count_on_day=lambda d: 99)
    assert planned == at(24, 8)


def test_cap_without_quiet_hours_uses_day_start():
    planned = plan_send_time(requested=at(23, 22), quiet=None, tz=SH, daily_cap=1,
                             count_on_day=lambda d: 1 if d == date(2026, 11, 23) else 0,
                             day_start=time(9, 0))
    assert planned == at(24, 9)
