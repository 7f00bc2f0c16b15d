"""Mainland working-day calendar: package data, administrator rows win, missing years are named."""

from __future__ import annotations

import datetime as dt

import pytest

from careloop.audit.models import AuditEvent
from careloop.workdays.calendar import add_working_days, is_working_day, next_working_day
from careloop.workdays.models import CalendarDay
from careloop.workdays.selectors import years_missing
from careloop.workdays.services import calendar_day_delete, calendar_day_set, calendar_year_confirm

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (dt.date(2026, 10, 1), False),  # National Day
        (dt.date(2026, 10, 7), False),
        (dt.date(2026, 10, 8), True),
        (dt.date(2026, 10, 10), True),  # Saturday, adjusted workday
        (dt.date(2026, 11, 21), False),  # an ordinary Saturday
        (dt.date(2026, 11, 23), True),
        (dt.date(2027, 1, 1), True),  # no package data for 2027: a Friday counts as working
        (dt.date(2027, 1, 2), False),
    ],
)
def test_package_data_and_weekends(day: dt.date, working: bool) -> None:
    assert is_working_day(day) is working


def test_add_working_days_over_national_day() -> None:
    # Checkup on Tue 29 Sep 2026: report due within 5 working days → 30 Sep, 8, 9, 10 (Sat, adjusted), 12 Oct.
    assert add_working_days(dt.date(2026, 9, 29), 5) == dt.date(2026, 10, 12)
    assert add_working_days(dt.date(2026, 10, 12), -5) == dt.date(2026, 9, 29)
    assert add_working_days(dt.date(2026, 10, 3), 0) == dt.date(2026, 10, 3)
    assert next_working_day(dt.date(2026, 10, 3)) == dt.date(2026, 10, 8)


def test_administrator_rows_win_and_years_missing(world) -> None:
    assert years_missing([2026, 2027, 2028]) == [2027, 2028]
    calendar_day_set(day=dt.date(2027, 1, 1), kind="holiday", name="元旦", acting_user=world.admin)
    calendar_day_set(day=dt.date(2027, 2, 20), kind="adjusted_workday", name="春节调休", acting_user=world.admin)
    calendar_day_set(day=dt.date(2026, 11, 23), kind="holiday", name="测试", acting_user=world.admin)
    assert is_working_day(dt.date(2027, 1, 1)) is False
    assert is_working_day(dt.date(2027, 2, 20)) is True  # a Saturday
    assert is_working_day(dt.date(2026, 11, 23)) is False  # data wins over the package
    assert add_working_days(dt.date(2026, 12, 31), 1) == dt.date(2027, 1, 4)
    assert years_missing([2026, 2027]) == [2027]  # rows alone do not make a year complete
    calendar_year_confirm(year=2027, acting_user=world.admin)
    assert years_missing([2026, 2027, 2028]) == [2028]
    calendar_day_delete(day=dt.date(2026, 11, 23), acting_user=world.admin)
    assert is_working_day(dt.date(2026, 11, 23)) is True
    assert CalendarDay.objects.count() == 2
    assert AuditEvent.objects.filter(action__startswith="workdays.").count() == 5


def test_calendar_page_for_administrators_only(world) -> None:
    from django.test import Client as WebClient

    admin = WebClient()
    admin.force_login(world.admin)
    page = admin.get("/workdays/?year=2027")
    assert page.status_code == 200 and page.context["missing"] == [2027]
    admin.post("/workdays/?year=2027", {"date": "2027-10-01", "kind": "holiday", "name": "国庆节"})
    admin.post("/workdays/?year=2027", {"action": "confirm"})
    assert is_working_day(dt.date(2027, 10, 1)) is False
    assert years_missing([2027]) == []
    nurse = WebClient()
    nurse.force_login(world.nurse)
    assert nurse.post("/workdays/?year=2027", {"date": "2027-10-02", "kind": "holiday"}).status_code == 403
    assert not CalendarDay.objects.filter(date=dt.date(2027, 10, 2)).exists()
