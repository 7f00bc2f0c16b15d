"""Writes to the client archive. Each function is atomic and writes its audit row in the same transaction."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from careloop.audit.services import audit_record, audit_record_many
from careloop.clients.models import (
    NOTICE_VERSION,
    Assignment,
    AssignmentKind,
    Channel,
    Client,
    ClientStatus,
    Consent,
    ConsentMethod,
    ConsentPurpose,
    ContactChange,
    Enterprise,
    EnterpriseMember,
    RevealReason,
    Sex,
    StatusChange,
    Tier,
)
from careloop.lib import crypto
from careloop.lib.identity import IdentityError, parse_id_number, parse_mobile
from careloop.org.models import OrgUnit, Role, User
from careloop.org.permissions import Cap, user_can
from careloop.org.selectors import unit_in_subtree

CONTACT_FIELDS = ("phone", "phone2", "email", "address", "emergency_contact_name", "emergency_contact_phone",
                  "preferred_channels", "contact_hours")
PROFILE_FIELDS = ("name", "sex", "birth_date", "id_number", "is_vip", "notes", "branch")
ENCRYPTED_HASHED = {"phone": "phone_hash", "phone2": "phone2_hash", "id_number": "id_number_hash"}


class DuplicateClientError(ValidationError):
    """Entry matches existing clients (ARC-7). ``matches`` holds only the matches the acting user may open
    (to offer them); for the others ``elsewhere`` says only which branch to contact — never their data
    (issue 10, finding 2)."""

    def __init__(self, message: str, matches: list[Client], *, hard: bool, acting_user: User | None = None) -> None:
        super().__init__({"__all__": [message]}, code="duplicate")
        visible: set[int] = set()
        if acting_user is not None:
            from careloop.clients.selectors import clients_visible_to

            visible = set(clients_visible_to(acting_user).filter(pk__in=[c.pk for c in matches])
                          .values_list("pk", flat=True))
        self.matches = [c for c in matches if c.pk in visible]
        self.elsewhere = _contacts_for([c for c in matches if c.pk not in visible])
        self.hard = hard


def _contacts_for(clients: list[Client]) -> list[dict[str, str]]:
    """Whom to ask about clients the user may not open: their branch's name and contact phone."""
    contacts: dict[int, dict[str, str]] = {}
    for client in clients:
        unit: OrgUnit | None = OrgUnit.objects.filter(pk=client.branch_id).first()
        branch = unit.branch() if unit is not None else None
        phone_unit = branch
        while phone_unit is not None and not phone_unit.contact_phone and phone_unit.parent_id is not None:
            phone_unit = phone_unit.parent
        if branch is not None and branch.pk not in contacts:
            contacts[branch.pk] = {"branch": branch.name, "phone": getattr(phone_unit, "contact_phone", "") or ""}
    return list(contacts.values())


def phone_index(number: str) -> str:
    return crypto.blind_index(number, context="phone") if number else ""


def id_number_index(number: str) -> str | None:
    return crypto.blind_index(number, context="id_number") if number else None


def _label(field: str) -> str:
    return capfirst(str(getattr(Client._meta.get_field(field), "verbose_name", field)))


def _err(errors: dict[str, list[str]], field: str, reason: str) -> None:
    errors.setdefault(field, []).append(_("%(field)s: %(reason)s") % {"field": _label(field), "reason": reason})


