"""Who may do what with monitoring plans and logs (one helper per object type)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _

from careloop.chronic.models import HealthPlan, MonitoringLog, MonitoringPlan, PlanAdjustment
from careloop.clients.models import Client
from careloop.clients.selectors import client_for, clients_visible_to
from careloop.org.permissions import Cap, user_can

# Staff who keep a client's monitoring: the follow-up nurses and leads, the family doctor, the experts.
WRITE_CAPS = (Cap.WORK_FOLLOWUPS, Cap.CONSULT)


def can_write(user: Any) -> bool:
    return any(user_can(user, c) for c in WRITE_CAPS)


def client_for_monitoring(user: Any, pk: object, *, write: bool = False) -> Client:
    """The client in scope with health-data rights (404 out of scope, 403 without the right)."""
    client = client_for(user, pk, cap=Cap.VIEW_RESULTS)
    if write and not can_write(user):
        raise PermissionDenied(_("Your role does not allow recording monitoring."))
    return client


def plan_for(user: Any, pk: object) -> MonitoringPlan:
    if not user_can(user, Cap.VIEW_RESULTS):
        raise PermissionDenied(_("Your role does not allow this."))
    plan = MonitoringPlan.objects.filter(pk=int(str(pk)), client__in=clients_visible_to(user)).first()
    if plan is None:
        raise Http404(_("No such monitoring plan."))
    return plan


def log_for(user: Any, pk: object) -> MonitoringLog:
    if not user_can(user, Cap.VIEW_RESULTS):
        raise PermissionDenied(_("Your role does not allow this."))
    log = MonitoringLog.objects.filter(pk=int(str(pk)), client__in=clients_visible_to(user)).first()
    if log is None:
        raise Http404(_("No such monitoring log."))
    return log


def health_plan_for(user: Any, pk: object) -> HealthPlan:
    if not user_can(user, Cap.VIEW_RESULTS):
        raise PermissionDenied(_("Your role does not allow this."))
    plan = HealthPlan.objects.filter(pk=int(str(pk)), client__in=clients_visible_to(user)).select_related(
        "client").first()
    if plan is None:
        raise Http404(_("No such health plan."))
    return plan


def adjustment_for(user: Any, pk: object) -> PlanAdjustment:
    if not user_can(user, Cap.VIEW_RESULTS):
        raise PermissionDenied(_("Your role does not allow this."))
    adj = PlanAdjustment.objects.filter(pk=int(str(pk)), plan__client__in=clients_visible_to(user)).select_related(
        "plan__client", "next_plan", "requested_by", "reviewer").first()
    if adj is None:
        raise Http404(_("No such plan adjustment."))
    return adj
