"""/api/v1/stats/… and /api/v1/clients/export/ — thin: parse, call selectors, shape the answer."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.http import HttpResponseBase
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.generics import GenericAPIView
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from careloop.audit.services import audit_record
from careloop.clients.api import CLIENT_FILTERS
from careloop.org.models import User
from careloop.stats.kpis import kpi_values
from careloop.stats.models import ReportPeriod
from careloop.stats.params import day_param, drill_param, format_param, group_param, period_params
from careloop.stats.permissions import may_see_clients, stats_scope
from careloop.stats.reports import report_build
from careloop.stats.responses import client_export_response, report_file_response, table_response
from careloop.stats.rollup import last_run
from careloop.stats.selectors import GROUPS, METRICS, drilldown_tasks, followup_table, followup_totals


class IgnoreFormatParam(DefaultContentNegotiation):
    """``?format=`` chooses the file type here (csv, xlsx, pdf), not DRF's renderer: always answer JSON."""

    def select_renderer(self, request: Any, renderers: Any, format_suffix: Any = None) -> Any:
        return renderers[0], renderers[0].media_type


PERIOD = [OpenApiParameter("from", OpenApiTypes.DATE), OpenApiParameter("to", OpenApiTypes.DATE)]


class FigureRow(serializers.Serializer):
    key = serializers.CharField(help_text="Branch, team, staff member or rule")
    id = serializers.IntegerField(allow_null=True, help_text="Its id (drill-down filter)")
    planned = serializers.IntegerField()
    done = serializers.IntegerField()
    on_time = serializers.IntegerField()
    overdue = serializers.IntegerField()
    missed = serializers.IntegerField()
    lost = serializers.IntegerField()
    attempted = serializers.IntegerField()
    reached = serializers.IntegerField()
    attempts = serializers.IntegerField()
    contact_rate = serializers.FloatField(allow_null=True, help_text="Percent of attempted tasks reached")
    attempts_per_task = serializers.FloatField(allow_null=True)
    done_rate = serializers.FloatField(allow_null=True)
    on_time_rate = serializers.FloatField(allow_null=True)


class FollowupStats(serializers.Serializer):
    count = serializers.IntegerField()
    next = serializers.CharField(allow_null=True)
    previous = serializers.CharField(allow_null=True)
    results = FigureRow(many=True)
    by = serializers.ChoiceField(choices=GROUPS)
    date_from = serializers.DateField()
    date_to = serializers.DateField()
    as_of = serializers.DateTimeField(allow_null=True, help_text="When the rollup was last refreshed")


class NoEmptyParams:
    """A query parameter that is present must have a value: ``?to=`` is a 400 naming ``to`` (as the schema says),
    never silently read as "not given"."""

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)  # type: ignore[misc]  # authentication and permissions first
        if not hasattr(self, (request.method or "").lower()):
            return  # an undeclared method is a 405, whatever its parameters
        empty = sorted(name for name, value in request.query_params.items() if value == "")
        if empty:
            raise serializers.ValidationError({name: [_("This parameter needs a value.")] for name in empty})