def clean_client_fields(data: dict[str, Any], *, instance: Client | None = None, today: dt.date | None = None) -> dict[str, Any]:
    """Validate and normalise client fields; raise ValidationError naming every bad field."""
    today = today or timezone.localdate()
    errors: dict[str, list[str]] = {}
    out: dict[str, Any] = {}
    merged = {**({f: getattr(instance, f) for f in PROFILE_FIELDS} if instance else {}), **data}

    for field in ("name",):
        if field in data or instance is None:
            value = (data.get(field) or "").strip()
            if not value:
                _err(errors, field, _("is required"))
            elif len(value) > 50:
                _err(errors, field, _("must be at most 50 characters"))
            out[field] = value
    if "sex" in data or instance is None:
        if data.get("sex") not in Sex.values:
            _err(errors, "sex", _("must be one of: %(values)s") % {"values": ", ".join(Sex.values)})
        out["sex"] = data.get("sex")
    if "birth_date" in data or instance is None:
        birth = data.get("birth_date")
        if isinstance(birth, str):
            try:
                birth = dt.date.fromisoformat(birth)
            except ValueError:
                birth = None
                _err(errors, "birth_date", _("must be a date written YYYY-MM-DD"))
        elif birth is None:
            _err(errors, "birth_date", _("is required"))
        if isinstance(birth, dt.date):
            if birth > today:
                _err(errors, "birth_date", _("cannot be in the future"))
            elif birth.year < 1890:
                _err(errors, "birth_date", _("is impossible"))
        out["birth_date"] = birth
    if "id_number" in data:
        raw = (data.get("id_number") or "").strip()
        if raw:
            try:
                parsed = parse_id_number(raw, today=today)
            except IdentityError as exc:
                _err(errors, "id_number", str(exc.message))
            else:
                out["id_number"] = parsed.number
                birth = out.get("birth_date", merged.get("birth_date"))
                if isinstance(birth, dt.date) and birth != parsed.birth_date and "birth_date" not in errors:
                    _err(errors, "id_number", _("encodes birth date %(d)s, which differs from the birth date entered")
                         % {"d": parsed.birth_date.isoformat()})
                sex = out.get("sex", merged.get("sex"))
                if sex in Sex.values and sex != parsed.sex:
                    _err(errors, "id_number", _("encodes sex %(s)s, which differs from the sex entered")
                         % {"s": Sex(parsed.sex).label})
        else:
            out["id_number"] = ""
    for field in ("phone", "phone2", "emergency_contact_phone"):
        if field in data:
            raw = (data.get(field) or "").strip()
            if raw:
                try:
                    out[field] = parse_mobile(raw)
                except IdentityError as exc:
                    _err(errors, field, str(exc.message))
            else:
                out[field] = ""
    if "email" in data:
        raw = (data.get("email") or "").strip()
        if raw:
            try:
                validate_email(raw)
            except ValidationError:
                _err(errors, "email", _("is not a valid email address"))
        out["email"] = raw
    for field, limit in (("address", 200), ("emergency_contact_name", 50), ("contact_hours", 50), ("notes", 2000)):
        if field in data:
            value = (data.get(field) or "").strip()
            if len(value) > limit:
                _err(errors, field, _("must be at most %(n)d characters") % {"n": limit})
            out[field] = value
    if "preferred_channels" in data:
        value = data.get("preferred_channels") or []
        if not isinstance(value, list | tuple) or any(v not in Channel.values for v in value):
            _err(errors, "preferred_channels", _("must be a list of: %(values)s") % {"values": ", ".join(Channel.values)})
        else:
            out["preferred_channels"] = list(dict.fromkeys(value))
    if "is_vip" in data:
        out["is_vip"] = bool(data.get("is_vip"))
    if "tier" in data:
        if data.get("tier") not in Tier.values:
            _err(errors, "tier", _("must be one of: %(values)s") % {"values": ", ".join(Tier.values)})
        out["tier"] = data.get("tier")
    if "branch" in data or instance is None:
        branch = data.get("branch")
        if not isinstance(branch, OrgUnit):
            _err(errors, "branch", _("is required"))
        out["branch"] = branch
    if errors:
        raise ValidationError(errors)
    return out


def find_duplicates(*, id_number: str = "", name: str = "", birth_date: dt.date | None = None, phone: str = "",
                    exclude_pk: int | None = None) -> tuple[list[Client], list[Client]]:
    """(same ID number, same name + birth date + phone) — ARC-7."""
    others = Client.objects.exclude(pk=exclude_pk) if exclude_pk is not None else Client.objects.all()
    same_id: list[Client] = []
    if id_number:
        same_id = list(others.filter(id_number_hash=id_number_index(id_number)))
    same_person: list[Client] = []
    if name and birth_date and phone:
        same_person = list(others.filter(name=name, birth_date=birth_date, phone_hash=phone_index(phone)))
    return same_id, same_person


def _require(user: User, cap: Cap) -> None:
    if not user_can(user, cap):
        raise PermissionDenied(_("Your role does not allow this."))


def _require_branch(user: User, branch: OrgUnit) -> None:
    if not unit_in_subtree(user, branch):
        raise PermissionDenied(_("This branch is outside your part of the organisation."))


