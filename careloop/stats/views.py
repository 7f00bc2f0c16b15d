"""Pages of careloop.stats: the dashboard, drill-down, clients and health, reports, targets. Views stay thin."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from careloop.audit.services import audit_record
from careloop.org.models import User
from careloop.org.permissions import Cap, user_can
from careloop.stats import charts
from careloop.stats.kpis import kpi_values
from careloop.stats.models import KpiTarget, ReportPeriod
from careloop.stats.params import day_param, drill_param, format_param, group_param, period_params
from careloop.stats.permissions import may_see_clients, stats_scope
from careloop.stats.reports import report_build, report_charts, sections
from careloop.stats.responses import client_export_response, report_file_response, table_response
from careloop.stats.rollup import last_run
from careloop.stats.selectors import (
    client_figures,
    drilldown_tasks,
    followup_table,
    followup_totals,
    followup_trend,
    health_figures,
    service_figures,
)
from careloop.stats.services import kpi_target_update, visible_reports


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _errors(exc: ValidationError) -> list[str]:
    return [str(m) for m in exc.messages]


def _group_labels() -> dict[str, str]:
    return {"branch": _("By branch"), "team": _("By team"), "staff": _("By staff member"), "rule": _("By rule")}


def _scope_name(user: User) -> str:
    return str(user.org_unit) if user.org_unit_id else ""


def _kpi_sparkline(row: dict[str, Any]) -> str:
    trend = [p for p in row.get("trend") or [] if p["value"] is not None]
    if len(trend) < 2:
        return ""
    chart = charts.Chart("line", "", [f"{p['date'].month}月" for p in trend],
                         [charts.Series(row["name"], [p["value"] for p in trend])])
    return charts.svg(chart, 320, 120)


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    scope = stats_scope(user)
    try:
        date_from, date_to = period_params(request.GET)
        by = group_param(request.GET)
    except ValidationError as exc:
        messages.error(request, "；".join(_errors(exc)))
        return redirect("stats:dashboard")
    rows = followup_table(scope, date_from, date_to, by)
    totals = followup_totals(scope, date_from, date_to)
    context: dict[str, Any] = {
        "date_from": date_from, "date_to": date_to, "by": by, "groups": _group_labels(), "rows": rows,
        "totals": totals, "run": last_run(), "period_query": f"from={date_from}&to={date_to}",
        "metrics": ["planned", "done", "on_time", "overdue", "missed", "lost"],
    }
    if request.htmx:  # type: ignore[attr-defined]
        return render(request, "stats/_followup_table.html", context)
    year_from = date_to.replace(month=1, day=1)
    kpis = kpi_values(scope, year_from, date_to, trend=True)
    for k in kpis:
        k["spark"] = mark_safe(_kpi_sparkline(k))  # noqa: S308 - built by charts.svg, every text escaped
    trend = followup_trend(scope, date_from, date_to, grain="month" if (date_to - date_from).days > 92 else "day")
    data = {"period": "yearly" if (date_to - date_from).days > 92 else "monthly", "trend":
            [{**r, "bucket": r["bucket"].isoformat()} for r in trend], "totals": totals}
    context.update(kpis=kpis, kpi_year=year_from.year, kpi_team_scoped=scope.team_scoped,
                   charts=[mark_safe(charts.svg(c)) for c in report_charts(data)])  # noqa: S308
    return render(request, "stats/dashboard.html", context)


@login_required
def followups_export(request: HttpRequest) -> HttpResponseBase:
    scope = stats_scope(_user(request))
    date_from, date_to = period_params(request.GET)
    by = group_param(request.GET)
    fmt = format_param(request.GET, ("csv", "xlsx"))
    return table_response(followup_table(scope, date_from, date_to, by), fmt, f"followups-{by}-{date_from}-{date_to}")


@login_required
def drilldown(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    scope = stats_scope(user)
    try:
        date_from, date_to = period_params(request.GET)
        drill = drill_param(request.GET)
    except ValidationError as exc:
        messages.error(request, "；".join(_errors(exc)))
        return redirect("stats:dashboard")
    qs = drilldown_tasks(scope, date_from, date_to, drill, timezone.localdate())
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    names = may_see_clients(user)
    if names and page.object_list:
        with transaction.atomic():
            audit_record(actor=user, action="stats.drilldown", detail={
                "metric": drill.metric, "from": date_from.isoformat(), "to": date_to.isoformat(),
                "rows": len(page.object_list)})
    metric_labels = {"planned": _("Planned"), "done": _("Done"), "on_time": _("On time"), "overdue": _("Overdue"),
                     "missed": _("Missed"), "lost": _("Lost to follow-up"), "attempted": _("Attempted"),
                     "reached": _("Reached")}
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "stats/drilldown.html", {
        "page": page, "names": names, "metric": metric_labels[drill.metric], "date_from": date_from,
        "date_to": date_to, "query": query.urlencode(),
    })


@login_required
def clients_health(request: HttpRequest) -> HttpResponse:
    scope = stats_scope(_user(request))
    try:
        date_from, date_to = period_params(request.GET, default_days=365)
    except ValidationError as exc:
        messages.error(request, "；".join(_errors(exc)))
        return redirect("stats:clients")
    health = health_figures(scope, date_from, date_to)
    band_chart = charts.Chart("stacked", _("Abnormal results by age band and sex"), [r["band"] for r in health["abnormal_by_band"]], [
        charts.Series(_("Male"), [r["male"] for r in health["abnormal_by_band"]]),
        charts.Series(_("Female"), [r["female"] for r in health["abnormal_by_band"]]),
    ])
    risk_chart = charts.Chart("stacked", _("Risk categories by model"), [r["name"][:10] for r in health["risk"]], [
        charts.Series(_("Low"), [r["low"] for r in health["risk"]], "#2f6f4f"),
        charts.Series(_("Medium"), [r["medium"] for r in health["risk"]], "#c98a00"),
        charts.Series(_("High"), [r["high"] for r in health["risk"]], "#c0392b"),
    ])
    tier_names = {"A": _("A · core"), "B": _("B · potential"), "C": _("C · new / occasional")}
    c = client_figures(scope, date_from, date_to)
    moves = [{"old": tier_names.get(m["old"], m["old"]), "new": tier_names.get(m["new"], m["new"]), "n": m["n"]}
             for m in c["tier_moves"]]
    churn_names = {"opted_out": _("Opted out"), "lost": _("Lost to follow-up"), "deceased": _("Deceased")}
    return render(request, "stats/clients.html", {
        "date_from": date_from, "date_to": date_to, "c": c, "moves": moves,
        "churn": [(churn_names.get(k, k), v) for k, v in c["churn"].items()],
        "tiers": [(tier_names.get(k, k), v) for k, v in sorted(c["by_tier"].items())],
        "health": health, "service": service_figures(scope, date_from, date_to), "band_chart": mark_safe(charts.svg(band_chart)),  # noqa: S308
        "risk_chart": mark_safe(charts.svg(risk_chart)) if health["risk"] else "",  # noqa: S308
    })


@login_required
def reports(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    stats_scope(user)
    kept = visible_reports(user)[:60]
    return render(request, "stats/reports.html", {"kept": kept, "periods": ReportPeriod.choices,
                                                  "today": timezone.localdate()})


@login_required
def report(request: HttpRequest, period: str) -> HttpResponseBase:
    user = _user(request)
    scope = stats_scope(user)
    if period not in ReportPeriod.values:
        raise Http404
    try:
        day = day_param(request.GET)
        fmt = format_param(request.GET, ("html", "xlsx", "pdf"))
    except ValidationError as exc:
        messages.error(request, "；".join(_errors(exc)))
        return redirect("stats:reports")
    data = report_build(scope, period, day, scope_name=_scope_name(user))
    return _report_out(request, data, fmt)


@login_required
def report_kept(request: HttpRequest, pk: int) -> HttpResponseBase:
    user = _user(request)
    kept = visible_reports(user).filter(pk=pk).first()
    if kept is None:
        raise Http404
    try:
        fmt = format_param(request.GET, ("html", "xlsx", "pdf"))
    except ValidationError as exc:
        messages.error(request, "；".join(_errors(exc)))
        return redirect("stats:reports")
    return _report_out(request, kept.data, fmt, kept=kept.pk)


def _report_out(request: HttpRequest, data: dict[str, Any], fmt: str, kept: int | None = None) -> HttpResponseBase:
    if fmt != "html":
        with transaction.atomic():
            audit_record(actor=request.user, action="stats.report_download",
                         detail={"period": data["period"], "from": data["from"], "format": fmt})
        return report_file_response(data, fmt)
    shaped = []
    for title, heads, rows in sections(data):
        shaped.append({"title": title, "heads": [h for h, _k in heads], "kinds": [k for _h, k in heads],
                       "rows": rows})
    query = request.GET.copy()
    query.pop("format", None)
    return render(request, "stats/report.html", {
        "data": data, "sections": shaped, "kept": kept, "query": query.urlencode(),
        "charts": [mark_safe(charts.svg(c)) for c in report_charts(data)],  # noqa: S308
        "title": {"daily": _("Daily report"), "monthly": _("Monthly report"), "yearly": _("Yearly report")}[data["period"]],
    })


@login_required
def targets(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    if not user_can(user, Cap.VIEW_STATS) and not user_can(user, Cap.MANAGE_TARGETS):
        raise PermissionDenied(_("Your role does not allow reading statistics."))
    editable = user_can(user, Cap.MANAGE_TARGETS)
    errors: dict[int, list[str]] = {}
    if request.method == "POST":
        target = KpiTarget.objects.filter(pk=request.POST.get("id") or 0).first()
        if target is None:
            raise Http404
        try:
            kpi_target_update(target=target, value=request.POST.get("target"), acting_user=user)
        except ValidationError as exc:
            errors[target.pk] = _errors(exc)
        else:
            messages.success(request, _("Target saved: %(name)s") % {"name": target.name})
            return redirect("stats:targets")
    return render(request, "stats/targets.html", {"targets": KpiTarget.objects.all(), "editable": editable,
                                                  "errors": errors}, status=400 if errors else 200)


@login_required
def clients_export(request: HttpRequest) -> HttpResponseBase:
    try:
        fmt = format_param(request.GET, ("csv", "xlsx"))
        return client_export_response(_user(request), request.GET, fmt)
    except ValidationError as exc:
        messages.error(request, "；".join(_errors(exc)))
        return redirect("clients:list")
