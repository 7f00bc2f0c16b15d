"""Reads of careloop.checkups, scoped through the clients the user may see."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q, QuerySet

from careloop.checkups.charts import Point, trend_svg
from careloop.checkups.models import (
    Checkup,
    CheckupItem,
    CriticalAlert,
    ImportBatch,
    Interpretation,
    ReportDelivery,
    ResultItem,
)
from careloop.clients.models import Client
from careloop.clients.selectors import clients_visible_to
from careloop.org.models import User
from careloop.org.permissions import Cap, user_can
from careloop.org.selectors import subtree_q


def checkups_of(client: Client) -> QuerySet[Checkup]:
    return Checkup.objects.filter(client=client).select_related("package", "delivery").order_by("-date", "-id")


@dataclass
class Trend:
    code: str
    name: str
    unit: str
    svg: str
    latest: ResultItem
    abnormal: int
    points: list[ResultItem] = field(default_factory=list)


def trends_of(client: Client, *, limit_checkups: int = 10) -> list[Trend]:
    """Each numeric indicator of the client's recent checkups as an SVG trend (2 queries)."""
    checkups = list(Checkup.objects.filter(client=client).order_by("-date", "-id").values_list("pk", "date")[:limit_checkups])
    dates = dict(checkups)
    items = ResultItem.objects.filter(checkup_id__in=list(dates), value_num__isnull=False).order_by("checkup_id", "id")
    by_code: dict[str, list[ResultItem]] = defaultdict(list)
    for item in items:
        item.date = dates[item.checkup_id]  # type: ignore[attr-defined]
        by_code[item.code].append(item)
    order = {code: i for i, code in enumerate(CheckupItem.objects.order_by("sort_order", "code").values_list("code", flat=True))}
    trends = []
    for code in sorted(by_code, key=lambda c: (order.get(c, 10_000), c)):
        points = sorted(by_code[code], key=lambda i: i.date)  # type: ignore[attr-defined]
        latest = points[-1]
        svg = trend_svg(
            [Point(p.date, p.value_num, p.severity, p.finding) for p in points],  # type: ignore[attr-defined, arg-type]
            title=latest.name, unit=latest.unit, ref_low=latest.ref_low, ref_high=latest.ref_high,
        )
        trends.append(Trend(code, latest.name, latest.unit, svg, latest, sum(1 for p in points if p.severity), points))
    return trends


def batches_visible_to(user: User) -> QuerySet[ImportBatch]:
    if not user_can(user, Cap.IMPORT_RESULTS):
        return ImportBatch.objects.none()
    return ImportBatch.objects.filter(Q(created_by=user) | subtree_q(user, "branch")).select_related("mapping", "branch")


def open_alerts_for(user: User) -> QuerySet[CriticalAlert]:
    return (
        CriticalAlert.objects.filter(checkup__client__in=clients_visible_to(user), acknowledged_at__isnull=True)
        .select_related("checkup__client", "item", "lead")
        .order_by("raised_at", "id")
    )


def pending_deliveries_for(user: User) -> QuerySet[ReportDelivery]:
    return (
        ReportDelivery.objects.filter(checkup__client__in=clients_visible_to(user))
        .exclude(status__in=[ReportDelivery.Status.DELIVERED, ReportDelivery.Status.COLLECTED])
        .select_related("checkup__client")
        .order_by("due_date", "id")
    )


def pending_interpretations_for(user: User) -> QuerySet[Interpretation]:
    return (
        Interpretation.objects.filter(checkup__client__in=clients_visible_to(user), status=Interpretation.Status.PENDING)
        .select_related("checkup__client", "assignee")
        .order_by("due_at", "id")
    )


def abnormal_items_of(checkup: Checkup) -> QuerySet[ResultItem]:
    return ResultItem.objects.filter(checkup=checkup).exclude(severity="").order_by("id")


def latest_abnormal_section(client: Client) -> Any:
    """For the follow-up preparation view (registered in CheckupsConfig.ready()): the latest checkup's abnormal items."""
    from django.urls import reverse
    from django.utils.translation import gettext as _

    from careloop.followups.preparation import PrepSection

    checkup = Checkup.objects.filter(client=client).order_by("-date", "-id").first()
    if checkup is None:
        return None
    lines = []
    for item in abnormal_items_of(checkup):
        value = f"{item.value_text} {item.unit}".strip()
        flag = {"H": "↑", "L": "↓"}.get(item.flag, item.flag)
        text = f"{item.name} {value} {flag}".strip()
        if item.reference_range:
            text += " " + _("(reference %(range)s)") % {"range": item.reference_range}
        if item.finding:
            text += f" · {item.finding}"
        lines.append(f"{text} · {item.get_severity_display()}")
    title = _("Checkup of %(date)s") % {"date": checkup.date.isoformat()}
    return PrepSection(title=title, lines=lines, url=reverse("checkups:client", args=[client.pk]))


def alerts_of(client: Client) -> QuerySet[CriticalAlert]:
    return CriticalAlert.objects.filter(checkup__client=client).select_related("item", "acknowledged_by", "lead")


def latest_results_of(client: Client) -> tuple[dt.date, list[dict[str, object]]] | None:
    """Published for other business apps (careloop.assessments): the date and numeric result rows
    (``code``, ``name``, ``value``, ``unit``) of the client's latest checkup, or None without one."""
    latest = Checkup.objects.filter(client=client).order_by("-date", "-id").values_list("pk", "date").first()
    if latest is None:
        return None
    rows: list[dict[str, object]] = [
        {"code": code, "name": name, "value": value, "unit": unit}
        for code, name, value, unit in ResultItem.objects.filter(checkup_id=latest[0], value_num__isnull=False)
        .order_by("id")
        .values_list("code", "name", "value_num", "unit")
    ]
    return latest[1], rows
