"""The one place crm opens a follow-up task for the team (a no-show, a tier-A client without a manager).

Follow-up scheduling belongs to careloop.followups: this calls its task constructor
``followups.services.followup_task_create`` (branch ``loop``). Until that lands, the fallback below
writes the same task the way followups' own ad-hoc tasks are written on main; delete the fallback
when both are merged.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from careloop.audit.services import audit_record
from careloop.clients.models import Client
from careloop.followups import services as followup_services
from careloop.followups.models import FollowupTask
from careloop.org.models import Team


def _team_for(client: Client) -> Team | None:
    if client.health_manager_id:
        team = Team.objects.filter(kind="followup", memberships__user_id=client.health_manager_id).order_by("pk").first()
        if team is not None:
            return team
    branch = client.branch
    units = [branch.pk] + [int(p) for p in str(branch.path or "").strip("/").split("/") if p.isdigit()]
    return Team.objects.filter(kind="followup", org_unit_id__in=units).order_by("-org_unit__path", "pk").first()


def open_team_followup(*, client: Client, due_date: dt.date, reason: str, acting_user: Any, origin: str,
                       to_lead: bool = False, window_days: int = 3, priority: int = 60) -> FollowupTask:
    """A follow-up for the client's team; ``to_lead`` puts it on the team lead's worklist."""
    team = _team_for(client)
    assignee_id = team.lead_id if (to_lead and team is not None) else (client.health_manager_id or None)
    create = getattr(followup_services, "followup_task_create", None)
    if create is not None:
        task: FollowupTask = create(
            client=client, due_date=due_date, window_end=due_date + dt.timedelta(days=window_days), reason=reason,
            acting_user=acting_user, priority=priority, assignee_id=assignee_id,
            team_id=team.pk if team is not None else None, origin=origin,
        )
        return task
    task = FollowupTask.objects.create(
        client=client, encounter=None, rule=None, due_date=due_date,
        window_end=due_date + dt.timedelta(days=window_days), reason=reason[:300], priority=priority,
        assignee_id=assignee_id, team=team,
    )
    audit_record(actor=acting_user, action="followup_task.create", obj=task, client=client,
                 detail={"origin": origin, "due": due_date.isoformat(), "assignee": assignee_id})
    return task