@transaction.atomic
def client_create(*, acting_user: User, data: dict[str, Any], confirm_not_duplicate: bool = False) -> Client:
    _require(acting_user, Cap.CREATE_CLIENT)
    cleaned = clean_client_fields(data)
    _require_branch(acting_user, cleaned["branch"])
    same_id, same_person = find_duplicates(
        id_number=cleaned.get("id_number", ""), name=cleaned["name"], birth_date=cleaned["birth_date"],
        phone=cleaned.get("phone", ""),
    )
    if same_id:
        raise DuplicateClientError(_("A client with this resident ID number already exists."), same_id, hard=True,
                                   acting_user=acting_user)
    if same_person and not confirm_not_duplicate:
        raise DuplicateClientError(
            _("A client with the same name, birth date and phone already exists. Open it, or confirm this is a different person."),
            same_person, hard=False, acting_user=acting_user,
        )
    client = Client(**cleaned)
    for field, hash_field in ENCRYPTED_HASHED.items():
        value = cleaned.get(field, "")
        setattr(client, hash_field, id_number_index(value) if field == "id_number" else phone_index(value))
    client.save()
    audit_record(actor=acting_user, action="client.create", obj=client, client=client)
    return client


def _set_hash(client: Client, field: str, value: str) -> None:
    if field in ENCRYPTED_HASHED:
        setattr(client, ENCRYPTED_HASHED[field], id_number_index(value) if field == "id_number" else phone_index(value))


@transaction.atomic
def client_update(*, acting_user: User, client: Client, data: dict[str, Any], source: str = "edit") -> Client:
    """Change profile and/or contact fields. Contact changes keep their history (ARC-6).

    The tier is not changed here: it has one door, the tier override of careloop.crm (a reason, an
    override record that survives recomputation, its audit row) or tier computation — both through
    ``client_set_tier``. A ``tier`` in ``data`` is refused, naming the field, and nothing is saved.
    """
    data = dict(data)
    if "tier" in data:
        raise ValidationError({"tier": [_("Tier: is changed on the client's tier page, with a reason "
                                          "(a tier override), not in the client's details.")]})
    client = Client.objects.select_for_update().get(pk=client.pk)
    touched_profile = [f for f in data if f in PROFILE_FIELDS]
    touched_contact = [f for f in data if f in CONTACT_FIELDS]
    unknown = [f for f in data if f not in PROFILE_FIELDS and f not in CONTACT_FIELDS]
    if unknown:
        raise ValidationError({f: [_("cannot be changed here")] for f in unknown})
    if touched_profile:
        _require(acting_user, Cap.UPDATE_CLIENT)
    if touched_contact:
        _require(acting_user, Cap.UPDATE_CONTACT)
    cleaned = clean_client_fields(data, instance=client)
    if "branch" in cleaned:
        _require_branch(acting_user, cleaned["branch"])
    if cleaned.get("id_number"):
        same_id, _same = find_duplicates(id_number=cleaned["id_number"], exclude_pk=client.pk)
        if same_id:
            raise DuplicateClientError(_("A client with this resident ID number already exists."), same_id, hard=True,
                                       acting_user=acting_user)
    changed: list[str] = []
    for field, value in cleaned.items():
        old = getattr(client, field)
        if old == value:
            continue
        if field in CONTACT_FIELDS:
            ContactChange.objects.create(client=client, field=field, old_value=str(old or ""), new_value=str(value or ""),
                                         changed_by=acting_user, source=source)
        setattr(client, field, value)
        _set_hash(client, field, value)
        changed.append(field)
        if field in ENCRYPTED_HASHED:
            changed.append(ENCRYPTED_HASHED[field])
    if changed:
        client.save(update_fields=[*changed, "updated_at"])
        audit_record(actor=acting_user, action="client.update", obj=client, client=client,
                     detail={"fields": sorted(f for f in changed if not f.endswith("_hash"))})
    return client


