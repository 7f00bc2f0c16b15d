"""Writes of careloop.workdays: administrators edit the holiday table for years the package lacks."""

from __future__ import annotations

from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction

from careloop.audit.services import audit_record
from careloop.org.models import User
from careloop.workdays.calendar import clear_cache
from careloop.workdays.models import CalendarDay, CalendarYear


@transaction.atomic
def calendar_day_set(*, day: date, kind: str, name: str = "", acting_user: User) -> CalendarDay:
    if kind not in CalendarDay.Kind.values:
        raise ValidationError({"kind": f"unknown kind {kind!r}"})
    row, _ = CalendarDay.objects.update_or_create(
        date=day, defaults={"kind": kind, "name": name, "updated_by": acting_user}
    )
    audit_record(actor=acting_user, action="workdays.day_set", obj=row, detail={"kind": kind, "name": name})
    clear_cache()  # this process reads its own write at once
    transaction.on_commit(clear_cache)
    return row


@transaction.atomic
def calendar_day_delete(*, day: date, acting_user: User) -> None:
    CalendarDay.objects.filter(date=day).delete()
    audit_record(actor=acting_user, action="workdays.day_delete", detail={"date": day.isoformat()})
    clear_cache()  # this process reads its own write at once
    transaction.on_commit(clear_cache)


@transaction.atomic
def calendar_year_confirm(*, year: int, acting_user: User) -> CalendarYear:
    row, _ = CalendarYear.objects.get_or_create(year=year, defaults={"confirmed_by": acting_user})
    audit_record(actor=acting_user, action="workdays.year_confirm", obj=row)
    return row
