"""Administrators enter holidays and adjusted workdays for years the chinese-calendar package lacks."""

from typing import Any

from django.contrib import admin

from careloop.workdays.models import CalendarDay, CalendarYear
from careloop.workdays.services import calendar_day_delete, calendar_day_set, calendar_year_confirm


@admin.register(CalendarDay)
class CalendarDayAdmin(admin.ModelAdmin):
    list_display = ("date", "kind", "name", "updated_by", "updated_at")
    list_filter = ("kind",)
    date_hierarchy = "date"
    fields = ("date", "kind", "name")

    def save_model(self, request: Any, obj: CalendarDay, form: Any, change: bool) -> None:
        # through the service: audited, and the calendar cache is cleared
        if change and "date" in form.changed_data:
            calendar_day_delete(day=form.initial["date"], acting_user=request.user)
        saved = calendar_day_set(day=obj.date, kind=obj.kind, name=obj.name, acting_user=request.user)
        obj.pk = saved.pk

    def delete_model(self, request: Any, obj: CalendarDay) -> None:
        calendar_day_delete(day=obj.date, acting_user=request.user)


@admin.register(CalendarYear)
class CalendarYearAdmin(admin.ModelAdmin):
    list_display = ("year", "confirmed_by", "confirmed_at")
    fields = ("year",)

    def save_model(self, request: Any, obj: CalendarYear, form: Any, change: bool) -> None:
        obj.pk = calendar_year_confirm(year=obj.year, acting_user=request.user).pk