@transaction.atomic
def client_change_status(*, acting_user: User | None, client: Client, status: str, reason: str,
                         automatic: bool = False) -> Client:
    """Change the client's status; the apps registered in STATUS_CHANGED_HOOKS adjust their work in this transaction.

    ``automatic``: the change follows from a rule of the system (FU-15: N failed follow-ups in a row
    make a client lost), not from a person's decision, so the actor needs no right to edit clients;
    the audit row says so.
    """
    if not automatic:
        _require(acting_user, Cap.UPDATE_CLIENT)  # type: ignore[arg-type]
    errors: dict[str, list[str]] = {}
    if status not in ClientStatus.values:
        errors["status"] = [_("Status: must be one of: %(values)s") % {"values": ", ".join(ClientStatus.values)}]
    if not (reason or "").strip():
        errors["reason"] = [_("Reason: is required when the status changes")]
    if errors:
        raise ValidationError(errors)
    client = Client.objects.select_for_update().get(pk=client.pk)
    if client.status == status:
        return client
    StatusChange.objects.create(client=client, kind="status", old=client.status, new=status, changed_by=acting_user,
                                reason=reason.strip())
    old = client.status
    client.status = status
    client.save(update_fields=["status", "updated_at"])
    audit_record(actor=acting_user, action="client.status", obj=client, client=client,
                 detail={"from": old, "to": status, **({"automatic": True} if automatic else {})})
    for hook in STATUS_CHANGED_HOOKS:
        hook(client=client, kind="status", old=old, new=status, reason=reason.strip(), acting_user=acting_user)
    return client


@transaction.atomic
def client_assign(*, acting_user: User, client: Client, kind: str, staff: User | None, reason: str = "") -> Client:
    """Set the health manager or family doctor; the previous assignment is closed, history kept (ARC-2)."""
    _require(acting_user, Cap.UPDATE_CLIENT)
    if kind not in AssignmentKind.values:
        raise ValidationError({"kind": [_("must be one of: %(values)s") % {"values": ", ".join(AssignmentKind.values)}]})
    if staff is not None:
        needed = {AssignmentKind.HEALTH_MANAGER: (Role.FOLLOWUP, Role.LEAD), AssignmentKind.FAMILY_DOCTOR: (Role.DOCTOR,)}
        if not staff.is_active or not staff.has_role(*needed[AssignmentKind(kind)]):
            raise ValidationError({"staff": [_("Staff: %(name)s does not hold the role needed for this assignment")
                                             % {"name": staff}]})
        if not unit_in_subtree(acting_user, staff.org_unit):
            raise ValidationError({"staff": [_("Staff: %(name)s works outside your part of the organisation")
                                             % {"name": staff}]})
    client = Client.objects.select_for_update().get(pk=client.pk)
    now = timezone.now()
    Assignment.objects.filter(client=client, kind=kind, ended_at__isnull=True).update(ended_at=now)
    if staff is not None:
        Assignment.objects.create(client=client, kind=kind, staff=staff, started_at=now, assigned_by=acting_user,
                                  reason=reason)
    setattr(client, kind, staff)
    client.save(update_fields=[kind, "updated_at"])
    audit_record(actor=acting_user, action=f"client.assign.{kind}", obj=client, client=client,
                 detail={"staff": staff.pk if staff else None})
    return client


def client_reveal_contact(*, acting_user: User, client: Client, field: str, reason: str) -> str:
    """Show one contact field in full: needs the right and a reason, and is audited (SEC-3)."""
    if field not in ("phone", "phone2", "id_number", "address", "emergency_contact_phone"):
        raise ValidationError({"field": [_("Field: cannot be revealed")]})
    if reason not in RevealReason.values:
        raise ValidationError({"reason": [_("Reason: must be one of: %(values)s") % {"values": ", ".join(RevealReason.values)}]})
    with transaction.atomic():
        if not user_can(acting_user, Cap.REVEAL_CONTACT):
            audit_record(actor=acting_user, action="client.reveal", obj=client, client=client, result="denied",
                         detail={"field": field, "reason": reason})
            denied = True
        else:
            audit_record(actor=acting_user, action="client.reveal", obj=client, client=client,
                         detail={"field": field, "reason": reason})
            denied = False
    if denied:
        raise PermissionDenied(_("Your role may not see this in full."))
    return getattr(client, field)


def consent_current(client: Client, purpose: str) -> bool:
    latest = Consent.objects.filter(client=client, purpose=purpose).order_by("-given_at", "-id").first()
    return bool(latest and latest.granted)


