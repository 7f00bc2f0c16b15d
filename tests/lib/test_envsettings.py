"""The typed environment readers behind settings.py: a wrong value stops start-up with a message naming it."""

from __future__ import annotations

import pytest

from careloop.lib.envsettings import SettingError, env_int, env_int_list, env_time


def test_unset_or_empty_gives_the_default(monkeypatch):
    monkeypatch.delenv("CARELOOP_X", raising=False)
    assert env_time("CARELOOP_X", "08:00") == "08:00"
    assert env_int_list("CARELOOP_X", [7, 30]) == [7, 30]
    monkeypatch.setenv("CARELOOP_X", " ")
    assert env_time("CARELOOP_X", "08:00") == "08:00"
    assert env_int_list("CARELOOP_X", [7, 30]) == [7, 30]


def test_values_are_read(monkeypatch):
    monkeypatch.setenv("CARELOOP_X", "07:30")
    assert env_time("CARELOOP_X", "08:00") == "07:30"
    monkeypatch.setenv("CARELOOP_X", "3, 10,45")
    assert env_int_list("CARELOOP_X", [7]) == [3, 10, 45]


@pytest.mark.parametrize(("reader", "raw", "message"), [
    (lambda: env_time("CARELOOP_X", "08:00"), "8 o'clock", "CARELOOP_X=\"8 o'clock\": expected a time of day as HH:MM"),
    (lambda: env_time("CARELOOP_X", "08:00"), "25:00", "CARELOOP_X='25:00': expected a time of day as HH:MM"),
    (lambda: env_int_list("CARELOOP_X", [7], minimum=1), "7,x", "CARELOOP_X: 'x' is not a whole number"),
    (lambda: env_int_list("CARELOOP_X", [7], minimum=1), "7,0", "CARELOOP_X: 0 must be at least 1"),
    (lambda: env_int("CARELOOP_X", 3, minimum=1), "0", "CARELOOP_X=0: must be at least 1"),
])
def test_a_wrong_value_is_named(monkeypatch, reader, raw, message):
    monkeypatch.setenv("CARELOOP_X", raw)
    with pytest.raises(SettingError) as caught:
        reader()
    assert str(caught.value) == message
