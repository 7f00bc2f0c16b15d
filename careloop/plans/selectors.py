"""Reads of careloop.plans: a client's plans and entitlements, archive depth, and partner hospitals.

``partner_hospitals`` is published for other business apps (chronic-disease referrals).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, F, OuterRef, Prefetch, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce

from careloop.clients.models import Client
from careloop.messaging.planyear import subscription_changes_since
from careloop.org.models import OrgUnit, User
from careloop.org.selectors import subtree_q
from careloop.plans.models import (
    ArchiveSection,
    ClinicSession,
    Department,
    Enrolment,
    EnrolmentStatus,
    EntitlementUse,
    GroupEnrolment,
    PartnerHospital,
    Period,
    Plan,
    PlanService,
    PlanVersion,
)
from careloop.plans.periods import service_month
from careloop.plans.services import current_enrolments_q, effective_quota, period_label, period_of


def plans_catalogue() -> list[tuple[Plan, PlanVersion | None]]:
    """Every plan with its current version and that version's services (3 queries)."""
    versions = (PlanVersion.objects.order_by("plan_id", "-number")
                .prefetch_related(Prefetch("services", queryset=PlanService.objects.select_related("service"))))
    latest: dict[int, PlanVersion] = {}
    for version in versions:
        latest.setdefault(version.plan_id, version)
    return [(plan, latest.get(plan.pk)) for plan in Plan.objects.order_by("id")]


def enrolments_of(client: Client) -> QuerySet[Enrolment]:
    return (Enrolment.objects.filter(client=client).select_related("version__plan", "group__enterprise")
            .order_by("-start_date", "-id"))


@dataclass
class EntitlementRow:
    service: str
    name: str
    quota: int | None
    used: int
    remaining: int | None
    period: str
    period_start: dt.date
    period_end: dt.date
    period_text: str
    plan: str
    plan_name: str
    enrolment: int

    @property
    def near_limit(self) -> bool:
        return self.remaining is not None and self.remaining <= 1


def entitlements_of(client: Client, day: dt.date) -> list[EntitlementRow]:
    """Quota, used and remaining of every member-level service of the client's current plans.

    One query: the service lines of the current enrolments with the count of each line's uses in the
    period that contains ``day`` (plus one for subscription changes, which messaging counts).
    """
    used = (EntitlementUse.objects.filter(enrolment_id=OuterRef("e_id"), service_id=OuterRef("service_id"),
                                          period_start__lte=day, period_end__gte=day, released_at__isnull=True)
            .order_by().values("enrolment_id").annotate(n=Count("id")).values("n"))
    lines = list(
        PlanService.objects.filter(per_group=False, version__enrolments__client=client,
                                   version__enrolments__status=EnrolmentStatus.ACTIVE,
                                   version__enrolments__start_date__lte=day, version__enrolments__end_date__gte=day)
        .annotate(e_id=F("version__enrolments__id"), e_start=F("version__enrolments__start_date"),
                  e_end=F("version__enrolments__end_date"), e_lectures=F("version__enrolments__group__lectures_per_year"),
                  plan_code=F("version__plan__code"), plan_name=F("version__plan__name"),
                  used=Coalesce(Subquery(used), 0))
        .select_related("service").order_by("e_end", "e_id", "service__sort_order"))
    sub_used: int | None = None
    rows: list[EntitlementRow] = []
    for line in lines:
        row: Any = line
        if line.period == Period.UNLIMITED:
            quota = None
        elif line.service.code == "lecture" and row.e_lectures:
            quota = row.e_lectures
        else:
            quota = line.quota
        if line.period == Period.MONTH:
            begin, end = service_month(row.e_start, day)
            end = min(end, row.e_end)
        else:
            begin, end = row.e_start, row.e_end
        count = row.used
        if line.service.code == "subscription_change":
            if sub_used is None:
                sub_used = subscription_changes_since(client, begin)
            count = sub_used
        rows.append(EntitlementRow(
            service=line.service.code, name=line.service.name, quota=quota, used=count,
            remaining=None if quota is None else max(quota - count, 0), period=line.period,
            period_start=begin, period_end=end, period_text=period_label(line, begin, end),
            plan=row.plan_code, plan_name=row.plan_name, enrolment=row.e_id))
    return rows


@dataclass
class SectionRow:
    code: str
    name: str
    level: int
    included: bool


@dataclass
class ArchiveDepth:
    level: int | None  # None: no current plan
    plans: list[str] = field(default_factory=list)
    sections: list[SectionRow] = field(default_factory=list)

    @property
    def roman(self) -> str:
        return {1: "Ⅰ", 2: "Ⅱ", 3: "Ⅲ"}.get(self.level or 0, "")

    @property
    def missing(self) -> list[SectionRow]:
        return [s for s in self.sections if not s.included]