@transaction.atomic
def consent_record(*, acting_user: User, client: Client, purpose: str, granted: bool, method: str = ConsentMethod.VERBAL,
                   version: str = NOTICE_VERSION, note: str = "") -> Consent:
    _require(acting_user, Cap.MANAGE_CONSENT)
    errors: dict[str, list[str]] = {}
    if purpose not in ConsentPurpose.values:
        errors["purpose"] = [_("Purpose: must be one of: %(values)s") % {"values": ", ".join(ConsentPurpose.values)}]
    if not isinstance(granted, bool):
        errors["granted"] = [_("Granted: must be true or false")]
    if method not in ConsentMethod.values:
        errors["method"] = [_("How given: must be one of: %(values)s") % {"values": ", ".join(ConsentMethod.values)}]
    if errors:
        raise ValidationError(errors)
    previously = (Consent.objects.filter(client=client, purpose=purpose).order_by("-given_at", "-id")
                  .values_list("granted", flat=True).first() if granted and CONSENT_GIVEN_HOOKS else None)
    consent = Consent.objects.create(client=client, purpose=purpose, granted=granted, method=method, version=version,
                                     given_at=timezone.now(), recorded_by=acting_user, note=note)
    audit_record(actor=acting_user, action="consent.grant" if granted else "consent.withdraw", obj=consent, client=client,
                 detail={"purpose": purpose})
    if not granted:
        for hook in CONSENT_WITHDRAWN_HOOKS:
            hook(client=client, purpose=purpose, acting_user=acting_user)
    elif previously is False:
        for hook in CONSENT_GIVEN_HOOKS:
            hook(client=client, purpose=purpose, acting_user=acting_user)
    return consent


# Other apps register callables here (in their AppConfig.ready()); each runs in the transaction of the change.
# Consent withdrawn: cancel pending work needing it (messaging, followups) — hook(client=, purpose=, acting_user=).
CONSENT_WITHDRAWN_HOOKS: list[Any] = []
# Consent given again after a withdrawal: resume the work (followups) — hook(client=, purpose=, acting_user=).
CONSENT_GIVEN_HOOKS: list[Any] = []
# Status or tier changed: hook(client=, kind="status"|"tier", old=, new=, reason=, acting_user=).
STATUS_CHANGED_HOOKS: list[Any] = []
# Many tier changes at once (tier recomputation, clients_set_tier_many): hook(changes=[TierChange…], acting_user=).
# An app whose STATUS_CHANGED_HOOKS hook reacts to tier changes registers its batch form here too: it must do for
# each change what the one-client hook does (the batch path calls only these).
TIERS_CHANGED_HOOKS: list[Any] = []


@transaction.atomic
def enterprise_create(*, acting_user: User, name: str, branch: OrgUnit, contact_name: str = "", contact_phone: str = "",
                      address: str = "") -> Enterprise:
    _require(acting_user, Cap.CREATE_CLIENT)
    errors: dict[str, list[str]] = {}
    if not (name or "").strip():
        errors["name"] = [_("Name: is required")]
    if contact_phone:
        try:
            contact_phone = parse_mobile(contact_phone)
        except IdentityError as exc:
            errors["contact_phone"] = [_("Contact phone: %(reason)s") % {"reason": exc.message}]
    if errors:
        raise ValidationError(errors)
    _require_branch(acting_user, branch)
    enterprise = Enterprise.objects.create(name=name.strip(), branch=branch, contact_name=contact_name,
                                           contact_phone=contact_phone, address=address)
    audit_record(actor=acting_user, action="enterprise.create", obj=enterprise)
    return enterprise


@transaction.atomic
def enterprise_add_member(*, acting_user: User, enterprise: Enterprise, client: Client, employee_no: str = "",
                          department: str = "", joined_on: dt.date | None = None) -> EnterpriseMember:
    _require(acting_user, Cap.UPDATE_CLIENT)
    _require_branch(acting_user, enterprise.branch)
    member, created = EnterpriseMember.objects.get_or_create(
        enterprise=enterprise, client=client,
        defaults={"employee_no": employee_no, "department": department, "joined_on": joined_on or timezone.localdate()},
    )
    if created:
        audit_record(actor=acting_user, action="enterprise.member.add", obj=member, client=client,
                     detail={"enterprise": enterprise.pk})
    return member


