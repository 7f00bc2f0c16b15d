"""Who may do what with checkups and imports: one helper per object type, used by views, API and services.

Each helper returns the object (or a scoped queryset) or refuses: 404 outside the user's scope,
403 without the capability.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from careloop.checkups import selectors
from careloop.checkups.models import Checkup, ImportBatch
from careloop.clients.selectors import clients_visible_to
from careloop.org.models import OrgUnit, User
from careloop.org.permissions import Cap, user_can
from careloop.org.selectors import unit_in_subtree


def require(user: Any, cap: Cap) -> None:
    """Refuse (403) unless ``user`` holds ``cap``. No user at all is refused too: every write has an actor."""
    if user is None or not user_can(user, cap):
        raise PermissionDenied(_("Your role does not allow this."))


def checkups_visible_to(user: User) -> QuerySet[Checkup]:
    """Checkups of the clients ``user`` may see; 403 without the right to read results."""
    require(user, Cap.VIEW_RESULTS)
    return Checkup.objects.filter(client__in=clients_visible_to(user))


def batch_for(user: User, pk: object) -> ImportBatch:
    """The import batch ``pk`` if ``user`` may import and sees it (own batches and those of the subtree)."""
    require(user, Cap.IMPORT_RESULTS)
    try:
        pk_int = int(str(pk))
    except (TypeError, ValueError):
        raise Http404(_("No such import.")) from None
    batch = selectors.batches_visible_to(user).filter(pk=pk_int).first()
    if batch is None:
        raise Http404(_("No such import."))
    return batch


def import_branch_for(user: User, branch: OrgUnit | None) -> OrgUnit:
    """The branch an import by ``user`` belongs to: the one chosen (inside the user's subtree) or the user's own."""
    require(user, Cap.IMPORT_RESULTS)
    branch = branch or user.org_unit
    if branch is None:
        raise PermissionDenied(_("You belong to no organisation unit; an import needs a branch."))
    if not unit_in_subtree(user, branch):
        raise PermissionDenied(_("This branch is outside your part of the organisation."))
    return branch
