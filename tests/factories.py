"""Builders for tests: small, explicit, valid by default."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

from careloop.clients.models import Client
from careloop.clients.services import id_number_index, phone_index
from careloop.lib.identity import make_id_number
from careloop.org.models import OrgUnit, RoleGrant, Team, TeamMembership, UnitKind, User

_seq = itertools.count(1)
PASSWORD = "correct-horse-battery-staple-42"


def make_unit(name: str, kind: str = UnitKind.BRANCH, parent: OrgUnit | None = None, code: str | None = None) -> OrgUnit:
    from careloop.org.services import orgunit_create_raw

    return orgunit_create_raw(name=name, kind=kind, parent=parent, code=code or f"u{next(_seq)}")


def make_user(username: str, *, roles: list[str] | tuple[str, ...] = (), unit: OrgUnit | None = None,
              password: str = PASSWORD, **extra: Any) -> User:
    user = User.objects.create_user(username=username, password=password, org_unit=unit, **extra)
    RoleGrant.objects.bulk_create([RoleGrant(user=user, role=r) for r in roles])
    return user


def make_team(name: str, unit: OrgUnit, *, lead: User | None = None, members: list[User] = (), kind: str = "followup") -> Team:  # type: ignore[assignment]
    team = Team.objects.create(name=name, org_unit=unit, lead=lead, kind=kind)
    for member in {*members, *([lead] if lead else [])}:
        TeamMembership.objects.create(team=team, user=member)
    return team


def make_client(*, branch: OrgUnit, name: str | None = None, sex: str = "female", birth_date: dt.date = dt.date(1970, 5, 17),
                phone: str | None = None, id_number: str | None = None, **extra: Any) -> Client:
    """A client written directly (no audit row): for arranging tests, not for testing services."""
    n = next(_seq)
    if id_number is None:
        id_number = make_id_number("110105", birth_date, n, sex)
    if phone is None:
        phone = f"139{n:08d}"
    client = Client(name=name or f"测试{n}", sex=sex, birth_date=birth_date, branch=branch, phone=phone,
                    id_number=id_number, phone_hash=phone_index(phone), id_number_hash=id_number_index(id_number),
                    **extra)
    client.save()
    return client
