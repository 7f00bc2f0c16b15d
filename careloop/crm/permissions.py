"""Who may read or write crm objects. Clients are scoped by ``clients.selectors.client_for``."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from careloop.clients.models import Client
from careloop.clients.selectors import client_for
from careloop.org.models import User
from careloop.org.permissions import Cap, user_can


def require(user: User, cap: Cap) -> None:
    if not user_can(user, cap):
        raise PermissionDenied(_("Your role does not allow this."))


def ledger_client_for(user: User, pk: object, *, write: bool = False) -> Client:
    """The client whose ledger ``user`` may read (or write): 404 outside scope, 403 without the right."""
    client = client_for(user, pk)
    if write:
        require(user, Cap.MANAGE_LEDGER)
    return client
