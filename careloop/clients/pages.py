"""Read-only helpers for the client pages: what the client page shows, in a bounded number of queries."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext_lazy as _

from careloop.clients import timeline
from careloop.clients.models import (
    Assignment,
    Client,
    ClientStatus,
    Consent,
    ConsentPurpose,
    ContactChange,
    EnterpriseMember,
    FamilyLink,
    StatusChange,
    Tier,
)
from careloop.clients.selectors import clients_visible_to
from careloop.lib.identity import mask_address, mask_id_number, mask_mobile
from careloop.org.models import User
from careloop.org.permissions import Cap, user_can

KIND_LABELS: dict[str, Any] = {
    "archive": _("Archive"),
    "checkup": _("Checkups"),
    "visit": _("Visits"),
    "assessment": _("Assessments"),
    "followup": _("Follow-ups"),
    "message": _("Messages"),
    "complaint": _("Complaints"),
    "plan": _("Plans"),
}
# Kinds that carry health information: only for roles with Cap.VIEW_RESULTS.
HEALTH_KINDS = frozenset({"checkup", "visit", "assessment", "followup", "plan"})

CONTACT_FIELD_LABELS: dict[str, Any] = {
    "phone": _("mobile phone"),
    "phone2": _("second mobile phone"),
    "email": _("email"),
    "address": _("address"),
    "emergency_contact_name": _("emergency contact"),
    "emergency_contact_phone": _("emergency contact phone"),
    "preferred_channels": _("preferred channels"),
    "contact_hours": _("preferred contact hours"),
}


def timeline_kinds_for(user: User) -> list[tuple[str, Any]]:
    """The timeline filter choices this user may pick."""
    health = user_can(user, Cap.VIEW_RESULTS)
    return [(k, KIND_LABELS.get(k, k)) for k in timeline.KINDS if health or k not in HEALTH_KINDS]


def client_timeline(client: Client, user: User, kind: str = "") -> list[timeline.TimelineEntry]:
    """The timeline, never with health entries for a role without Cap.VIEW_RESULTS (whatever a provider does)."""
    allowed = [k for k, _label in timeline_kinds_for(user)]
    kinds = [kind] if kind in allowed else allowed
    return timeline.timeline_for(client, user, kinds=kinds)


@dataclass
class FamilyRow:
    relation: str
    relative: Client | None  # None when the relative is outside the user's scope


@dataclass
class ClientPage:
    assignments: list[Assignment]
    status_changes: list[StatusChange]
    contact_changes: list[ContactChange]
    consents: list[Consent]
    current_consents: list[tuple[Any, Consent | None]]
    memberships: list[EnterpriseMember]
    family: list[FamilyRow] = field(default_factory=list)


def client_page(client: Client, user: User) -> ClientPage:
    assignments = list(Assignment.objects.filter(client=client).select_related("staff", "assigned_by")[:50])
    status_changes = list(StatusChange.objects.filter(client=client).select_related("changed_by")[:50])
    for change in status_changes:
        choices = dict(ClientStatus.choices if change.kind == "status" else Tier.choices)
        change.kind_label = _("Status") if change.kind == "status" else _("Tier")  # type: ignore[attr-defined]
        change.old_label = choices.get(change.old, change.old)  # type: ignore[attr-defined]
        change.new_label = choices.get(change.new, change.new)  # type: ignore[attr-defined]
    contact_changes = list(ContactChange.objects.filter(client=client).select_related("changed_by")[:50])
    for contact_change in contact_changes:
        contact_change.field_label = CONTACT_FIELD_LABELS.get(contact_change.field, contact_change.field)  # type: ignore[attr-defined]
    consents = list(Consent.objects.filter(client=client).select_related("recorded_by")[:100])
    current: list[tuple[Any, Consent | None]] = []
    for purpose in ConsentPurpose:
        latest = next((c for c in consents if c.purpose == purpose.value), None)
        current.append((purpose.label, latest))
    memberships = list(EnterpriseMember.objects.filter(client=client).select_related("enterprise"))
    links = list(FamilyLink.objects.filter(client=client).select_related("relative"))
    visible = set(clients_visible_to(user).filter(pk__in=[link.relative_id for link in links])
                  .values_list("pk", flat=True)) if links else set()
    family = [FamilyRow(link.get_relation_display(), link.relative if link.relative_id in visible else None)
              for link in links]
    return ClientPage(assignments, status_changes, contact_changes, consents, current, memberships, family)


@dataclass(frozen=True)
class ContactRow:
    field: str
    label: Any
    masked: str
    has_value: bool


def contact_rows(client: Client) -> list[ContactRow]:
    """The contact facts, masked; each may be revealed in full by a role with the right."""
    values = [
        ("phone", client.phone, mask_mobile),
        ("phone2", client.phone2, mask_mobile),
        ("id_number", client.id_number, mask_id_number),
        ("address", client.address, mask_address),
        ("emergency_contact_phone", client.emergency_contact_phone, mask_mobile),
    ]
    labels = {**CONTACT_FIELD_LABELS, "id_number": _("resident ID number")}
    return [ContactRow(f, labels[f], mask(v), bool(v)) for f, v, mask in values]
