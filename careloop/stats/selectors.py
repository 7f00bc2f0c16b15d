"""Reads of careloop.stats: follow-up figures from the rollup, drill-down to tasks, client and health figures."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import ExtractYear, TruncMonth
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from careloop.assessments.models import Assessment
from careloop.checkups.models import ResultItem
from careloop.chronic.selectors import control_rates
from careloop.clients.models import Client, ClientStatus, StatusChange
from careloop.followups.models import CallAttempt, Encounter, FollowupRule, FollowupTask, TaskStatus
from careloop.org.models import OrgUnit, Team, User
from careloop.stats.models import FollowupDaily, FollowupDailyBranch
from careloop.stats.permissions import StatsScope
from careloop.stats.rollup import FIGURES, counted_tasks

GROUPS = ("branch", "team", "staff", "rule")
ROLLUP_COLUMN = {"branch": "branch_id", "team": "team_id", "staff": "staff_id", "rule": "rule_id"}
METRICS = ("planned", "done", "on_time", "overdue", "missed", "lost", "attempted", "reached")


def _rates(row: dict[str, Any]) -> dict[str, Any]:
    attempted = row.get("attempted") or 0
    row["contact_rate"] = round(100 * row["reached"] / attempted, 1) if attempted else None
    row["attempts_per_task"] = round(row["attempts"] / attempted, 2) if attempted else None
    row["done_rate"] = round(100 * row["done"] / row["planned"], 1) if row["planned"] else None
    row["on_time_rate"] = round(100 * row["on_time"] / row["done"], 1) if row["done"] else None
    return row


def _sums() -> dict[str, Any]:
    return {f: Sum(f) for f in FIGURES}


def _clean(row: dict[str, Any]) -> dict[str, Any]:
    for f in FIGURES:
        row[f] = row.get(f) or 0
    return row


def rollup_rows(scope: StatsScope, date_from: dt.date, date_to: dt.date, by: str = "branch") -> QuerySet[Any]:
    """Rollup rows in scope: the per-branch table when neither the grouping nor the scope needs finer rows."""
    if by == "branch" and scope.team_ids is None:
        return FollowupDailyBranch.objects.filter(branch_id__in=scope.unit_ids, day__gte=date_from, day__lte=date_to)
    return FollowupDaily.objects.filter(scope.rollup_q(), day__gte=date_from, day__lte=date_to)


def followup_totals(scope: StatsScope, date_from: dt.date, date_to: dt.date) -> dict[str, Any]:
    return _rates(_clean(rollup_rows(scope, date_from, date_to).aggregate(**_sums())))


def _labels(by: str, ids: list[int]) -> dict[int, str]:
    if by == "branch":
        return dict(OrgUnit.objects.filter(pk__in=ids).values_list("pk", "name"))
    if by == "team":
        return dict(Team.objects.filter(pk__in=ids).values_list("pk", "name"))
    if by == "staff":
        return {u.pk: str(u) for u in User.objects.filter(pk__in=ids).only("pk", "username", "display_name")}
    return {pk: f"{code} {name}" for pk, code, name in FollowupRule.objects.filter(pk__in=ids)
            .values_list("pk", "code", "name")}


def followup_table(scope: StatsScope, date_from: dt.date, date_to: dt.date, by: str) -> list[dict[str, Any]]:
    """STA-1 rows grouped ``by`` branch, team, staff or rule; the key is the label, ``id`` the filter value."""
    column = ROLLUP_COLUMN[by]
    rows = list(rollup_rows(scope, date_from, date_to, by).values(column).annotate(**_sums()).order_by(column))
    labels = _labels(by, [r[column] for r in rows if r[column] is not None])
    result = []
    for r in rows:
        pk = r.pop(column)
        key = labels.get(pk, str(pk)) if pk is not None else _("(none)")
        result.append(_rates(_clean({"key": key, "id": pk, **r})))
    result.sort(key=lambda r: (-r["planned"], r["key"]))
    return result


def followup_trend(scope: StatsScope, date_from: dt.date, date_to: dt.date, grain: str = "day") -> list[dict[str, Any]]:
    """Figures per day (or per month) of the period, every bucket present (zeros where there were no tasks)."""
    qs = rollup_rows(scope, date_from, date_to)
    found: dict[dt.date, dict[str, Any]]
    if grain == "month":
        found = {r["bucket"].date() if isinstance(r["bucket"], dt.datetime) else r["bucket"]: dict(r)
                 for r in qs.annotate(bucket=TruncMonth("day")).values("bucket").annotate(**_sums()).order_by("bucket")}
        buckets = []
        cursor = date_from.replace(day=1)
        while cursor <= date_to:
            buckets.append(cursor)
            cursor = (cursor + dt.timedelta(days=32)).replace(day=1)
    else:
        found = {r["day"]: dict(r) for r in qs.values("day").annotate(**_sums()).order_by("day")}
        buckets = [date_from + dt.timedelta(days=i) for i in range((date_to - date_from).days + 1)]
    out = []
    for b in buckets:
        row = {f: (found.get(b) or {}).get(f) or 0 for f in FIGURES}
        out.append(_rates({"bucket": b, **row}))
    return out


@dataclass(frozen=True)
class Drill:
    metric: str = "planned"
    branch: int | None = None
    team: int | None = None
    staff: int | None = None
    rule: int | None = None


def metric_q(metric: str, today: dt.date) -> Q:
    """The same definitions as careloop.stats.rollup.figure_aggregates, as a filter."""
    open_q = Q(status__in=[TaskStatus.PENDING, TaskStatus.IN_PROGRESS])
    if metric == "done":
        return Q(status=TaskStatus.DONE)
    if metric == "on_time":
        from django.db.models import F
        from django.db.models.functions import Coalesce

        return Q(status=TaskStatus.DONE, closed_at__date__lte=Coalesce(F("window_end"), F("due_date")))
    if metric == "overdue":
        return open_q & (Q(window_end__lt=today) | Q(window_end__isnull=True, due_date__lt=today))
    if metric == "missed":
        return Q(status=TaskStatus.MISSED)
    if metric == "lost":
        return Q(status=TaskStatus.MISSED, client__status=ClientStatus.LOST)
    if metric == "attempted":
        return Q(status=TaskStatus.DONE) | Q(attempt_count__gt=0)
    if metric == "reached":
        answered = CallAttempt.objects.filter(outcome=CallAttempt.Outcome.ANSWERED).values("task_id")
        return Q(status=TaskStatus.DONE) | Q(pk__in=answered)
    return Q()


def drilldown_tasks(scope: StatsScope, date_from: dt.date, date_to: dt.date, drill: Drill,
                    today: dt.date) -> QuerySet[FollowupTask]:
    """The tasks behind one figure (same scope and definitions as the rollup)."""
    qs = counted_tasks(date_from, date_to).filter(scope.task_q()).filter(metric_q(drill.metric, today))
    if drill.branch is not None:
        qs = qs.filter(client__branch_id=drill.branch)
    if drill.team is not None:
        qs = qs.filter(team_id=drill.team)
    if drill.staff is not None:
        qs = qs.filter(assignee_id=drill.staff)
    if drill.rule is not None:
        qs = qs.filter(rule_id=drill.rule)
    return qs.select_related("client", "rule", "assignee", "team").order_by("due_date", "id")


# --- clients and health (STA-2) -----------------------------------------------------------------------------

CHURN_STATUSES = (ClientStatus.OPTED_OUT, ClientStatus.LOST, ClientStatus.DECEASED)
AGE_BANDS = ((0, 29), (30, 39), (40, 49), (50, 59), (60, 69), (70, 200))


def age_band_label(age: int) -> str:
    for lo, hi in AGE_BANDS:
        if lo <= age <= hi:
            if lo == 0:
                return _("under %(n)s") % {"n": hi + 1}
            if hi >= 200:
                return _("%(n)s and over") % {"n": lo}
            return f"{lo}–{hi}"
    return "—"


def client_figures(scope: StatsScope, date_from: dt.date, date_to: dt.date) -> dict[str, Any]:
    """New clients, retained, tier moves and churn of the period (client-level: branch scope only)."""
    clients = Client.objects.filter(branch_id__in=scope.unit_ids)
    new = clients.filter(created_at__date__gte=date_from, created_at__date__lte=date_to).count()
    changes = StatusChange.objects.filter(client__branch_id__in=scope.unit_ids, changed_at__date__gte=date_from,
                                          changed_at__date__lte=date_to)
    tier_moves = list(changes.filter(kind="tier").values("old", "new").annotate(n=Count("id")).order_by("old", "new"))
    churn = dict(changes.filter(kind="status", new__in=CHURN_STATUSES).values_list("new").annotate(n=Count("id")))
    retained = retention(scope, date_from, date_to)
    by_tier = dict(clients.filter(status=ClientStatus.ACTIVE).values_list("tier").annotate(n=Count("id")))
    return {
        "new": new, "active": sum(by_tier.values()), "by_tier": by_tier,
        "tier_moves": tier_moves, "upgrades": sum(m["n"] for m in tier_moves if m["new"] < m["old"]),
        "downgrades": sum(m["n"] for m in tier_moves if m["new"] > m["old"]),
        "churn": {str(k): v for k, v in churn.items()}, "churn_total": sum(churn.values()),
        **retained,
    }


def retention(scope: StatsScope, date_from: dt.date, date_to: dt.date, *, by_team: bool = False) -> dict[str, Any]:
    """Clients served in the year before ``date_from`` (an encounter, or a purchase, visit or checkup in the
    crm ledger) who were served again by ``date_to``. ``by_team``: only the scope's team clients (a lead's KPI)."""
    from careloop.crm.models import LedgerEntry

    base_from = date_from - dt.timedelta(days=365)
    encounters = Encounter.objects.filter(status=Encounter.Status.ACTIVE)
    ledger = LedgerEntry.objects.exclude(kind="refund")

    def served(lo: dt.date, hi: dt.date) -> Q:
        return (Q(pk__in=encounters.filter(date__gte=lo, date__lte=hi).values("client_id"))
                | Q(pk__in=ledger.filter(date__gte=lo, date__lte=hi).values("client_id")))

    before = Client.objects.filter(served(base_from, date_from - dt.timedelta(days=1)),
                                   scope.client_q() if by_team else Q(branch_id__in=scope.unit_ids))
    base = before.count()
    again = before.filter(served(date_from, date_to)).count() if base else 0
    return {"retention_base": base, "retained": again,
            "retention_rate": round(100 * again / base, 1) if base else None}


def health_figures(scope: StatsScope, date_from: dt.date, date_to: dt.date, top: int = 15) -> dict[str, Any]:
    """Abnormal checkup findings by item, sex and age band; risk categories of assessments."""
    items = ResultItem.objects.filter(checkup__client__branch_id__in=scope.unit_ids, checkup__date__gte=date_from,
                                      checkup__date__lte=date_to).exclude(severity="")
    by_item = list(items.values("code", "name").annotate(n=Count("id")).order_by("-n", "code")[:top])
    by_sex_year = items.values("checkup__client__sex", year=ExtractYear("checkup__client__birth_date")) \
        .annotate(n=Count("id"))
    bands: dict[str, Counter[str]] = defaultdict(Counter)
    for row in by_sex_year:
        band = age_band_label(date_to.year - int(row["year"]))
        bands[band][row["checkup__client__sex"]] += row["n"]
    order = [age_band_label(lo) for lo, _hi in AGE_BANDS]
    by_band = [{"band": b, "male": bands[b]["male"], "female": bands[b]["female"]} for b in order if b in bands]
    risk: dict[str, Counter[str]] = defaultdict(Counter)
    names: dict[str, str] = {}
    assessments = Assessment.objects.filter(client__branch_id__in=scope.unit_ids, created_at__date__gte=date_from,
                                            created_at__date__lte=date_to).values_list("result", flat=True)
    for result in assessments.iterator(chunk_size=2000):
        for model in (result or {}).get("models", []):
            if model.get("category") in ("low", "medium", "high"):
                risk[model["code"]][model["category"]] += 1
                names.setdefault(model["code"], model.get("name") or model["code"])
    return {
        "abnormal_by_item": by_item,
        "abnormal_by_band": by_band,
        "abnormal_total": items.count(),
        "risk": [{"code": c, "name": names[c], "low": v["low"], "medium": v["medium"], "high": v["high"]}
                 for c, v in sorted(risk.items())],
        "control": control_figures(scope, date_from, date_to),
    }


CONTROL_INDICATORS = {"sbp": _lazy("Systolic blood pressure"), "dbp": _lazy("Diastolic blood pressure"),
                      "fasting_glucose": _lazy("Fasting glucose"), "postprandial_glucose": _lazy("Postprandial glucose"),
                      "hba1c": _lazy("HbA1c")}


def control_figures(scope: StatsScope, date_from: dt.date, date_to: dt.date) -> list[dict[str, Any]]:
    """Blood-pressure and glucose control in chronic plans (STA-2): readings in target, and clients with at least
    75% of their readings in target, per indicator — from the chronic app's published selector."""
    units = list(OrgUnit.objects.filter(pk__in=scope.root_ids or scope.unit_ids))
    rows = control_rates(units=units, start=date_from, end=date_to)
    return [{"code": r.indicator, "name": str(CONTROL_INDICATORS[r.indicator]), "clients": r.clients,
             "controlled_clients": r.controlled_clients, "readings": r.readings, "in_target": r.in_target,
             "rate": None if r.rate is None else round(100 * r.rate, 1)}
            for r in rows if r.indicator in CONTROL_INDICATORS]


