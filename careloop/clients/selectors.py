"""Which clients a staff member may see (SEC-1), and the reads the client pages need."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import connection
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from careloop.clients import access
from careloop.clients.models import Client
from careloop.clients.scope import work_client_ids
from careloop.clients.services import id_number_index, phone_index
from careloop.lib.identity import normalize_id_number, normalize_mobile
from careloop.org.models import Role, User
from careloop.org.permissions import Cap, user_can
from careloop.org.selectors import subtree_q, team_member_ids

# Roles that see every client of their part of the organisation.
SUBTREE_ROLES = (Role.EXPERT, Role.NUTRITIONIST, Role.SERVICE, Role.CLERK, Role.INSPECTOR, Role.ADMIN)


def client_scope_q(user: User) -> Q | None:
    """The filter for the clients ``user`` may open, or None when the user may open none."""
    if not user_can(user, Cap.VIEW_CLIENTS):
        return None
    if access.blocked_reason(user):
        return None
    within = subtree_q(user)
    if user.has_role(*SUBTREE_ROLES):
        return within
    # The clients the person works with, as one set of ids (see clients/scope.py for why not an OR).
    sets: list[QuerySet] = []
    own = Client.objects.order_by()
    if user.has_role(Role.FOLLOWUP, Role.LEAD):
        sets.append(own.filter(health_manager_id__in=team_member_ids(user)).values("pk"))
        # SEC-1: a follow-up nurse also sees the clients of the open work given to her or her teams.
        sets.extend(work_client_ids(user))
    if user.has_role(Role.DOCTOR):
        sets.append(own.filter(family_doctor_id=user.pk).values("pk"))
    if not sets:
        return within & Q(pk__in=[])
    first, *rest = sets
    return within & Q(pk__in=first.union(*rest, all=True) if rest else first)


def clients_visible_to(user: User) -> QuerySet[Client]:
    q = client_scope_q(user)
    if q is None:
        return Client.objects.none()
    return Client.objects.filter(q)


def client_for(user: User, pk: object, *, cap: Cap = Cap.VIEW_CLIENTS) -> Client:
    """The client with ``pk`` if ``user`` may see it and holds ``cap``; 404 when out of scope, 403 without the right."""
    try:
        pk_int = int(str(pk))
    except (TypeError, ValueError):
        raise Http404(_("No such client.")) from None
    q = client_scope_q(user)
    if q is None:
        raise PermissionDenied(access.blocked_reason(user) or _("Your role does not allow opening client records."))
    client = Client.objects.filter(q, pk=pk_int).select_related("branch", "health_manager", "family_doctor").first()
    if client is None:
        raise Http404(_("No such client."))
    if not user_can(user, cap):
        raise PermissionDenied(_("Your role does not allow this."))
    return client


def client_search(user: User, *, q: str = "", phone: str = "", id_number: str = "", status: str = "", tier: str = "",
                  branch: int | None = None) -> QuerySet[Client]:
    """Scoped search: name prefix, exact phone and exact ID number (through keyed hashes)."""
    qs = clients_visible_to(user)
    if q:
        name = q.strip()
        # The range uses the name indexes on both databases (a LIKE prefix cannot on SQLite, nor on a
        # PostgreSQL database whose collation is not "C"). Under SQLite's binary collation the range is
        # exactly the prefix; elsewhere the LIKE keeps the answer exact whatever the collation.
        qs = qs.filter(name__gte=name, name__lt=name + "\U0010ffff")
        if connection.vendor != "sqlite":
            qs = qs.filter(name__startswith=name)
    if phone or id_number:
        # Probe the keyed-hash indexes first; combined with the scope filter in one WHERE the planner
        # may drive the query through the branch index instead (seconds at a million clients).
        ids: set[int] = set()
        # One round trip per probe, unordered (the model's default order would sort the ids by name).
        if phone:
            hashed = phone_index(normalize_mobile(phone))
            ids |= set(Client.objects.filter(Q(phone_hash=hashed) | Q(phone2_hash=hashed))
                       .order_by().values_list("pk", flat=True))
        if id_number:
            found = set(Client.objects.filter(id_number_hash=id_number_index(normalize_id_number(id_number)))
                        .order_by().values_list("pk", flat=True))
            ids = (ids & found) if phone else found
        qs = qs.filter(pk__in=sorted(ids))
    if status:
        qs = qs.filter(status=status)
    if tier:
        qs = qs.filter(tier=tier)
    if branch:
        qs = qs.filter(branch_id=branch)
    return qs
