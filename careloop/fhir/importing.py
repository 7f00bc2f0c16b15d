"""FHIR R4 transaction Bundles in (INT-1): Patient, Encounter, Appointment, Observation/DiagnosticReport.

All or nothing per Bundle (one transaction), idempotent by identifier (``ImportedIdentifier``; a resident
ID number matches its client as on entry), duplicates refused as on entry (``client_create``), every
error named by its element path (``entry[3].resource.valueQuantity.unit``). Checkup results go through
the checkups importer (``careloop.checkups.services.results_import``), not a second copy of it.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from careloop.audit.services import audit_record
from careloop.checkups.readers import ID_NUMBER_SYSTEMS
from careloop.clients.fhir import SYSTEM
from careloop.clients.models import Client
from careloop.clients.selectors import clients_visible_to
from careloop.fhir.models import ImportedIdentifier
from careloop.lib.identity import IdentityError, parse_id_number
from careloop.org.models import OrgUnit, User
from careloop.org.permissions import Cap, user_can

SUPPORTED = ("Patient", "Encounter", "Appointment", "DiagnosticReport", "Observation")
CLIENT_SID = f"{SYSTEM}/sid/client"
CLIENT_FIELD_PATH = {"name": "name", "sex": "gender", "birth_date": "birthDate", "id_number": "identifier",
                     "phone": "telecom", "branch": "managingOrganization", "__all__": ""}


class BundleErrors:
    def __init__(self) -> None:
        self.errors: dict[str, list[str]] = {}

    def add(self, path: str, message: str) -> None:
        self.errors.setdefault(path, []).append(message)

    def raise_if_any(self) -> None:
        if self.errors:
            raise ValidationError(self.errors)


def _loc_path(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out


def _validate_structure(bundle: Any, errors: BundleErrors) -> list[dict[str, Any]]:
    from fhir.resources.R4B import get_fhir_model_class
    from pydantic import ValidationError as PydanticError

    if not isinstance(bundle, dict) or bundle.get("resourceType") != "Bundle":
        errors.add("resourceType", _("a FHIR Bundle is required"))
        errors.raise_if_any()
    if bundle.get("type") != "transaction":
        errors.add("type", _("must be \"transaction\" (all or nothing per Bundle)"))
    entries = bundle.get("entry")
    if not isinstance(entries, list) or not entries:
        errors.add("entry", _("must be a non-empty list"))
        errors.raise_if_any()
    for index, entry in enumerate(entries):
        base = f"entry[{index}].resource"
        resource = entry.get("resource") if isinstance(entry, dict) else None
        if not isinstance(resource, dict):
            errors.add(base, _("is required"))
            continue
        kind = resource.get("resourceType")
        if kind not in SUPPORTED:
            errors.add(f"{base}.resourceType", _("must be one of: %(values)s") % {"values": ", ".join(SUPPORTED)})
            continue
        try:
            get_fhir_model_class(kind).model_validate(resource)
        except PydanticError as exc:
            for problem in exc.errors():
                loc = tuple(p for p in problem.get("loc", ()) if p != kind)
                errors.add(base + _loc_path(loc), str(problem.get("msg", "")))
    errors.raise_if_any()
    return entries


def _identifiers(resource: dict[str, Any]) -> list[tuple[str, str]]:
    found = resource.get("identifier") or []
    if isinstance(found, dict):
        found = [found]
    return [(str(i.get("system") or ""), str(i.get("value") or "")) for i in found if i.get("system") and i.get("value")]


def _known(kind: str, resource: dict[str, Any]) -> int | None:
    for system, value in _identifiers(resource):
        row = ImportedIdentifier.objects.filter(resource_type=kind, system=system, value=value).first()
        if row is not None:
            return row.object_id
    return None


def _remember(kind: str, resource: dict[str, Any], object_id: int, user: User) -> None:
    for system, value in _identifiers(resource):
        ImportedIdentifier.objects.get_or_create(resource_type=kind, system=system[:200], value=value[:200],
                                                 defaults={"object_id": object_id, "imported_by": user})


def _resident_id(resource: dict[str, Any]) -> str:
    for ident in resource.get("identifier") or []:
        codes = {c.get("code") for c in ((ident.get("type") or {}).get("coding") or [])}
        resident = ident.get("system") in ID_NUMBER_SYSTEMS or codes & {"NNCHN", "NI"}
        if resident and "masked" not in str(ident.get("system") or ""):
            return str(ident.get("value") or "")
    return ""


class Importer:
    def __init__(self, *, acting_user: User, branch: OrgUnit) -> None:
        self.user = acting_user
        self.branch = branch
        self.errors = BundleErrors()
        self.clients: dict[str, Client] = {}  # fullUrl / Patient/id → client
        self.responses: dict[int, dict[str, Any]] = {}
        self.visible = clients_visible_to(acting_user)

    # -- patients ----------------------------------------------------------------------------------
    def _existing_patient(self, base: str, resource: dict[str, Any], resident_id: str) -> Client | bool | None:
        """The client this Patient already is (by imported identifier, careloop id or resident ID), None, or
        False after recording an error."""
        from careloop.clients.services import find_duplicates

        known = _known("Patient", resource)
        if known is not None and (client := self.visible.filter(pk=known).first()) is not None:
            return client
        for system, value in _identifiers(resource):
            if system == CLIENT_SID and value.isdigit() and (client := self.visible.filter(pk=int(value)).first()):
                return client
        if resident_id:
            same_id, _same = find_duplicates(id_number=resident_id)
            if same_id:
                client = self.visible.filter(pk=same_id[0].pk).first()
                if client is None:
                    self.errors.add(f"{base}.identifier", _("A client with this resident ID number exists outside your scope."))
                    return False
                return client
        return None

    def _new_patient(self, base: str, resource: dict[str, Any], resident_id: str) -> Client | None:
        from careloop.clients.services import DuplicateClientError, client_create

        names = resource.get("name") or [{}]
        name = names[0].get("text") or (names[0].get("family", "") + "".join(names[0].get("given") or []))
        phone = next((t.get("value") for t in resource.get("telecom") or [] if t.get("system") == "phone"), "")
        birth, sex = resource.get("birthDate"), resource.get("gender")
        if resident_id and not (birth and sex):
            try:
                parsed = parse_id_number(resident_id)
                birth, sex = birth or parsed.birth_date.isoformat(), sex or parsed.sex
            except IdentityError:
                pass  # client_create names the bad identifier
        data = {"name": name, "sex": sex, "birth_date": birth, "id_number": resident_id, "phone": phone or "",
                "branch": self.branch}
        try:
            with transaction.atomic():
                return client_create(acting_user=self.user, data=data)
        except DuplicateClientError as exc:
            self.errors.add(base, _("Duplicate of an existing client: %(m)s") % {"m": "; ".join(exc.messages)})
        except ValidationError as exc:
            for field, messages in exc.message_dict.items():
                path = CLIENT_FIELD_PATH.get(field, field)
                for message in messages:
                    self.errors.add(f"{base}.{path}" if path else base, message)
        return None

    def patient(self, index: int, entry: dict[str, Any], resource: dict[str, Any]) -> None:
        base = f"entry[{index}].resource"
        resident_id = _resident_id(resource)
        found = self._existing_patient(base, resource, resident_id)
        if found is False:
            return
        status = "200 OK"
        client = found if isinstance(found, Client) else None
        if client is None:
            client = self._new_patient(base, resource, resident_id)
            if client is None:
                return
            status = "201 Created"
        _remember("Patient", resource, client.pk, self.user)
        for ref in filter(None, [entry.get("fullUrl"), f"Patient/{resource['id']}" if resource.get("id") else None]):
            self.clients[ref] = client
        self.responses[index] = {"status": status, "location": f"Patient/{client.pk}"}

    def client_for(self, index: int, path: str, reference: str) -> Client | None:
        if reference in self.clients:
            return self.clients[reference]
        if reference.startswith("Patient/") and reference[8:].isdigit():
            client = self.visible.filter(pk=int(reference[8:])).first()
            if client is not None:
                return client
        self.errors.add(f"entry[{index}].resource.{path}", _("the patient %(r)s is neither in the Bundle nor a client you may see")
                        % {"r": reference or "-"})
        return None

    def _require_identifier(self, index: int, resource: dict[str, Any]) -> bool:
        if not _identifiers(resource):
            self.errors.add(f"entry[{index}].resource.identifier",
                            _("an identifier with system and value is required (imports are idempotent by identifier)"))
            return False
        return True

    # -- encounters --------------------------------------------------------------------------------
    def encounter(self, index: int, resource: dict[str, Any]) -> None:
        from careloop.followups.models import EncounterKind
        from careloop.followups.services.planning import encounter_create

        base = f"entry[{index}].resource"
        if not self._require_identifier(index, resource):
            return
        known = _known("Encounter", resource)
        if known is not None:
            self.responses[index] = {"status": "200 OK", "location": f"Encounter/encounter-{known}"}
            return
        client = self.client_for(index, "subject.reference", str((resource.get("subject") or {}).get("reference") or ""))
        kind = ""
        for concept in resource.get("type") or []:
            for coding in concept.get("coding") or []:
                if coding.get("code") in EncounterKind.values:
                    kind = coding["code"]
        if not kind:
            self.errors.add(f"{base}.type", _("must carry a coding with one of: %(values)s")
                            % {"values": ", ".join(EncounterKind.values)})
        start = str((resource.get("period") or {}).get("start") or "")[:10]
        try:
            on = dt.date.fromisoformat(start)
        except ValueError:
            self.errors.add(f"{base}.period.start", _("must be a date written YYYY-MM-DD"))
            return
        if client is None or not kind:
            return
        try:
            with transaction.atomic():
                encounter = encounter_create(client=client, kind=kind, date=on, source="fhir", acting_user=self.user)
        except ValidationError as exc:
            for field, messages in exc.message_dict.items():
                for message in messages:
                    self.errors.add(f"{base}.{'period.start' if field == 'date' else 'type'}", message)
            return
        except PermissionDenied:
            self.errors.add(base, _("you may not record encounters for this client"))
            return
        _remember("Encounter", resource, encounter.pk, self.user)
        self.responses[index] = {"status": "201 Created", "location": f"Encounter/encounter-{encounter.pk}"}

    # -- appointments ------------------------------------------------------------------------------
    def appointment(self, index: int, resource: dict[str, Any]) -> None:
        from careloop.crm.models import Slot
        from careloop.crm.services import appointment_book

        base = f"entry[{index}].resource"
        if not self._require_identifier(index, resource):
            return
        known = _known("Appointment", resource)
        if known is not None:
            self.responses[index] = {"status": "200 OK", "location": f"Appointment/appointment-{known}"}
            return
        patients = [p for p in resource.get("participant") or []
                    if str((p.get("actor") or {}).get("reference") or "").startswith(("Patient/", "urn:"))]
        if not patients:
            self.errors.add(f"{base}.participant", _("a Patient participant is required"))
            return
        position = (resource.get("participant") or []).index(patients[0])
        client = self.client_for(index, f"participant[{position}].actor.reference", patients[0]["actor"]["reference"])
        codes = [c.get("code") for s in resource.get("serviceType") or [] for c in s.get("coding") or [] if c.get("code")]
        start = resource.get("start")
        if not codes:
            self.errors.add(f"{base}.serviceType", _("a coding with the appointment service code is required"))
        if not start:
            self.errors.add(f"{base}.start", _("is required"))
        if client is None or not codes or not start:
            return
        slot = Slot.objects.filter(service__code__in=codes, start=start).order_by("pk").first()
        if slot is None:
            self.errors.add(f"{base}.start", _("no appointment slot of this service starts at this time"))
            return
        try:
            with transaction.atomic():
                appointment = appointment_book(client=client, slot=slot, acting_user=self.user,
                                               notes=str(resource.get("comment") or "")[:200])
        except ValidationError as exc:
            for messages in exc.message_dict.values():
                for message in messages:
                    self.errors.add(f"{base}.start", message)
            return
        except PermissionDenied:
            self.errors.add(base, _("you may not book appointments for this client"))
            return
        _remember("Appointment", resource, appointment.pk, self.user)
        self.responses[index] = {"status": "201 Created", "location": f"Appointment/appointment-{appointment.pk}"}

    # -- checkups (through the checkups importer) --------------------------------------------------
    def checkups(self, entries: list[dict[str, Any]], indexes: list[int]) -> None:
        from careloop.checkups.models import ImportBatch
        from careloop.checkups.progress import upload_dir
        from careloop.checkups.services import import_batch_create, results_import

        if not user_can(self.user, Cap.IMPORT_RESULTS):
            self.errors.add(f"entry[{indexes[0]}].resource", _("you may not import checkup results"))
            return
        # The sub-bundle: every Patient (so report subjects resolve) and the reports with their observations.
        wanted = [i for i, e in enumerate(entries) if e["resource"]["resourceType"] == "Patient"] + indexes
        wanted.sort()
        sub = {"resourceType": "Bundle", "type": "collection", "entry": [entries[i] for i in wanted]}
        path = upload_dir() / f"fhir-{uuid.uuid4().hex}.json"
        path.write_text(json.dumps(sub, ensure_ascii=False, sort_keys=True), encoding="utf-8")
        batch = import_batch_create(path=str(path), file_name="fhir-transaction.json", acting_user=self.user,
                                    branch=self.branch, fmt="fhir")
        batch = results_import(batch=batch, acting_user=self.user)
        if batch.status == ImportBatch.Status.FAILED:
            for error in batch.errors:
                row, column = error.get("row"), str(error.get("column") or "")
                original = wanted[row - 1] if isinstance(row, int) and 0 < row <= len(wanted) else None
                where = f"entry[{original}].resource" if original is not None else "entry"
                if "." in column:
                    where += "." + column.split(".", 1)[1]
                reason = error.get("reason")
                self.errors.add(where, str(reason.get("zh-hans") if isinstance(reason, dict) else reason))
            path.unlink(missing_ok=True)
            return
        for i in indexes:
            self.responses[i] = {"status": "200 OK" if batch.status == ImportBatch.Status.DUPLICATE else "201 Created",
                                 "location": f"ImportBatch/{batch.pk}"}


def _import_branch(user: User, branch: OrgUnit | None) -> OrgUnit:
    """The branch new clients belong to: the one chosen (inside the caller's subtree) or the caller's own."""
    from careloop.org.selectors import unit_in_subtree

    branch = branch or user.org_unit
    if branch is None:
        raise PermissionDenied(_("You belong to no organisation unit; an import needs a branch."))
    if not unit_in_subtree(user, branch):
        raise PermissionDenied(_("This branch is outside your part of the organisation."))
    return branch


def fhir_bundle_import(*, bundle: Any, acting_user: User, branch: OrgUnit | None = None) -> dict[str, Any]:
    """Import one transaction Bundle, all or nothing; answer a FHIR transaction-response Bundle.

    Raises ``ValidationError`` keyed by element path (``entry[3].resource.valueQuantity.unit``)."""
    if not (user_can(acting_user, Cap.CREATE_CLIENT) or user_can(acting_user, Cap.IMPORT_RESULTS)):
        raise PermissionDenied(_("You may not import FHIR data."))
    errors = BundleErrors()
    entries = _validate_structure(bundle, errors)
    with transaction.atomic():
        importer = Importer(acting_user=acting_user, branch=_import_branch(acting_user, branch))
        for index, entry in enumerate(entries):
            if entry["resource"]["resourceType"] == "Patient":
                importer.patient(index, entry, entry["resource"])
        importer.errors.raise_if_any()
        for index, entry in enumerate(entries):
            kind = entry["resource"]["resourceType"]
            if kind == "Encounter":
                importer.encounter(index, entry["resource"])
            elif kind == "Appointment":
                importer.appointment(index, entry["resource"])
        results = [i for i, e in enumerate(entries) if e["resource"]["resourceType"] in ("DiagnosticReport", "Observation")]
        if results and not importer.errors.errors:
            importer.checkups(entries, results)
        importer.errors.raise_if_any()
        audit_record(actor=acting_user, action="fhir.import", object_type="fhir.bundle",
                     object_id=str(bundle.get("id") or "")[:64],
                     detail={"entries": len(entries),
                             "created": sum(1 for r in importer.responses.values() if r["status"].startswith("201"))})
    return {
        "resourceType": "Bundle",
        "id": str(uuid.uuid4()),
        "type": "transaction-response",
        "entry": [{"response": importer.responses.get(i, {"status": "200 OK"})} for i in range(len(entries))],
    }
