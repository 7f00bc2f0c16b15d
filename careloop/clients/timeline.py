"""The client's lifelong timeline (ARC-4): every app contributes entries through a provider.

A provider is ``callable(client, user) -> Iterable[TimelineEntry]``; it must check the user's
capabilities itself (health data needs Cap.VIEW_RESULTS) and cost a bounded number of queries.
Apps register providers in their AppConfig.ready().
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.db import models
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from careloop.clients.models import Client, ClientStatus, ConsentPurpose, StatusChange
from careloop.org.models import User
from careloop.org.permissions import Cap, user_can


@dataclass(frozen=True)
class TimelineEntry:
    at: dt.datetime
    kind: str  # filter key: checkup, visit, prescription, discharge, assessment, followup, message, complaint, plan, archive
    title: str
    detail: str = ""
    url: str = ""


Provider = Callable[[Client, User], Iterable[TimelineEntry]]
_providers: dict[str, Provider] = {}

KINDS = ("archive", "checkup", "visit", "assessment", "followup", "message", "complaint", "plan")


def register(name: str, provider: Provider) -> None:
    _providers[name] = provider


def timeline_for(client: Client, user: User, *, kinds: Iterable[str] | None = None, limit: int = 200) -> list[TimelineEntry]:
    wanted = set(kinds or ())
    entries: list[TimelineEntry] = []
    for provider in _providers.values():
        for entry in provider(client, user):
            if not wanted or entry.kind in wanted:
                entries.append(entry)
    entries.sort(key=lambda e: e.at, reverse=True)
    return entries[:limit]


def _choice_label(choices: type[models.TextChoices], value: str) -> str:
    return str(choices(value).label) if value in choices.values else value


def _archive_entries(client: Client, user: User) -> Iterable[TimelineEntry]:
    yield TimelineEntry(client.created_at, "archive", _("Archive opened"))
    for change in StatusChange.objects.filter(client=client).select_related("changed_by")[:100]:
        if change.kind == "status":
            title = _("Status: %(old)s → %(new)s") % {"old": _choice_label(ClientStatus, change.old),
                                                      "new": _choice_label(ClientStatus, change.new)}
        else:
            title = _("Tier: %(old)s → %(new)s") % {"old": change.old, "new": change.new}
        yield TimelineEntry(change.changed_at, "archive", title, f"{change.reason} · {change.changed_by or ''}")
    for contact in client.contact_changes.select_related("changed_by")[:100]:
        label = capfirst(str(getattr(Client._meta.get_field(contact.field), "verbose_name", contact.field)))
        yield TimelineEntry(contact.changed_at, "archive", _("Contact details changed: %(f)s") % {"f": label},
                            str(contact.changed_by or ""))
    for assignment in client.assignments.select_related("staff")[:50]:
        yield TimelineEntry(assignment.started_at, "archive",
                            _("%(kind)s: %(name)s") % {"kind": assignment.get_kind_display(), "name": assignment.staff or "-"},
                            assignment.reason)
    if user_can(user, Cap.VIEW_CONTACT):
        for consent in client.consents.all()[:50]:
            verb = _("Consent given") if consent.granted else _("Consent withdrawn")
            yield TimelineEntry(consent.given_at, "archive", f"{verb}: {ConsentPurpose(consent.purpose).label}",
                                consent.get_method_display())


register("clients.archive", _archive_entries)
