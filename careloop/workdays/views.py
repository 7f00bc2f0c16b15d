"""Pages of careloop.workdays: the holiday table administrators keep for years the package lacks."""

from __future__ import annotations

import datetime as dt
from typing import cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from careloop.org.models import User
from careloop.org.permissions import Cap, user_can
from careloop.workdays.calendar import package_has_year
from careloop.workdays.models import CalendarDay
from careloop.workdays.selectors import years_missing
from careloop.workdays.services import calendar_day_delete, calendar_day_set, calendar_year_confirm


@login_required
def calendar_page(request: HttpRequest) -> HttpResponse:
    if not user_can(request.user, Cap.MANAGE_RULES):
        raise PermissionDenied(_("Only administrators edit the working-day calendar."))
    this_year = timezone.localdate().year
    raw_year = request.GET.get("year", "")
    if raw_year and not (raw_year.isdigit() and len(raw_year) == 4 and 1900 <= int(raw_year) <= 2100):
        return HttpResponse(_("year: must be a year from 1900 to 2100"), status=400, content_type="text/plain; charset=utf-8")
    year = int(raw_year) if raw_year else this_year + 1
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            if action == "confirm":
                calendar_year_confirm(year=year, acting_user=cast(User, request.user))
            else:
                day = dt.date.fromisoformat(request.POST.get("date", ""))
                if action == "delete":
                    calendar_day_delete(day=day, acting_user=cast(User, request.user))
                else:
                    calendar_day_set(day=day, kind=request.POST.get("kind", ""), name=request.POST.get("name", ""),
                                     acting_user=cast(User, request.user))
        except (ValueError, ValidationError):
            messages.error(request, _("Enter a date as YYYY-MM-DD and a kind."))
        return redirect(f"{request.path}?year={year}")
    return render(request, "workdays/calendar.html", {
        "year": year,
        "years": range(this_year - 1, this_year + 3),
        "days": CalendarDay.objects.filter(date__year=year).select_related("updated_by"),
        "from_package": package_has_year(year),
        "missing": years_missing([year]),
        "kinds": CalendarDay.Kind.choices,
    })
