"""Writes of staff quality: drawing a supervision sample, scoring it, findings and their closure."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from careloop.audit.services import audit_record
from careloop.org.models import OrgUnit, User
from careloop.org.permissions import Cap, user_can
from careloop.org.selectors import unit_in_subtree
from careloop.quality import sampling
from careloop.quality.models import (
    ChecklistItem,
    Dimension,
    Finding,
    SampledRecord,
    SamplingPlan,
    SupervisionPeriod,
)
from careloop.quality.permissions import require_branch, require_inspect


def default_plan() -> SamplingPlan:
    plan = SamplingPlan.objects.filter(active=True).order_by("pk").first()
    if plan is None:
        raise ValidationError({"plan": _("No active sampling plan: an administrator must set one up.")})
    return plan


@transaction.atomic
def supervision_period_draw(
    *, branch: OrgUnit, start: date, end: date, acting_user: User, plan: SamplingPlan | None = None
) -> SupervisionPeriod:
    """Draw the period's sample for ``branch`` (its whole subtree). Drawing the same period again
    returns the period already drawn: the sample is reproducible, never redrawn differently."""
    require_branch(acting_user, branch)
    if start > end:
        raise ValidationError({"end": _("The end of the period must not be before its start.")})
    if (end - start).days > 366:
        raise ValidationError({"end": _("A supervision period lasts at most a year.")})
    existing = SupervisionPeriod.objects.filter(branch=branch, start=start, end=end).first()
    if existing is not None:
        return existing
    plan = plan or default_plan()
    seed = sampling.period_seed(branch.code or str(branch.pk), start, end, plan.code)
    unit_ids = list(OrgUnit.objects.filter(path__startswith=branch.path).values_list("pk", flat=True))
    drawn = sampling.draw(unit_ids=unit_ids, start=start, end=end, plan=plan, seed=seed)
    period = SupervisionPeriod.objects.create(
        branch=branch, start=start, end=end, plan=plan, seed=seed, drawn_by=acting_user, drawn_at=timezone.now()
    )
    SampledRecord.objects.bulk_create([
        SampledRecord(period=period, record_id=d.record_id, staff_id=d.staff_id, stratum=d.stratum, rank=d.rank)
        for d in drawn
    ])
    audit_record(actor=acting_user, action="quality.period.draw", obj=period,
                 detail={"branch": branch.pk, "start": start, "end": end, "samples": len(drawn), "seed": seed})
    return period


def _dimension_score(items: list[ChecklistItem], marks: dict[str, bool]) -> Decimal | None:
    possible = sum(i.points for i in items)
    if not possible:
        return None
    got = sum(i.points for i in items if marks.get(i.code))
    return (Decimal(got) * 100 / possible).quantize(Decimal("0.1"))


@transaction.atomic
def sample_score(*, sample: SampledRecord, marks: dict[str, Any], comment: str = "", acting_user: User) -> SampledRecord:
    """Score a sampled record against the active checklist: each item met or not; per dimension and
    overall the share of the points met (0–100)."""
    require_inspect(acting_user)
    if not unit_in_subtree(acting_user, sample.period.branch):
        raise Http404(_("No such sampled record."))
    items = list(ChecklistItem.objects.filter(active=True))
    errors: dict[str, list[str]] = {}
    clean: dict[str, bool] = {}
    for item in items:
        value = marks.get(item.code)
        if value in (True, "1", "true", "on", "yes", 1):
            clean[item.code] = True
        elif value in (False, "0", "false", "no", 0):
            clean[item.code] = False
        else:
            errors[item.code] = [_("Say whether this point is met.")]
    unknown = sorted(set(marks) - {i.code for i in items})
    if unknown:
        errors["marks"] = [_("Unknown checklist items: %(codes)s.") % {"codes": ", ".join(unknown)}]
    if errors:
        raise ValidationError(errors)
    sample.marks = clean
    for dimension in Dimension:
        setattr(sample, dimension.value, _dimension_score([i for i in items if i.dimension == dimension], clean))
    sample.total = _dimension_score(items, clean)
    sample.comment = (comment or "").strip()
    sample.status = SampledRecord.Status.SCORED
    sample.scored_by = acting_user
    sample.scored_at = timezone.now()
    sample.save(update_fields=["marks", "completeness", "timeliness", "manner", "total", "comment", "status",
                               "scored_by", "scored_at"])
    audit_record(actor=acting_user, action="quality.sample.score", obj=sample, client=sample.record.client_id,
                 detail={"total": sample.total, "record": sample.record_id})
    return sample


@transaction.atomic
def finding_record(
    *, sample: SampledRecord, description: str, action: str, owner: User | None, due_date: date | None,
    acting_user: User,
) -> Finding:
    """A finding on a sampled record with its corrective action, owner and due date."""
    require_inspect(acting_user)
    if not unit_in_subtree(acting_user, sample.period.branch):
        raise Http404(_("No such sampled record."))
    errors: dict[str, list[str]] = {}
    if not (description or "").strip():
        errors["description"] = [_("Describe what was found.")]
    if not (action or "").strip():
        errors["action"] = [_("Say what must be done about it.")]
    if owner is None:
        errors["owner"] = [_("Choose who owns the corrective action.")]
    elif not owner.is_active or not unit_in_subtree(acting_user, owner.org_unit):
        errors["owner"] = [_("The owner must be an active staff member of your part of the organisation.")]
    if due_date is None:
        errors["due_date"] = [_("Give a due date.")]
    elif due_date < timezone.localdate():
        errors["due_date"] = [_("The due date must not be in the past.")]
    if errors or owner is None or due_date is None:
        raise ValidationError(errors)
    finding = Finding.objects.create(
        sample=sample, staff_id=sample.staff_id, description=description.strip(), action=action.strip(),
        owner=owner, due_date=due_date, created_by=acting_user,
    )
    audit_record(actor=acting_user, action="quality.finding.record", obj=finding, client=sample.record.client_id,
                 detail={"sample": sample.pk, "owner": owner.pk if owner else None, "due_date": due_date})
    return finding


@transaction.atomic
def finding_close(*, finding: Finding, closure_note: str, acting_user: User) -> Finding:
    """Close a finding: its owner says what was done, or an inspector closes it on verification."""
    if not (user_can(acting_user, Cap.INSPECT) or finding.owner_id == acting_user.pk):
        raise PermissionDenied(_("Only the owner of the action or an inspector may close a finding."))
    if finding.status == Finding.Status.CLOSED:
        raise ValidationError({"status": _("This finding is already closed.")})
    if not (closure_note or "").strip():
        raise ValidationError({"closure_note": _("Say what was done.")})
    finding.status = Finding.Status.CLOSED
    finding.closure_note = closure_note.strip()
    finding.closed_by = acting_user
    finding.closed_at = timezone.now()
    finding.save(update_fields=["status", "closure_note", "closed_by", "closed_at"])
    audit_record(actor=acting_user, action="quality.finding.close", obj=finding, detail={"sample": finding.sample_id})
    return finding
