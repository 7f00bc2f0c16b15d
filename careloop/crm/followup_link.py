"""The one place crm opens a follow-up task for the team (a no-show, a tier-A client without a manager).

Follow-up work belongs to careloop.followups: this calls its task constructor
(``followups.services.tasks.followup_task_create``), which gives the task an owner through the owner
chain (the health manager, else the branch's follow-up team and its queue) and writes its audit row.
"""

from __future__ import annotations

import datetime as dt

from careloop.clients.models import Client
from careloop.followups.models import FollowupTask
from careloop.followups.services.tasks import followup_task_create, followup_tasks_create_many
from careloop.org.models import Team, User


def _team_lead_for(client: Client) -> int | None:
    """The lead of the client's follow-up team: the health manager's team, else the nearest one of the branch."""
    team = None
    if client.health_manager_id:
        team = Team.objects.filter(kind="followup", memberships__user_id=client.health_manager_id).order_by("pk").first()
    if team is None:
        branch = client.branch
        units = [branch.pk] + [int(p) for p in str(branch.path or "").strip("/").split("/") if p.isdigit()]
        team = Team.objects.filter(kind="followup", org_unit_id__in=units).order_by("-org_unit__path", "pk").first()
    return team.lead_id if team is not None else None


def open_team_followup(*, client: Client, due_date: dt.date, reason: str, acting_user: User | None, origin: str,
                       to_lead: bool = False, window_days: int = 3, priority: int = 60) -> FollowupTask:
    """A follow-up for the client's team; ``to_lead`` puts it on the team lead's worklist."""
    return followup_task_create(
        client=client, due_date=due_date, window_end=due_date + dt.timedelta(days=window_days), reason=reason,
        acting_user=acting_user, priority=priority, assignee_id=_team_lead_for(client) if to_lead else None,
        origin=origin,
    )


def open_lead_followups_many(*, items: list[tuple[Client, str]], due_date: dt.date, acting_user: User | None, origin: str,
                             window_days: int = 3, priority: int = 60) -> list[FollowupTask]:
    """``open_team_followup(to_lead=True)`` for many (client, reason) pairs: the lead looked up once per
    health manager and branch, the tasks made by the followups batch constructor."""
    leads: dict[tuple[int | None, int], int | None] = {}
    tasks = []
    for client, reason in items:
        key = (client.health_manager_id, client.branch_id)
        if key not in leads:
            leads[key] = _team_lead_for(client)
        tasks.append(FollowupTask(client=client, encounter_id=None, rule=None, due_date=due_date,
                                  window_end=due_date + dt.timedelta(days=window_days), reason=reason,
                                  channel="phone", priority=priority, sequence=1, total=1,
                                  assignee_id=leads[key], team_id=None))
    return followup_tasks_create_many(tasks=tasks, acting_user=acting_user, origin=origin)