class FollowupStatsView(NoEmptyParams, APIView):
    content_negotiation_class = IgnoreFormatParam

    @extend_schema(
        operation_id="stats_followups",
        parameters=[*PERIOD, OpenApiParameter("by", str, enum=GROUPS),
                    OpenApiParameter("format", str, enum=["json", "csv", "xlsx"])],
        responses={200: FollowupStats, (200, "text/csv"): OpenApiTypes.BINARY,
                   (200, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"): OpenApiTypes.BINARY},
        description="Follow-up figures (SPEC STA-1) grouped by branch, team, staff member or rule.",
    )
    def get(self, request: Request) -> HttpResponseBase:
        scope = stats_scope(request.user)  # type: ignore[arg-type]
        date_from, date_to = period_params(request.query_params)
        by = group_param(request.query_params)
        fmt = format_param(request.query_params, ("json", "csv", "xlsx"))
        rows = followup_table(scope, date_from, date_to, by)
        if fmt != "json":
            return table_response(rows, fmt, f"followups-{by}-{date_from}-{date_to}")
        run = last_run()
        return Response({"count": len(rows), "next": None, "previous": None, "results": rows, "by": by,
                         "date_from": date_from, "date_to": date_to, "as_of": run.finished_at if run else None,
                         "totals": followup_totals(scope, date_from, date_to)})


class DrillTask(serializers.Serializer):
    id = serializers.IntegerField()
    due_date = serializers.DateField()
    window_end = serializers.DateField(allow_null=True)
    status = serializers.CharField()
    rule = serializers.CharField(allow_null=True)
    assignee = serializers.CharField(allow_null=True)
    attempt_count = serializers.IntegerField()
    client = serializers.IntegerField(allow_null=True, help_text="Only for roles that may open client records")
    client_name = serializers.CharField(allow_null=True)


class DrillDownView(NoEmptyParams, GenericAPIView):
    """The tasks behind one figure (same scope and definitions as the figures)."""

    serializer_class = DrillTask

    @extend_schema(
        operation_id="stats_followups_tasks",
        parameters=[*PERIOD, OpenApiParameter("metric", str, enum=METRICS)]
        + [OpenApiParameter(name, int) for name in GROUPS],
        responses={200: DrillTask(many=True)},
    )
    def get(self, request: Request) -> Response:
        user: User = request.user  # type: ignore[assignment]
        scope = stats_scope(user)
        date_from, date_to = period_params(request.query_params)
        drill = drill_param(request.query_params)
        qs = drilldown_tasks(scope, date_from, date_to, drill, timezone.localdate())
        page = self.paginate_queryset(qs)
        names = may_see_clients(user)
        rows = [{
            "id": t.pk, "due_date": t.due_date, "window_end": t.window_end, "status": t.status,
            "rule": t.rule.code if t.rule else None, "assignee": str(t.assignee) if t.assignee else None,
            "attempt_count": t.attempt_count, "client": t.client_id if names else None,
            "client_name": t.client.name if names else None,
        } for t in page or []]
        if names and rows:
            with transaction.atomic():
                audit_record(actor=user, action="stats.drilldown", detail={
                    "metric": drill.metric, "from": date_from.isoformat(), "to": date_to.isoformat(), "rows": len(rows)})
        return self.get_paginated_response(DrillTask(rows, many=True).data)


class KpiRow(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    value = serializers.FloatField(allow_null=True, help_text="null when its source is not built yet")
    target = serializers.FloatField()
    comparison = serializers.ChoiceField(choices=["gte", "lte"])
    unit = serializers.CharField()
    met = serializers.BooleanField(allow_null=True)
    available = serializers.BooleanField()
    source_missing = serializers.CharField(help_text="The app whose data the KPI needs, when not built: crm, servicedesk, plans")
    source_missing_label = serializers.CharField()
    definition = serializers.CharField()


class KpiList(serializers.Serializer):
    count = serializers.IntegerField()
    next = serializers.CharField(allow_null=True)
    previous = serializers.CharField(allow_null=True)
    results = KpiRow(many=True)
    date_from = serializers.DateField()
    date_to = serializers.DateField()


class KpisView(NoEmptyParams, APIView):
    @extend_schema(operation_id="stats_kpis", parameters=[OpenApiParameter("year", int), *PERIOD],
                   responses={200: KpiList}, description="The KPIs of SPEC CRM-4 against their targets.")
    def get(self, request: Request) -> Response:
        scope = stats_scope(request.user)  # type: ignore[arg-type]
        params = request.query_params
        if not params.get("year") and not params.get("from") and not params.get("to"):
            params = {"year": str(timezone.localdate().year)}  # type: ignore[assignment]
        date_from, date_to = period_params(params)
        rows = kpi_values(scope, date_from, date_to)
        return Response({"count": len(rows), "next": None, "previous": None, "results": rows,
                         "date_from": date_from, "date_to": date_to})


class ReportView(NoEmptyParams, APIView):
    content_negotiation_class = IgnoreFormatParam

    @extend_schema(
        operation_id="stats_report",
        parameters=[OpenApiParameter("period", str, OpenApiParameter.PATH, enum=ReportPeriod.values),
                    OpenApiParameter("date", OpenApiTypes.DATE), OpenApiParameter("format", str, enum=["json", "xlsx", "pdf"])],
        responses={200: OpenApiResponse(inline_serializer("StatsReport", {
            "period": serializers.CharField(), "from": serializers.DateField(), "to": serializers.DateField(),
            "scope": serializers.CharField(), "generated_at": serializers.DateTimeField(),
            "totals": serializers.DictField(), "kpis": serializers.ListField(child=serializers.DictField()),
            "by_branch": FigureRow(many=True), "by_team": FigureRow(many=True), "by_staff": FigureRow(many=True),
            "by_rule": FigureRow(many=True), "trend": serializers.ListField(child=serializers.DictField()),
            "clients": serializers.DictField(), "health": serializers.DictField(),
            "not_built": serializers.ListField(child=serializers.CharField()),
        })), (200, "application/pdf"): OpenApiTypes.BINARY,
            (200, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"): OpenApiTypes.BINARY},
        description="Daily, monthly or yearly report (SPEC STA-3) of the caller's scope.",
    )
    def get(self, request: Request, period: str) -> HttpResponseBase:
        user: User = request.user  # type: ignore[assignment]
        scope = stats_scope(user)
        if period not in ReportPeriod.values:
            from django.core.exceptions import ValidationError

            raise ValidationError({"period": [_("Period: must be one of: %(values)s") % {"values": ", ".join(ReportPeriod.values)}]})
        day = day_param(request.query_params)
        fmt = format_param(request.query_params, ("json", "xlsx", "pdf"))
        data = report_build(scope, period, day, scope_name=scope_name(user))
        if fmt == "json":
            return Response(data)
        with transaction.atomic():
            audit_record(actor=user, action="stats.report_download",
                         detail={"period": period, "from": data["from"], "format": fmt})
        return report_file_response(data, fmt)


def scope_name(user: User) -> str:
    if user.org_unit_id is None:
        return ""
    return user.org_unit.name  # type: ignore[union-attr]


class ClientExportView(NoEmptyParams, APIView):
    content_negotiation_class = IgnoreFormatParam

    @extend_schema(
        operation_id="clients_export",
        parameters=[*CLIENT_FILTERS, OpenApiParameter("format", str, enum=["csv", "xlsx"])],
        responses={(200, "text/csv"): OpenApiTypes.BINARY,
                   (200, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"): OpenApiTypes.BINARY},
        description="The caller's visible clients with the list's filters, masked, audited (SPEC INT-3).",
    )
    def get(self, request: Request) -> HttpResponseBase:
        fmt = format_param(request.query_params, ("csv", "xlsx"))
        return client_export_response(request.user, request.query_params, fmt)  # type: ignore[arg-type]
