"""Reads of staff quality: the inspector's home, the findings lists, the sampled record (audited),
and the per-staff scores published for statistics."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Avg, Count, Q, QuerySet

from careloop.audit.services import audit_record
from careloop.followups.selectors import record_answer_rows
from careloop.quality.models import ChecklistItem, Finding, SampledRecord
from careloop.quality.permissions import (
    findings_visible_to,
    periods_visible_to,
    sampled_record_for,
    samples_visible_to,
)


def quarter_of(day: date) -> tuple[date, date]:
    first_month = 3 * ((day.month - 1) // 3) + 1
    start = date(day.year, first_month, 1)
    end = date(day.year + 1, 1, 1) if first_month == 10 else date(day.year, first_month + 3, 1)
    return start, date.fromordinal(end.toordinal() - 1)


def inspector_home(user: Any, *, today: date) -> dict[str, Any]:
    """This quarter's periods and samples to score, and the open findings (4 queries)."""
    start, end = quarter_of(today)
    periods = list(periods_visible_to(user).filter(start__lte=end, end__gte=start).select_related("branch"))
    to_score = list(
        samples_visible_to(user).filter(period__in=[p.pk for p in periods], status=SampledRecord.Status.PENDING)
        .select_related("staff", "record__client").order_by("staff_id", "rank")[:200]
    )
    open_findings = list(findings_visible_to(user).filter(status=Finding.Status.OPEN)
                         .select_related("staff", "owner").order_by("due_date", "pk")[:100])
    return {"start": start, "end": end, "periods": periods, "to_score": to_score, "open_findings": open_findings,
            "today": today}


def period_samples(user: Any, period_id: int) -> QuerySet[SampledRecord]:
    return (samples_visible_to(user).filter(period_id=period_id)
            .select_related("staff", "record__client").order_by("staff_id", "rank"))


def findings_list(user: Any, *, status: str = "", staff_id: int | None = None) -> QuerySet[Finding]:
    qs = findings_visible_to(user).select_related("staff", "owner", "sample__record")
    if status:
        qs = qs.filter(status=status)
    if staff_id:
        qs = qs.filter(staff_id=staff_id)
    return qs.order_by("status", "due_date", "pk")


def my_findings(user: Any) -> QuerySet[Finding]:
    """The findings on the user's own records (what the staff member sees about their work)."""
    return Finding.objects.filter(staff_id=user.pk).select_related("staff", "owner", "sample__record").order_by(
        "status", "due_date", "pk")


@transaction.atomic
def sampled_record_read(user: Any, record_pk: Any) -> dict[str, Any]:
    """An inspector opens a sampled record: only a sampled one, and every read writes an audit row."""
    sample = sampled_record_for(user, record_pk)
    record = sample.record
    audit_record(actor=user, action="quality.sample.read", obj=record, client=record.client_id,
                 detail={"sample": sample.pk, "period": sample.period_id})
    return {
        "sample": sample,
        "record": record,
        "answers": record_answer_rows(record),
        "checklist": list(ChecklistItem.objects.filter(active=True).order_by("position", "code")),
        "findings": list(sample.findings.select_related("owner").order_by("pk")),
    }


def staff_scores(*, units: list[int], start: date, end: date) -> dict[int, dict[str, Any]]:
    """Per staff member: supervision samples scored in periods overlapping [start, end] for branches in
    ``units``, the mean scores (0–100) and the open findings. For statistics, next to volume.

    Keys: staff id → {"sampled", "scored", "completeness", "timeliness", "manner", "total", "open_findings"}.
    """
    rows = (
        SampledRecord.objects.filter(period__branch_id__in=units, period__start__lte=end, period__end__gte=start)
        .values("staff_id")
        .annotate(
            sampled=Count("pk"),
            scored=Count("pk", filter=Q(status=SampledRecord.Status.SCORED)),
            completeness=Avg("completeness"), timeliness=Avg("timeliness"), manner=Avg("manner"), total=Avg("total"),
        )
    )
    open_counts = dict(
        Finding.objects.filter(sample__period__branch_id__in=units, sample__period__start__lte=end,
                               sample__period__end__gte=start, status=Finding.Status.OPEN)
        .values("staff_id").annotate(n=Count("pk")).values_list("staff_id", "n")
    )
    result: dict[int, dict[str, Any]] = {}
    for found in rows:
        row: dict[str, Any] = dict(found)
        staff = row.pop("staff_id")
        for key in ("completeness", "timeliness", "manner", "total"):
            if row[key] is not None:
                row[key] = Decimal(row[key]).quantize(Decimal("0.1"))
        row["open_findings"] = open_counts.get(staff, 0)
        result[staff] = row
    return result