def archive_depth(client: Client, day: dt.date) -> ArchiveDepth:
    """The deepest archive level among the client's current plans (ARC-5) and each section's coverage."""
    current = list(Enrolment.objects.filter(current_enrolments_q(day), client=client)
                   .values_list("version__archive_level", "version__plan__name"))
    level = max((lvl for lvl, _n in current), default=None)
    sections = [SectionRow(s.code, s.name, s.level, level is not None and s.level <= level)
                for s in ArchiveSection.objects.all()]
    return ArchiveDepth(level=level, plans=[name for _l, name in current], sections=sections)


def archive_sections_up_to(level: int) -> list[SectionRow]:
    return [SectionRow(s.code, s.name, s.level, s.level <= level) for s in ArchiveSection.objects.all()]


def group_entitlements(group: GroupEnrolment, day: dt.date) -> list[EntitlementRow]:
    """The enterprise-level services of a group enrolment (lectures, group assessment, newsletter issues)."""
    lines = list(PlanService.objects.filter(version=group.version_id, per_group=True).select_related("service"))
    counts: dict[tuple[int, dt.date], tuple[int, int]] = {(row["service"], row["period_start"]): (row["n"], row["copies"]) for row in
                      EntitlementUse.objects.filter(group=group, released_at__isnull=True)
                      .values("service", "period_start").annotate(n=Count("id"), copies=Sum("copies"))}
    rows = []
    inside = group.start_date <= day <= group.end_date
    for line in lines:
        quota = effective_quota(line, group)
        begin, end = period_of(line, group, day if inside else group.start_date)
        used, copies = counts.get((line.service_id, begin), (0, 0))
        row = EntitlementRow(service=line.service.code, name=line.service.name, quota=quota, used=used,
                             remaining=None if quota is None else max(quota - used, 0), period=line.period,
                             period_start=begin, period_end=end, period_text=period_label(line, begin, end),
                             plan=group.version.plan.code, plan_name=group.version.plan.name, enrolment=group.pk)
        row.copies = copies  # type: ignore[attr-defined]
        rows.append(row)
    return rows


def current_plan_names(client: Client, day: dt.date) -> list[str]:
    return list(Enrolment.objects.filter(current_enrolments_q(day), client=client)
                .values_list("version__plan__name", flat=True))


def group_enrolments_visible_to(user: User) -> QuerySet[GroupEnrolment]:
    return (GroupEnrolment.objects.filter(subtree_q(user, "enterprise__branch"))
            .select_related("enterprise", "version__plan").annotate(member_count=Count("members")))


# --- partner hospitals (published for other business apps) -------------------------------------


@dataclass(frozen=True)
class ClinicTime:
    weekday: int
    start: dt.time
    end: dt.time
    doctor_name: str
    title: str


@dataclass(frozen=True)
class DepartmentInfo:
    id: int
    name: str
    specialty: str
    clinic_times: tuple[ClinicTime, ...]


@dataclass(frozen=True)
class HospitalInfo:
    id: int
    name: str
    grade: str
    address: str
    phone: str
    green_channel: bool
    departments: tuple[DepartmentInfo, ...]


def partner_hospitals(*, branch: OrgUnit | None = None, specialty: str = "",
                      green_channel_only: bool = False) -> list[HospitalInfo]:
    """Active partner hospitals (for ``branch`` and its ancestors' shared ones), their departments and clinic
    times; ``specialty`` filters departments by name or specialty text. Three queries."""
    qs = PartnerHospital.objects.filter(active=True)
    if branch is not None:
        qs = qs.filter(Q(branch__isnull=True) | Q(branch=branch) | Q(branch=branch.branch()))
    if green_channel_only:
        qs = qs.filter(green_channel=True)
    departments = Department.objects.order_by("name")
    if specialty:
        departments = departments.filter(Q(name__contains=specialty) | Q(specialty__contains=specialty))
    qs = qs.prefetch_related(Prefetch("departments", queryset=departments.prefetch_related(
        Prefetch("sessions", queryset=ClinicSession.objects.order_by("weekday", "start")))))
    out = []
    for h in qs:
        depts = tuple(DepartmentInfo(d.pk, d.name, d.specialty, tuple(
            ClinicTime(s.weekday, s.start, s.end, s.doctor_name, s.title) for s in d.sessions.all()))
            for d in h.departments.all())
        if specialty and not depts:
            continue
        out.append(HospitalInfo(h.pk, h.name, h.grade, h.address, h.phone, h.green_channel, depts))
    return out


__all__ = ["EnrolmentStatus", "Period", "archive_depth", "entitlements_of", "partner_hospitals", "plans_catalogue"]
