"""Writes to the organisation: units, staff, roles, teams."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from careloop.audit.services import audit_record
from careloop.org.models import OrgUnit, RoleGrant, Team, TeamMembership, UnitKind, User
from careloop.org.permissions import Cap, user_can

ALLOWED_PARENT = {UnitKind.HQ: None, UnitKind.BRANCH: UnitKind.HQ, UnitKind.SITE: UnitKind.BRANCH}


def orgunit_create_raw(*, name: str, kind: str, parent: OrgUnit | None, code: str) -> OrgUnit:
    """Create a unit and its materialised path (used by the audited service, by the demo and by tests)."""
    errors: dict[str, list[str]] = {}
    if kind not in UnitKind.values:
        errors["kind"] = [_("Kind: must be one of: %(v)s") % {"v": ", ".join(UnitKind.values)}]
    elif (parent.kind if parent else None) != ALLOWED_PARENT[UnitKind(kind)]:
        errors["parent"] = [_("Parent: a %(kind)s must sit under a %(parent)s")
                            % {"kind": UnitKind(kind).label, "parent": ALLOWED_PARENT[UnitKind(kind)] or "-"}]
    if not (name or "").strip():
        errors["name"] = [_("Name: is required")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        unit = OrgUnit.objects.create(name=name.strip(), kind=kind, parent=parent, code=code, path="")
        unit.path = f"{parent.path if parent else '/'}{unit.pk}/"
        unit.save(update_fields=["path"])
    return unit


@transaction.atomic
def orgunit_create(*, acting_user: User, name: str, kind: str, parent: OrgUnit | None, code: str) -> OrgUnit:
    if not user_can(acting_user, Cap.MANAGE_STAFF):
        raise PermissionDenied(_("Your role does not allow this."))
    unit = orgunit_create_raw(name=name, kind=kind, parent=parent, code=code)
    audit_record(actor=acting_user, action="org.unit.create", obj=unit)
    return unit


@transaction.atomic
def staff_set_roles(*, acting_user: User, user: User, roles: list[str]) -> User:
    if not user_can(acting_user, Cap.MANAGE_STAFF):
        raise PermissionDenied(_("Your role does not allow this."))
    from careloop.org.models import Role

    bad = [r for r in roles if r not in Role.values]
    if bad:
        raise ValidationError({"roles": [_("Roles: unknown role %(r)s") % {"r": ", ".join(bad)}]})
    RoleGrant.objects.filter(user=user).exclude(role__in=roles).delete()
    existing = set(RoleGrant.objects.filter(user=user).values_list("role", flat=True))
    RoleGrant.objects.bulk_create([RoleGrant(user=user, role=r) for r in roles if r not in existing])
    user.__dict__.pop("roles", None)
    audit_record(actor=acting_user, action="org.staff.roles", obj=user, detail={"roles": sorted(roles)})
    return user


@transaction.atomic
def team_add_member(*, acting_user: User, team: Team, user: User) -> TeamMembership:
    if not user_can(acting_user, Cap.MANAGE_STAFF):
        raise PermissionDenied(_("Your role does not allow this."))
    membership, _created = TeamMembership.objects.get_or_create(team=team, user=user)
    audit_record(actor=acting_user, action="org.team.member.add", obj=team, detail={"user": user.pk})
    return membership