# --- Training -------------------------------------------------------------------------------------


def training_calendar(user: Any, *, today: date) -> dict[str, Any]:
    """The sessions of this quarter's plans the user may see, and the user's own training state."""
    from careloop.quality.models import PeriodScore, TrainingSession, TrainingTask
    from careloop.quality.permissions import plans_visible_to, staff_visible_to

    start, end = quarter_of(today)
    plans = list(plans_visible_to(user).filter(start__lte=end, end__gte=start).select_related("branch")
                 .order_by("start", "pk"))
    sessions = list(TrainingSession.objects.filter(plan__in=[p.pk for p in plans]).select_related("plan")
                    .order_by("starts_at"))
    staff = staff_visible_to(user)
    tasks = list(TrainingTask.objects.filter(staff__in=staff, status=TrainingTask.Status.OPEN)
                 .select_related("staff", "plan").order_by("due_date", "pk")[:100])
    flagged = list(PeriodScore.objects.filter(staff__in=staff, repeated_failure=True)
                   .select_related("staff", "plan").order_by("-computed_at")[:50])
    own_plans = {p.pk for p in plans if p.role in user.roles}
    return {"start": start, "end": end, "plans": plans, "sessions": sessions, "tasks": tasks, "flagged": flagged,
            "own_plans": own_plans, "today": today}


def score_sheet(plan: Any, staff: Any) -> dict[str, Any]:
    from careloop.quality import satisfaction
    from careloop.quality.models import Attendance, PeriodScore, PracticalItem

    return {
        "plan": plan, "staff": staff,
        "attendance": list(Attendance.objects.filter(session__plan=plan, staff=staff).select_related("session")
                           .order_by("session__starts_at")),
        "sessions": list(plan.sessions.order_by("starts_at")),
        "exam": plan.attempts.filter(staff=staff).order_by("-taken_at", "-pk").first(),
        "practical": plan.practicals.filter(staff=staff).order_by("-assessed_at", "-pk").first(),
        "practical_items": list(PracticalItem.objects.filter(active=True)),
        "score": PeriodScore.objects.filter(plan=plan, staff=staff).first(),
        "satisfaction_available": satisfaction.available(),
        "tasks": list(plan.tasks.filter(staff=staff).order_by("-created_at")),
    }


def score_sheet_rows(user: Any, plans: list[Any]) -> list[dict[str, Any]]:
    """(plan, person, score) for every person the user may see whom a plan applies to (3 queries)."""
    from careloop.org.models import RoleGrant
    from careloop.quality.models import PeriodScore
    from careloop.quality.permissions import staff_visible_to

    if not plans:
        return []
    people = list(staff_visible_to(user).filter(is_active=True).exclude(pk=user.pk).select_related("org_unit")
                  .order_by("username")[:500])
    roles: dict[int, set[str]] = {}
    for staff_id, role in RoleGrant.objects.filter(user__in=[p.pk for p in people]).values_list("user_id", "role"):
        roles.setdefault(staff_id, set()).add(role)
    scores = {(s.plan_id, s.staff_id): s for s in PeriodScore.objects.filter(plan__in=[p.pk for p in plans])}
    rows = []
    for plan in plans:
        for person in people:
            unit = person.org_unit
            if plan.role in roles.get(person.pk, ()) and unit is not None and unit.path.startswith(plan.branch.path):
                rows.append({"plan": plan, "staff": person, "score": scores.get((plan.pk, person.pk))})
    return rows
