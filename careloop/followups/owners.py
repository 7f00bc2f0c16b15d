"""Who owns a follow-up from the moment it exists (SPEC FU-10; issue 9 "no orphan work").

The owner chain, in order:

1. the client's health manager (with her follow-up team, whose lead may reassign);
2. else a member of the follow-up teams of the client's branch (the nearest unit up the tree that has
   any; all of that unit's follow-up teams share the work), the least loaded on that day, within each
   member's daily capacity;
3. else — nobody free, or nobody in the teams — a team's "unassigned" queue (assignee empty, team
   set), which its lead sees on the worklist and hands out; the shortest of the branch's teams' queues,
   so the overflow is shared among the leads;
4. else, when the branch has no follow-up team at all, the queue of the nearest team with a lead,
   else a lead of the branch (or above) in person, else the first follow-up team of the organisation.

A chain is built once per batch: teams, members and capacities are loaded once and reused, and
the day's load is counted once per (person, day) and then kept in memory. A task due today or
already overdue (a historical import) lands on today's worklist, so it counts against today's
capacity together with everything open and due by today; a future day counts the tasks due that day.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db.models import Count

from careloop.followups import policy
from careloop.followups.models import OPEN_STATUSES, FollowupTask


def _unit_chain(branch: Any) -> list[int]:
    """The unit and every unit above it, nearest first."""
    above = [int(p) for p in str(getattr(branch, "path", "") or "").strip("/").split("/") if p.isdigit()]
    chain = [branch.pk, *reversed(above)]
    seen: set[int] = set()
    return [u for u in chain if not (u in seen or seen.add(u))]  # type: ignore[func-returns-value]


class OwnerChain:
    """Assign owners to many tasks with a handful of queries (one chain per batch)."""

    def __init__(self, *, today: date | None = None) -> None:
        from django.utils import timezone

        self._today = today or timezone.localdate()
        self._load: dict[tuple[int, date], int] = {}
        self._branch_team: dict[int, int | None] = {}
        self._branch_teams: dict[int, list[int]] = {}
        self._queued: dict[int, int] = {}  # open tasks in each team's unassigned queue
        self._manager_team: dict[int, int | None] = {}
        self._members: dict[int, list[int]] = {}
        self._capacity: dict[int, int] = {}
        self._fallback: dict[int, tuple[int | None, int | None]] = {}

    # --- loading (once per batch) ------------------------------------------------------------------

    def preload_managers(self, user_ids: set[int] | list[int]) -> None:
        """The follow-up team of each health manager, in one query for the whole batch."""
        from careloop.org.models import TeamMembership

        missing = {u for u in user_ids if u and u not in self._manager_team}
        if not missing:
            return
        for user_id in missing:
            self._manager_team[user_id] = None
        rows = (
            TeamMembership.objects.filter(user_id__in=missing, team__kind="followup")
            .order_by("-team_id")
            .values_list("user_id", "team_id")
        )
        for user_id, team_id in rows:  # descending: the lowest team id wins, as before
            self._manager_team[user_id] = team_id

    def manager_team_id(self, user_id: int) -> int | None:
        if user_id not in self._manager_team:
            self.preload_managers([user_id])
        return self._manager_team[user_id]

    def branch_team_ids(self, branch: Any) -> list[int]:
        """The follow-up teams of the nearest unit up from the branch that has any, lowest id first."""
        if branch.pk not in self._branch_teams:
            from careloop.org.models import Team

            units = _unit_chain(branch)
            by_unit: dict[int, list[int]] = {}
            for unit_id, team_id in (Team.objects.filter(kind="followup", org_unit_id__in=units)
                                     .order_by("pk").values_list("org_unit_id", "pk")):
                by_unit.setdefault(unit_id, []).append(team_id)
            self._branch_teams[branch.pk] = next((by_unit[u] for u in units if u in by_unit), [])
        return self._branch_teams[branch.pk]

    def branch_team_id(self, branch: Any) -> int | None:
        """The first follow-up team of the nearest unit up from the branch that has one."""
        if branch.pk not in self._branch_team:
            teams = self.branch_team_ids(branch)
            self._branch_team[branch.pk] = teams[0] if teams else None
        return self._branch_team[branch.pk]

    def _team_members(self, team_id: int) -> list[int]:
        if team_id not in self._members:
            from careloop.org.models import TeamMembership, User

            members = sorted(
                TeamMembership.objects.filter(team_id=team_id, user__is_active=True).values_list("user_id", flat=True)
            )
            self._members[team_id] = members
            missing = [m for m in members if m not in self._capacity]
            if missing:
                self._capacity.update(User.objects.filter(pk__in=missing).values_list("pk", "daily_capacity"))
        return self._members[team_id]

    def _count_load(self, members: list[int], due: date) -> None:
        missing = [m for m in members if (m, due) not in self._load]
        if not missing:
            return
        days = {"due_date__lte": due} if due <= self._today else {"due_date": due}  # today: the whole worklist
        counts = dict(
            FollowupTask.objects.filter(assignee_id__in=missing, status__in=OPEN_STATUSES, **days)
            .values_list("assignee_id")
            .annotate(n=Count("id"))
            .values_list("assignee_id", "n")
        )
        for m in missing:
            self._load[(m, due)] = counts.get(m, 0)

    def _leads_fallback(self, branch: Any) -> tuple[int | None, int | None]:
        """No follow-up team above the branch: the queue of a team with a lead, else a lead in person."""
        if branch.pk not in self._fallback:
            from careloop.org.models import Role, Team, User

            units = _unit_chain(branch)
            teams = dict(
                Team.objects.filter(org_unit_id__in=units, lead__isnull=False)
                .order_by("-pk").values_list("org_unit_id", "pk")
            )
            team_id = next((teams[u] for u in units if u in teams), None)
            owner: tuple[int | None, int | None] = (None, team_id)
            if team_id is None:
                leads = dict(
                    User.objects.filter(role_grants__role=Role.LEAD, org_unit_id__in=units, is_active=True)
                    .order_by("-pk").values_list("org_unit_id", "pk")
                )
                lead_id = next((leads[u] for u in units if u in leads), None)
                if lead_id is not None:
                    owner = (lead_id, None)
                else:
                    any_team = (
                        Team.objects.filter(kind="followup", lead__isnull=False).order_by("pk")
                        .values_list("pk", flat=True).first()
                    )
                    owner = (None, any_team)
            self._fallback[branch.pk] = owner
        return self._fallback[branch.pk]

    # --- the chain ---------------------------------------------------------------------------------

    def pick(self, client: Any, due: date) -> tuple[int | None, int | None]:
        """(assignee id, team id) for a task of `client` due on `due`; never both None while a lead exists."""
        manager_id = getattr(client, "health_manager_id", None)
        if manager_id:
            return manager_id, self.manager_team_id(manager_id) or self.branch_team_id(client.branch)
        teams = self.branch_team_ids(client.branch)
        if not teams:
            return self._leads_fallback(client.branch)
        member_team: dict[int, int] = {}
        for team_id in teams:
            for member in self._team_members(team_id):
                member_team.setdefault(member, team_id)  # in two of the branch's teams: the first
        if member_team:
            due = max(due, self._today)  # overdue on arrival: it is on today's worklist
            members = sorted(member_team)
            self._count_load(members, due)
            free = [m for m in members if self._load[(m, due)] < self._capacity.get(m, policy.default_daily_capacity())]
            if free:  # the least loaded of those with room that day
                best = min(free, key=lambda m: (self._load[(m, due)], m))
                self._load[(best, due)] += 1
                return best, member_team[best]
        # Nobody free (or nobody in the teams): the shortest unassigned queue among the branch's teams, for its
        # lead to hand out (counted once per chain, then kept in memory).
        missing = [t for t in teams if t not in self._queued]
        if missing:
            counts = dict(
                FollowupTask.objects.filter(team_id__in=missing, assignee__isnull=True, status__in=OPEN_STATUSES)
                .values_list("team_id").annotate(n=Count("id")).values_list("team_id", "n")
            )
            self._queued.update({t: counts.get(t, 0) for t in missing})
        queue = min(teams, key=lambda t: (self._queued[t], t))
        self._queued[queue] = self._queued.get(queue, 0) + 1
        return None, queue

    def complete(self, client: Any, due: date, assignee_id: int | None, team_id: int | None) -> tuple[int | None, int | None]:
        """Keep a given owner; fill in what is missing (a person without a team gets her team)."""
        if assignee_id is None and team_id is None:
            return self.pick(client, due)
        if assignee_id is not None and team_id is None:
            team_id = self.manager_team_id(assignee_id)
        return assignee_id, team_id
