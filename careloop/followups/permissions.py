"""Who may see and work follow-up tasks and records (one place; every list and action uses it).

* follow-up staff: tasks assigned to them and their team's queue; they work (call, record) those.
* a team lead: everything of the teams they lead; reassigns; refers problems to experts.
* an expert: reads tasks and records of clients in their scope (they see results), works none.
* administrators: everything in their subtree.
* customer service, auditors and managers: no follow-up content (contact details, the audit trail
  and statistics respectively are theirs elsewhere).
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

WORKER_ROLES = {"followup", "lead"}
READER_ROLES = {"followup", "lead", "expert", "admin"}


def _roles(user: Any) -> set[str]:
    if user is None or not getattr(user, "is_authenticated", False):
        return set()
    return set(getattr(user, "roles", set()) or set())


def user_team_ids(user: Any) -> list[int]:
    from careloop.org.models import TeamMembership

    return list(TeamMembership.objects.filter(user=user).values_list("team_id", flat=True))


def led_team_ids(user: Any) -> list[int]:
    from careloop.org.models import Team

    return list(Team.objects.filter(lead=user).values_list("pk", flat=True))


def task_scope_q(user: Any) -> Q | None:
    """A filter of the tasks `user` may read, or None when they may read none."""
    roles = _roles(user)
    if not roles & READER_ROLES:
        return None
    from careloop.clients.selectors import clients_visible_to

    clients = clients_visible_to(user).values("pk")
    if "admin" in roles or "expert" in roles:
        return Q(client_id__in=clients)
    q = Q(assignee_id=user.pk)
    team_ids = user_team_ids(user)
    if "lead" in roles:
        team_ids += led_team_ids(user)
    if team_ids:
        q |= Q(team_id__in=team_ids)
    return q


def tasks_visible_to(user: Any) -> QuerySet:
    from careloop.followups.models import FollowupTask

    q = task_scope_q(user)
    if q is None:
        return FollowupTask.objects.none()
    return FollowupTask.objects.filter(q)


def can_view_task(user: Any, task: Any) -> bool:
    return tasks_visible_to(user).filter(pk=task.pk).exists()


def is_lead_for(user: Any, task: Any) -> bool:
    roles = _roles(user)
    if "admin" in roles:
        return can_view_task(user, task)
    return "lead" in roles and task.team_id is not None and task.team_id in led_team_ids(user)


def can_work_task(user: Any, task: Any, *, closed_ok: bool = False) -> bool:
    """Place calls and write the record: the assignee, a member of the task's team, or its lead."""
    roles = _roles(user)
    if not roles & WORKER_ROLES:
        return False
    if task.assignee_id == user.pk:
        return True
    if task.team_id is not None and (task.team_id in user_team_ids(user) or task.team_id in led_team_ids(user)):
        return True
    return False


def can_reassign(user: Any, task: Any) -> bool:
    return is_lead_for(user, task)


def task_for(user: Any, pk: int, *, work: bool = False) -> Any:
    """The task when `user` may see it (and work it, with work=True); else 404/403."""
    from django.core.exceptions import PermissionDenied
    from django.http import Http404

    from careloop.followups.models import FollowupTask

    task = tasks_visible_to(user).select_related("client", "rule", "encounter").filter(pk=pk).first()
    if task is None:
        if FollowupTask.objects.filter(pk=pk).exists() and _roles(user) & READER_ROLES:
            raise PermissionDenied
        raise Http404
    if work and not can_work_task(user, task):
        raise PermissionDenied
    return task