@transaction.atomic
def client_set_tier(*, client: Client, tier: str, reason: str, acting_user: User | None,
                    automatic: bool = False) -> Client:
    """Move a client to another tier, keeping the tier history (who or what, and why).

    ``automatic``: the move comes from tier computation (careloop.crm), not from a person, so no right
    is checked and ``acting_user`` may be None; otherwise the caller needs Cap.MANAGE_TIERS. The apps
    registered in STATUS_CHANGED_HOOKS (follow-up upkeep per tier, FU-6) re-plan in this transaction.
    """
    if not automatic:
        _require(acting_user, Cap.MANAGE_TIERS)  # type: ignore[arg-type]
    errors: dict[str, list[str]] = {}
    if tier not in Tier.values:
        errors["tier"] = [_("Tier: must be one of: %(values)s") % {"values": ", ".join(Tier.values)}]
    if not (reason or "").strip():
        errors["reason"] = [_("Reason: is required when the tier changes")]
    if errors:
        raise ValidationError(errors)
    client = Client.objects.select_for_update().get(pk=client.pk)
    if client.tier == tier:
        return client
    old = client.tier
    StatusChange.objects.create(client=client, kind="tier", old=old, new=tier, changed_by=acting_user,
                                reason=reason.strip()[:200])
    client.tier = tier
    client.save(update_fields=["tier", "updated_at"])
    audit_record(actor=acting_user, action="client.tier", obj=client, client=client,
                 detail={"from": old, "to": tier, **({"automatic": True} if automatic else {})})
    for hook in STATUS_CHANGED_HOOKS:
        hook(client=client, kind="tier", old=old, new=tier, reason=reason.strip(), acting_user=acting_user)
    return client


@dataclass(frozen=True)
class TierChange:
    client: Client  # already at ``new``
    old: str
    new: str
    reason: str


@transaction.atomic
def clients_set_tier_many(*, moves: list[tuple[int, str, str, str]], acting_user: User | None) -> list[TierChange]:
    """Tier computation's bulk path (automatic moves, no right checked): ``moves`` are (client id, tier it was
    computed from, new tier, reason).

    Per moved client the same rows as ``client_set_tier`` — a tier-history row and a ``client.tier`` audit row —
    written in bulk (one insert each, one UPDATE per new tier), then TIERS_CHANGED_HOOKS once with every change
    (follow-up upkeep re-planned per client). A client no longer at the tier it was computed from is left alone:
    someone moved it meanwhile, and the next recomputation decides again.
    """
    errors: dict[str, list[str]] = {}
    for _cid, _old, new, reason in moves:
        if new not in Tier.values:
            errors["tier"] = [_("Tier: must be one of: %(values)s") % {"values": ", ".join(Tier.values)}]
        if not (reason or "").strip():
            errors["reason"] = [_("Reason: is required when the tier changes")]
    if errors:
        raise ValidationError(errors)
    wanted = {cid: (old, new, reason.strip()[:200]) for cid, old, new, reason in moves}
    locked = list(Client.objects.select_for_update(of=("self",)).filter(pk__in=list(wanted)).order_by("pk"))
    changes = [TierChange(c, c.tier, wanted[c.pk][1], wanted[c.pk][2]) for c in locked
               if c.tier == wanted[c.pk][0] and c.tier != wanted[c.pk][1]]
    if not changes:
        return []
    now = timezone.now()
    StatusChange.objects.bulk_create([StatusChange(client=ch.client, kind="tier", old=ch.old, new=ch.new,
                                                   changed_by=acting_user, reason=ch.reason) for ch in changes])
    by_tier: dict[str, list[int]] = {}
    for ch in changes:
        by_tier.setdefault(ch.new, []).append(ch.client.pk)
        ch.client.tier, ch.client.updated_at = ch.new, now
    for tier, ids in by_tier.items():
        Client.objects.filter(pk__in=ids).update(tier=tier, updated_at=now)
    audit_record_many(actor=acting_user, entries=[
        {"action": "client.tier", "obj": ch.client, "client": ch.client,
         "detail": {"from": ch.old, "to": ch.new, "automatic": True}} for ch in changes])
    for hook in TIERS_CHANGED_HOOKS:
        hook(changes=changes, acting_user=acting_user)
    return changes
