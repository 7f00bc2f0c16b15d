"""Reads about the organisation: subtrees and teams, used by every scoping decision."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from careloop.org.models import OrgUnit, TeamMembership, User


def unit_in_subtree(user: User, unit: OrgUnit | None) -> bool:
    """Is ``unit`` inside the part of the tree the user belongs to?"""
    if unit is None or user.org_unit_id is None:
        return False
    if user.org_unit_id == unit.pk:
        return True
    return unit.path.startswith(user.org_unit.path)  # type: ignore[union-attr]


def units_visible_to(user: User) -> QuerySet[OrgUnit]:
    if user.org_unit_id is None:
        return OrgUnit.objects.none()
    return OrgUnit.objects.filter(path__startswith=user.org_unit.path)  # type: ignore[union-attr]


def subtree_unit_ids(user: User) -> list[int]:
    """The ids of the units in the user's subtree (one small query, kept on the user object)."""
    cached = getattr(user, "_careloop_unit_ids", None)
    if cached is None:
        cached = sorted(units_visible_to(user).values_list("pk", flat=True))
        user._careloop_unit_ids = cached  # type: ignore[attr-defined]
    return cached


def subtree_q(user: User, field: str = "branch") -> Q:
    """A filter for rows whose ``field`` (an OrgUnit FK) lies in the user's subtree.

    A list of unit ids rather than a join on the path: the planners then use the (branch, name) index
    (bench/clients_lookup.py: surname search p95 ~1 s → ~0.1 s at 1,000,000 clients).
    """
    if user.org_unit_id is None:
        return Q(pk__in=[])
    return Q(**{f"{field}_id__in": subtree_unit_ids(user)})


def member_team_ids(user: User) -> list[int]:
    """The teams the user belongs to (kept on the user object for the request)."""
    cached = getattr(user, "_careloop_member_team_ids", None)
    if cached is None:
        cached = sorted(TeamMembership.objects.filter(user=user).values_list("team_id", flat=True))
        user._careloop_member_team_ids = cached  # type: ignore[attr-defined]
    return cached


def led_team_ids(user: User) -> list[int]:
    """The teams the user leads (kept on the user object for the request)."""
    cached = getattr(user, "_careloop_led_team_ids", None)
    if cached is None:
        cached = sorted(user.led_teams.values_list("id", flat=True))
        user._careloop_led_team_ids = cached  # type: ignore[attr-defined]
    return cached


def team_member_ids(user: User) -> list[int]:
    """The user and everyone in the teams the user belongs to or leads."""
    cached = getattr(user, "_careloop_team_ids", None)
    if cached is not None:
        return cached
    team_ids = set(member_team_ids(user)) | set(led_team_ids(user))
    members = set(TeamMembership.objects.filter(team_id__in=team_ids).values_list("user_id", flat=True))
    members.add(user.pk)
    result = sorted(members)
    user._careloop_team_ids = result  # type: ignore[attr-defined]
    return result


# --- Choosing a person ------------------------------------------------------------------------------
# Every place where one person is chosen (expert for a referral, assignee, health manager, family doctor…)
# offers a pool in its drop-down and validates the choice in its service against THE SAME pool, so that
# posting the id of someone the drop-down hides is refused (issue 10, finding 3).


def staff_pool(*, within: User, roles: Iterable[str]) -> QuerySet[User]:
    """Active staff holding one of ``roles`` whose unit lies in ``within``'s part of the tree."""
    if within.org_unit_id is None:
        return User.objects.none()
    return (User.objects.filter(is_active=True, org_unit_id__in=subtree_unit_ids(within),
                                role_grants__role__in=list(roles))
            .distinct().order_by("username"))


def team_pool(team_id: int | None) -> QuerySet[User]:
    """Active members of one team, and its lead."""
    if team_id is None:
        return User.objects.none()
    return (User.objects.filter(Q(memberships__team_id=team_id) | Q(led_teams__id=team_id), is_active=True)
            .distinct().order_by("username"))


def person_from_pool(pool: QuerySet[User], value: Any, *, field: str) -> User:
    """The person chosen (a User or an id, as posted) if ``pool`` offers them; else a ValidationError
    naming ``field``. The same answer whether the person does not exist or is outside the pool."""
    pk = value.pk if isinstance(value, User) else value
    if isinstance(pk, str) and pk.strip().isdigit():
        pk = int(pk.strip())
    person = pool.filter(pk=pk).first() if isinstance(pk, int) and not isinstance(pk, bool) and 0 < pk < 2**63 else None
    if person is None:
        raise ValidationError({field: [_("Choose someone from the list offered.")]})
    return person
