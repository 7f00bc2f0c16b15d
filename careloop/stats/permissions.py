"""Who sees which statistics: the manager and the auditor their subtree, a team lead his teams (STA-1)."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.utils.translation import gettext as _

from careloop.org.models import Role, User
from careloop.org.permissions import Cap, user_can
from careloop.org.selectors import led_team_ids, member_team_ids, subtree_unit_ids, team_member_ids


@dataclass(frozen=True)
class StatsScope:
    unit_ids: list[int]
    team_ids: list[int] | None = None  # None: every team of the units
    staff_ids: list[int] | None = None
    root_ids: tuple[int, ...] = ()  # the top of the subtree (for apps that take units "with their subtree")

    def q(self, *, branch: str, team: str, staff: str) -> Q:
        """The filter for rows whose branch/team/staff columns are named ``branch``, ``team``, ``staff``."""
        within = Q(**{f"{branch}__in": self.unit_ids})
        if self.team_ids is None:
            return within
        return within & (Q(**{f"{team}__in": self.team_ids}) | Q(**{f"{staff}__in": self.staff_ids or []}))

    @property
    def team_scoped(self) -> bool:
        """A team lead's (or member's) scope: only the teams' clients and tasks, not the whole branch."""
        return self.team_ids is not None

    def client_q(self, prefix: str = "") -> Q:
        """The clients of the scope: in the units, and for a team scope those whose health manager is in the
        teams (the clients a lead may open, clients.selectors). ``prefix``: the path to the client, e.g. ``client``."""
        p = f"{prefix}__" if prefix else ""
        within = Q(**{f"{p}branch_id__in": self.unit_ids})
        if self.team_ids is None:
            return within
        return within & Q(**{f"{p}health_manager_id__in": self.staff_ids or []})

    def rollup_q(self) -> Q:
        return self.q(branch="branch_id", team="team_id", staff="staff_id")

    def task_q(self) -> Q:
        return self.q(branch="client__branch_id", team="team_id", staff="assignee_id")


def stats_scope(user: User) -> StatsScope:
    """The part of the figures ``user`` may read; 403 without the right to read statistics."""
    if not user_can(user, Cap.VIEW_STATS):
        raise PermissionDenied(_("Your role does not allow reading statistics."))
    units = subtree_unit_ids(user)
    roots = (user.org_unit_id,) if user.org_unit_id is not None else ()
    if user.has_role(Role.MANAGER, Role.AUDITOR):
        return StatsScope(unit_ids=units, root_ids=roots)
    teams = sorted(set(led_team_ids(user)) | set(member_team_ids(user)))
    return StatsScope(unit_ids=units, team_ids=teams, staff_ids=team_member_ids(user), root_ids=roots)


def may_see_clients(user: User) -> bool:
    """Drill-down lists name clients only for roles that may open client records (not the auditor)."""
    return user_can(user, Cap.VIEW_CLIENTS)
