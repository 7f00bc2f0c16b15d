"""FHIR R4 export of a client's record (INT-2). Apps add their resources through ``register``.

Identifiers and contact details are exported masked: the export is audited as a read, but it carries
no reason for showing numbers in full.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from typing import Any

from django.utils import timezone

from careloop.clients.models import Client
from careloop.org.models import User

SYSTEM = "https://careloop.invalid/fhir"
ResourceProvider = Callable[[Client, User], Iterable[dict[str, Any]]]
_providers: dict[str, ResourceProvider] = {}


def register(name: str, provider: ResourceProvider) -> None:
    _providers[name] = provider


def patient(client: Client) -> dict[str, Any]:
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
    if client.id_number:
        resource["identifier"].append({"system": f"{SYSTEM}/sid/cn-resident-id-masked", "value": client.id_number_masked})
    telecom = []
    if client.phone:
        telecom.append({"system": "phone", "use": "mobile", "value": client.phone_masked})
    if client.email:
        telecom.append({"system": "email", "value": client.email})
    if telecom:
        resource["telecom"] = telecom
    if client.status == "deceased":
        resource["deceasedBoolean"] = True
    return resource


def _consents(client: Client, user: User) -> Iterable[dict[str, Any]]:
    latest: dict[str, Any] = {}
    for consent in client.consents.order_by("-given_at", "-id"):
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


register("clients.consent", _consents)


def bundle_for(client: Client, user: User) -> dict[str, Any]:
    resources = [patient(client)]
    for provider in _providers.values():
        resources.extend(provider(client, user))
    return {
        "resourceType": "Bundle",
        "id": str(uuid.uuid4()),
        "type": "collection",
        "timestamp": timezone.now().isoformat(),
        "entry": [{"fullUrl": f"urn:careloop:{r['resourceType']}/{r['id']}", "resource": r} for r in resources],
    }
