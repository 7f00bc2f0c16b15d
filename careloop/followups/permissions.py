"""Who may see and work follow-up tasks and records (one place; every list and action uses it).

* follow-up staff (Cap.WORK_FOLLOWUPS): tasks assigned to them and their teams' queues; they call
  and record those.
* a team lead (Cap.REASSIGN_TASKS): every task of the teams they lead; reassigns; refers problems.
* an expert (Cap.CONSULT + VIEW_RESULTS): reads tasks and records of the clients in their scope,
  works none; records the consultation advice.
* customer service, auditors and managers hold no VIEW_RESULTS: no follow-up content here.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from careloop.org.permissions import Cap, user_can


def user_team_ids(user: Any) -> list[int]:
    from careloop.org.selectors import member_team_ids

    return member_team_ids(user)


def led_team_ids(user: Any) -> list[int]:
    from careloop.org.selectors import led_team_ids as _led

    return _led(user)


def task_scope_q(user: Any) -> Q | None:
    """A filter of the tasks `user` may read, or None when they may read none."""
    if not user_can(user, Cap.VIEW_RESULTS):
        return None
    if user_can(user, Cap.WORK_FOLLOWUPS):
        q = Q(assignee_id=user.pk)
        teams = sorted(set(user_team_ids(user)) | set(led_team_ids(user)))
        if teams:
            q |= Q(team_id__in=teams)
        return q
    if user_can(user, Cap.CONSULT):
        from careloop.clients.selectors import clients_visible_to

        return Q(client_id__in=clients_visible_to(user).values("pk"))
    return None


def task_client_ids(user: Any) -> list[QuerySet]:
    """Ids of the clients with open tasks assigned to `user` or queued for their teams (clients' scope registry)."""
    from careloop.followups.models import OPEN_STATUSES, FollowupTask

    teams = sorted(set(user_team_ids(user)) | set(led_team_ids(user)))
    open_tasks = FollowupTask.objects.filter(status__in=OPEN_STATUSES).order_by()
    sets = [open_tasks.filter(assignee_id=user.pk).values("client_id")]
    if teams:
        sets.append(open_tasks.filter(team_id__in=teams).values("client_id"))
    return sets


def tasks_visible_to(user: Any) -> QuerySet:
    from careloop.followups.models import FollowupTask

    q = task_scope_q(user)
    if q is None:
        return FollowupTask.objects.none()
    return FollowupTask.objects.filter(q)


def records_visible_to(user: Any) -> QuerySet:
    from careloop.followups.models import FollowupRecord

    q = task_scope_q(user)
    if q is None:
        return FollowupRecord.objects.none()
    return FollowupRecord.objects.filter(task__in=tasks_visible_to(user).values("pk"))


def can_view_task(user: Any, task: Any) -> bool:
    return tasks_visible_to(user).filter(pk=task.pk).exists()


def is_lead_for(user: Any, task: Any) -> bool:
    return (
        user_can(user, Cap.REASSIGN_TASKS)
        and task.team_id is not None
        and task.team_id in led_team_ids(user)
    )


def can_work_task(user: Any, task: Any) -> bool:
    """Place calls and write the record: the assignee, a member of the task's team, or its lead."""
    if not user_can(user, Cap.WORK_FOLLOWUPS):
        return False
    if task.assignee_id == user.pk:
        return True
    return task.team_id is not None and (task.team_id in user_team_ids(user) or task.team_id in led_team_ids(user))


def can_reassign(user: Any, task: Any) -> bool:
    return is_lead_for(user, task)


def task_for(user: Any, pk: Any, *, work: bool = False) -> Any:
    """The task when `user` may see it (and work it, with work=True); else 404 / 403."""
    try:
        pk_int = int(str(pk))
    except (TypeError, ValueError):
        raise Http404(_("No such follow-up.")) from None
    if task_scope_q(user) is None:
        raise PermissionDenied(_("Your role does not allow opening follow-ups."))
    task = tasks_visible_to(user).select_related("client", "rule", "encounter").filter(pk=pk_int).first()
    if task is None:
        raise Http404(_("No such follow-up."))
    if work and not can_work_task(user, task):
        raise PermissionDenied(_("You may not work this follow-up."))
    return task


def require_manage_rules(user: Any) -> None:
    if not user_can(user, Cap.MANAGE_RULES):
        raise PermissionDenied(_("Only administrators change follow-up rules."))


def require(user: Any, cap: Cap, message: str = "") -> None:
    """Refuse (403) unless `user` holds `cap`: the one capability check of the follow-up services."""
    if not user_can(user, cap):
        raise PermissionDenied(message or _("Your role does not allow this."))


# --- encounters ----------------------------------------------------------------------------------

ENCOUNTER_CAPS = (Cap.WORK_FOLLOWUPS, Cap.IMPORT_RESULTS, Cap.CREATE_CLIENT, Cap.CONSULT)


def can_record_encounters(user: Any) -> bool:
    return any(user_can(user, cap) for cap in ENCOUNTER_CAPS)


def encounters_visible_to(user: Any) -> QuerySet:
    """Encounters carry health status: reading them needs VIEW_RESULTS (SEC-1), even for roles that may record
    one (customer service and the administrator record encounters but read contact details only)."""
    from careloop.clients.selectors import clients_visible_to
    from careloop.followups.models import Encounter

    if not user_can(user, Cap.VIEW_RESULTS):
        return Encounter.objects.none()
    return Encounter.objects.filter(client__in=clients_visible_to(user).values("pk"))


def require_encounter_write(user: Any, client: Any) -> None:
    """Record or change an encounter of `client`: a right to record encounters, in the client's branch subtree."""
    from careloop.org.selectors import subtree_unit_ids

    if user is None:
        # A job with no person behind it (the import command without --user, until it acts as a named
        # system user — the imports branch): the job's own door checked what it may do.
        return
    if not can_record_encounters(user):
        raise PermissionDenied(_("Your role does not allow recording encounters."))
    if getattr(user, "org_unit_id", None) is None or client.branch_id not in subtree_unit_ids(user):
        raise PermissionDenied(_("This client is outside your part of the organisation."))
