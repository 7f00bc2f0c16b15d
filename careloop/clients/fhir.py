"""FHIR R4 export of a client's record (INT-2). Apps add their resources through ``register``.

Identifiers and contact details are exported masked: the export is audited as a read, but it carries
no reason for showing numbers in full.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from django.db.models import prefetch_related_objects
from django.utils import timezone

from careloop.clients.models import Client
from careloop.org.models import User
from careloop.org.permissions import Cap, user_can

SYSTEM = "https://careloop.invalid/fhir"
ResourceProvider = Callable[[Client, User], Iterable[dict[str, Any]]]
# Readies a batch of clients for its provider: whatever it reads per client, read once for the batch
# (a list of ``prefetch_related`` lookups, or a function given the clients and the user).
Prefetch = Sequence[Any] | Callable[[list[Client], User], None]
_providers: dict[str, ResourceProvider] = {}
_prefetches: dict[str, Prefetch] = {}


def register(name: str, provider: ResourceProvider, *, prefetch: Prefetch = ()) -> None:
    """A provider reads one client's rows through the client's related managers (``client.x.all()``),
    so that a bulk export that prefetched them for a batch costs no query per client."""
    _providers[name] = provider
    _prefetches[name] = prefetch


def providers() -> list[ResourceProvider]:
    """The registered providers, in registration order (the bulk export streams through them)."""
    return list(_providers.values())


def prefetch_batch(clients: list[Client], user: User) -> None:
    """Read, for a batch of clients, everything the registered providers will read per client."""
    lookups: list[Any] = []
    for prefetch in _prefetches.values():
        if callable(prefetch):
            prefetch(clients, user)
        else:
            lookups.extend(prefetch)
    if lookups:
        prefetch_related_objects(clients, *lookups)


ID_TYPE = {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0203", "code": "NNCHN",
                       "display": "National Person Identifier where the xxx is the ISO table 3166 3-character (alphabetic) country code"}],
           "text": "居民身份证号（已遮蔽）"}


def patient(client: Client, user: User | None = None) -> dict[str, Any]:
    """The Patient resource. Contact details and the resident ID number go only to callers with
    ``view_contact``, and then masked: showing them in full needs a reveal with a reason, which an
    export does not carry."""
    may_contact = user is None or user_can(user, Cap.VIEW_CONTACT)
    family, given = client.name[:1], client.name[1:]
    resource: dict[str, Any] = {
        "resourceType": "Patient",
        "id": str(client.pk),
        "identifier": [{"system": f"{SYSTEM}/sid/client", "value": str(client.pk)}],
        "active": client.status == "active",
        "name": [{"use": "official", "text": client.name, "family": family, "given": [given] if given else []}],
        "gender": client.sex,
        "birthDate": client.birth_date.isoformat(),
        "managingOrganization": {"reference": f"Organization/{client.branch_id}", "display": client.branch.name},
    }
    if client.id_number and may_contact:
        resource["identifier"].append({"use": "official", "type": ID_TYPE,
                                       "system": f"{SYSTEM}/sid/cn-resident-id-masked", "value": client.id_number_masked})
    telecom = []
    if client.phone and may_contact:
        telecom.append({"system": "phone", "use": "mobile", "value": client.phone_masked})
    if client.email and may_contact:
        telecom.append({"system": "email", "value": client.email})
    if telecom:
        resource["telecom"] = telecom
    if client.status == "deceased":
        resource["deceasedBoolean"] = True
    return resource


def _consents(client: Client, user: User) -> Iterable[dict[str, Any]]:
    latest: dict[str, Any] = {}
    for consent in sorted(client.consents.all(), key=lambda c: (c.given_at, c.pk), reverse=True):
        latest.setdefault(consent.purpose, consent)
    for consent in latest.values():
        yield {
            "resourceType": "Consent",
            "id": f"consent-{consent.pk}",
            "status": "active" if consent.granted else "inactive",
            "scope": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/consentscope", "code": "patient-privacy"}]},
            "category": [{"coding": [{"system": f"{SYSTEM}/consent-purpose", "code": consent.purpose}]}],
            "patient": {"reference": f"Patient/{client.pk}"},
            "dateTime": consent.given_at.isoformat(),
            "policy": [{"uri": f"{SYSTEM}/privacy-notice/{consent.version}"}],
            "provision": {"type": "permit" if consent.granted else "deny"},
        }


register("clients.consent", _consents, prefetch=["consents"])


def bundle_for(client: Client, user: User) -> dict[str, Any]:
    resources = [patient(client, user)]
    for provider in _providers.values():
        resources.extend(provider(client, user))
    return {
        "resourceType": "Bundle",
        "id": str(uuid.uuid4()),
        "type": "collection",
        "timestamp": timezone.now().isoformat(),
        "entry": [{"fullUrl": f"urn:careloop:{r['resourceType']}/{r['id']}", "resource": r} for r in resources],
    }
