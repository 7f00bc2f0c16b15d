"""Who sees which ticket and survey. One helper per object type: returns it or refuses (404 outside scope).

- Customer service (Cap.HANDLE_TICKETS) sees the tickets of its subtree, except a complaint that names
  that very person: a complaint naming a staff member goes to that person's lead, not to the person.
- A team lead sees the tickets naming a member of a team he or she leads.
- The manager (Cap.APPROVE_REWARDS) sees the commendations of the subtree, to approve them.
- Whoever a ticket was escalated to sees it.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from careloop.org.models import TeamMembership, User
from careloop.org.permissions import Cap, user_can
from careloop.org.selectors import led_team_ids, subtree_q

from .models import Survey, Ticket, TicketKind


def ticket_scope_q(user: User) -> Q:
    scope = Q(escalated_to_id=user.pk)
    if user_can(user, Cap.HANDLE_TICKETS):
        scope |= subtree_q(user) & ~Q(kind=TicketKind.COMPLAINT, staff_id=user.pk)
    led = led_team_ids(user)
    if led:
        members = TeamMembership.objects.filter(team_id__in=led).exclude(user_id=user.pk).values("user_id")
        scope |= Q(staff_id__in=members)
    if user_can(user, Cap.APPROVE_REWARDS):
        scope |= subtree_q(user) & Q(kind=TicketKind.COMMENDATION)
    return scope


def tickets_visible_to(user: User) -> QuerySet[Ticket]:
    if not getattr(user, "is_authenticated", False):
        return Ticket.objects.none()
    return Ticket.objects.filter(ticket_scope_q(user))


def ticket_for(user: User, pk: object, *, cap: Cap | None = None) -> Ticket:
    """The ticket if ``user`` may see it (404 otherwise) and holds ``cap`` (403 otherwise)."""
    try:
        pk_int = int(str(pk))
    except (TypeError, ValueError):
        raise Http404(_("No such ticket.")) from None
    ticket = (tickets_visible_to(user).filter(pk=pk_int)
              .select_related("client", "staff", "assignee", "branch", "answered_by", "escalated_to",
                              "approved_by", "created_by").first())
    if ticket is None:
        raise Http404(_("No such ticket."))
    if cap is not None and not user_can(user, cap):
        raise PermissionDenied(_("Your role does not allow this."))
    return ticket


def require(user: User, cap: Cap) -> None:
    if not user_can(user, cap):
        raise PermissionDenied(_("Your role does not allow this."))


def surveys_visible_to(user: User) -> QuerySet[Survey]:
    """Survey answers: customer service and the manager, within their subtree."""
    if not (user_can(user, Cap.HANDLE_TICKETS) or user_can(user, Cap.VIEW_STATS)):
        return Survey.objects.none()
    return Survey.objects.filter(subtree_q(user))
