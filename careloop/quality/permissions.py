"""Who may see what of staff quality: one helper per object type, returning the object or refusing.

* an inspector (Cap.INSPECT) draws and scores the samples of the branches in their subtree and
  reads the sampled records — only those — with an audit row per read;
* a staff member sees the findings on their own records and the ones they own the action of;
* a team lead also sees the findings of their team members;
* a manager (Cap.VIEW_STATS) sees the findings of their subtree.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from careloop.org.models import TeamMembership
from careloop.org.permissions import Cap, user_can
from careloop.org.selectors import led_team_ids, subtree_unit_ids, unit_in_subtree
from careloop.quality.models import Finding, SampledRecord, SupervisionPeriod, TrainingPlan


def require_inspect(user: Any) -> None:
    if not user_can(user, Cap.INSPECT):
        raise PermissionDenied(_("Only inspectors may do this."))


def require_branch(user: Any, branch: Any) -> None:
    require_inspect(user)
    if not unit_in_subtree(user, branch):
        raise Http404(_("No such branch."))


def periods_visible_to(user: Any) -> QuerySet[SupervisionPeriod]:
    if not user_can(user, Cap.INSPECT):
        return SupervisionPeriod.objects.none()
    return SupervisionPeriod.objects.filter(branch_id__in=subtree_unit_ids(user))


def samples_visible_to(user: Any) -> QuerySet[SampledRecord]:
    """Samples an inspector may score and read: their subtree's periods, clients of their subtree."""
    if not user_can(user, Cap.INSPECT):
        return SampledRecord.objects.none()
    units = subtree_unit_ids(user)
    return SampledRecord.objects.filter(period__branch_id__in=units, record__client__branch_id__in=units)


def sample_for(user: Any, pk: Any) -> SampledRecord:
    require_inspect(user)
    found = samples_visible_to(user).filter(pk=_int(pk)).select_related(
        "period", "staff", "record", "record__client", "record__task", "record__performed_by").first()
    if found is None:
        raise Http404(_("No such sampled record."))
    return found


def sampled_record_for(user: Any, record_pk: Any) -> SampledRecord:
    """The latest sample of follow-up record ``record_pk``; an unsampled record is not found."""
    require_inspect(user)
    found = (samples_visible_to(user).filter(record_id=_int(record_pk)).order_by("-period__start", "-pk")
             .select_related("period", "staff", "record", "record__client", "record__task").first())
    if found is None:
        raise Http404(_("This record is not in a supervision sample."))
    return found


def findings_scope_q(user: Any) -> Q | None:
    if not getattr(user, "is_authenticated", False):
        return None
    if user_can(user, Cap.INSPECT) or user_can(user, Cap.VIEW_STATS):
        return Q(sample__period__branch_id__in=subtree_unit_ids(user))
    q = Q(staff_id=user.pk) | Q(owner_id=user.pk)
    teams = led_team_ids(user)
    if teams:
        q |= Q(staff_id__in=TeamMembership.objects.filter(team_id__in=teams).values("user_id"))
    return q


def findings_visible_to(user: Any) -> QuerySet[Finding]:
    q = findings_scope_q(user)
    if q is None:
        return Finding.objects.none()
    return Finding.objects.filter(q)


def finding_for(user: Any, pk: Any, *, close: bool = False) -> Finding:
    found = findings_visible_to(user).filter(pk=_int(pk)).select_related("sample", "staff", "owner").first()
    if found is None:
        raise Http404(_("No such finding."))
    if close and not (user_can(user, Cap.INSPECT) or found.owner_id == user.pk):
        raise PermissionDenied(_("Only the owner of the action or an inspector may close a finding."))
    return found


def _int(pk: Any) -> int:
    try:
        return int(str(pk))
    except (TypeError, ValueError):
        raise Http404(_("Not found.")) from None


# --- Training -------------------------------------------------------------------------------------


def plan_applies_to(plan: Any, staff: Any) -> bool:
    """The plan is for the staff member's role and their unit lies under the plan's branch."""
    unit = getattr(staff, "org_unit", None)
    return plan.role in staff.roles and unit is not None and unit.path.startswith(plan.branch.path)


def can_assess(user: Any, staff: Any) -> bool:
    """Inspectors and administrators of the staff member's subtree, and their team lead."""
    if user_can(user, Cap.INSPECT) or user_can(user, Cap.MANAGE_STAFF):
        return unit_in_subtree(user, staff.org_unit)
    if user_can(user, Cap.REASSIGN_TASKS):
        teams = led_team_ids(user)
        return bool(teams) and TeamMembership.objects.filter(team_id__in=teams, user_id=staff.pk).exists()
    return False


def plans_visible_to(user: Any) -> QuerySet[TrainingPlan]:
    """Plans for the user's roles over their unit; an assessor or manager also sees their subtree's."""
    if not getattr(user, "is_authenticated", False):
        return TrainingPlan.objects.none()
    q = Q(pk__in=[])
    unit = user.org_unit
    if unit is not None:
        ancestors = [int(p) for p in unit.path.strip("/").split("/") if p]
        q |= Q(role__in=list(user.roles), branch_id__in=ancestors)
    if any(user_can(user, c) for c in (Cap.INSPECT, Cap.MANAGE_STAFF, Cap.VIEW_STATS, Cap.REASSIGN_TASKS)):
        q |= Q(branch_id__in=subtree_unit_ids(user))
    return TrainingPlan.objects.filter(q)


def plan_for(user: Any, pk: Any) -> TrainingPlan:
    found = plans_visible_to(user).filter(pk=_int(pk)).select_related("bank", "branch").first()
    if found is None:
        raise Http404(_("No such training plan."))
    return found


def staff_visible_to(user: Any) -> QuerySet:
    """Staff whose training the user may see: themselves; a lead their team; inspectors, admins and
    managers their subtree."""
    from careloop.org.models import User

    if any(user_can(user, c) for c in (Cap.INSPECT, Cap.MANAGE_STAFF, Cap.VIEW_STATS)):
        return User.objects.filter(org_unit_id__in=subtree_unit_ids(user))
    q = Q(pk=user.pk)
    teams = led_team_ids(user)
    if teams:
        q |= Q(pk__in=TeamMembership.objects.filter(team_id__in=teams).values("user_id"))
    return User.objects.filter(q)