def service_figures(scope: StatsScope, date_from: dt.date, date_to: dt.date) -> dict[str, Any]:
    """Satisfaction, NPS, complaint rate, response and resolution times (the service desk's published figures;
    tickets are counted by the unit they were recorded for)."""
    from django.db.models import Avg, DurationField, ExpressionWrapper, F

    from careloop.servicedesk import selectors as desk
    from careloop.servicedesk.models import Ticket

    roots = list(OrgUnit.objects.filter(pk__in=scope.root_ids or scope.unit_ids))
    nps = desk.nps(start=date_from, end=date_to, units=roots)
    rate = desk.complaint_rate(start=date_from, end=date_to, units=roots)
    tickets = Ticket.objects.filter(branch_id__in=scope.unit_ids, created_at__date__gte=date_from,
                                    created_at__date__lte=date_to)
    row = tickets.aggregate(
        n=Count("id"), complaints=Count("id", filter=Q(kind="complaint")),
        satisfaction=Avg("satisfaction"), response=Avg("response_minutes"),
        resolution=Avg(ExpressionWrapper(F("resolved_at") - F("created_at"), output_field=DurationField()),
                       filter=Q(resolved_at__isnull=False)))
    resolution = row["resolution"]
    return {
        "tickets": row["n"], "complaints": row["complaints"],
        "nps": nps.score, "nps_answers": nps.answers, "promoters": nps.promoters, "detractors": nps.detractors,
        "complaint_rate": rate.value, "complaining_clients": rate.count, "served_clients": rate.base,
        "urgent_response_minutes": desk.urgent_response_minutes(start=date_from, end=date_to, units=roots),
        "satisfaction": round(float(row["satisfaction"]), 2) if row["satisfaction"] is not None else None,
        "response_minutes": round(float(row["response"]), 1) if row["response"] is not None else None,
        "resolution_hours": round(resolution.total_seconds() / 3600, 1) if resolution is not None else None,
    }
