"""Writes of careloop.plans: plan versions, enrolments, entitlement uses, family doctors, the green channel."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from careloop.audit.services import audit_record
from careloop.clients.models import AssignmentKind, Client, Enterprise
from careloop.clients.services import client_assign
from careloop.org.models import User
from careloop.org.permissions import Cap, user_can
from careloop.plans import ledger
from careloop.plans.models import (
    Audience,
    BookingKind,
    BookingStatus,
    ClinicSession,
    Consultation,
    Department,
    DoctorKind,
    Enrolment,
    EnrolmentStatus,
    EntitlementUse,
    FamilyDoctor,
    GreenChannelBooking,
    GroupEnrolment,
    PartnerHospital,
    Period,
    Plan,
    PlanService,
    PlanVersion,
    Service,
)
from careloop.plans.periods import service_month, service_year_end

LECTURE_LEVELS = (1, 2, 3, 4)


def _require(user: Any, cap: Cap) -> None:
    if not user_can(user, cap):
        raise PermissionDenied(_("Your role does not allow this."))


class EntitlementRefused(Exception):
    """A service use the client's plans do not allow; ``code`` is ``not_included`` or ``exhausted``."""

    def __init__(self, message: str, *, code: str, service: str) -> None:
        super().__init__(message)
        self.message, self.code, self.service = message, code, service


# --- plan catalogue -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ServiceLine:
    service: str  # service code
    quota: int | None
    period: str
    per_group: bool = False


def _clean_lines(lines: list[ServiceLine]) -> list[tuple[Service, ServiceLine]]:
    known = {s.code: s for s in Service.objects.all()}
    errors: list[str] = []
    seen: set[str] = set()
    out: list[tuple[Service, ServiceLine]] = []
    for line in lines:
        service = known.get(line.service)
        if service is None:
            errors.append(_("Unknown service: %(code)s") % {"code": line.service})
            continue
        if line.service in seen:
            errors.append(_("Service %(name)s is listed twice") % {"name": service.name})
        seen.add(line.service)
        if line.period not in Period.values:
            errors.append(_("%(name)s: period must be one of year, month, unlimited") % {"name": service.name})
        elif line.period == Period.UNLIMITED and line.quota is not None:
            errors.append(_("%(name)s: an unlimited service has no quota") % {"name": service.name})
        elif line.period != Period.UNLIMITED and (line.quota is None or line.quota < 1):
            errors.append(_("%(name)s: give a quota of at least 1 for a limited period") % {"name": service.name})
        out.append((service, line))
    if not lines:
        errors.append(_("A plan needs at least one service."))
    if errors:
        raise ValidationError({"services": errors})
    return out


@transaction.atomic
def plan_version_create(
    *, plan: Plan | None, code: str = "", name: str, audience: str = Audience.INDIVIDUAL, description: str = "",
    price: Decimal, archive_level: int, services: list[ServiceLine], newsletter_copy_price: Decimal = Decimal(0),
    note: str = "", active: bool = True, acting_user: User,
) -> PlanVersion:
    """Add a plan (``plan`` None, with ``code``) or its next version; existing enrolments keep theirs."""
    _require(acting_user, Cap.MANAGE_PLANS)
    errors: dict[str, list[str]] = {}
    if plan is None:
        if not code or not code.replace("_", "").replace("-", "").isalnum() or not code.isascii():
            errors["code"] = [_("Code: letters, digits, - and _ only")]
        elif Plan.objects.filter(code=code).exists():
            errors["code"] = [_("Code: a plan with this code exists")]
    if not name.strip():
        errors["name"] = [_("Name: required")]
    if audience not in Audience.values:
        errors["audience"] = [_("must be one of: %(values)s") % {"values": ", ".join(Audience.values)}]
    if price is None or price < 0:
        errors["price"] = [_("Price: must be 0 or more (yuan)")]
    if archive_level not in (1, 2, 3):
        errors["archive_level"] = [_("Archive level: 1, 2 or 3")]
    try:
        lines = _clean_lines(services)
    except ValidationError as exc:
        errors.update(exc.message_dict)
        lines = []
    if errors:
        raise ValidationError(errors)
    if plan is None:
        plan = Plan.objects.create(code=code, name=name.strip(), audience=audience, description=description,
                                   active=active)
        number = 1
    else:
        plan = Plan.objects.select_for_update().get(pk=plan.pk)
        plan.name, plan.description, plan.active = name.strip(), description, active
        plan.save(update_fields=["name", "description", "active"])
        number = (plan.versions.order_by("-number").values_list("number", flat=True).first() or 0) + 1
    version = PlanVersion.objects.create(plan=plan, number=number, price=price, archive_level=archive_level,
                                         newsletter_copy_price=newsletter_copy_price, note=note,
                                         created_by=acting_user)
    PlanService.objects.bulk_create([
        PlanService(version=version, service=service, quota=None if line.period == Period.UNLIMITED else line.quota,
                    period=line.period, per_group=line.per_group and plan.audience == Audience.GROUP)
        for service, line in lines])
    audit_record(actor=acting_user, action="plan.version", obj=version,
                 detail={"plan": plan.code, "version": number, "price": str(price),
                         "services": [line.service for _s, line in lines]})
    return version


def current_version(plan: Plan) -> PlanVersion | None:
    return plan.versions.order_by("-number").first()


# --- enrolment -------------------------------------------------------------------------------------


def _overlapping(client: Client, plan: Plan, start: dt.date, end: dt.date) -> bool:
    return Enrolment.objects.filter(client=client, version__plan=plan, status=EnrolmentStatus.ACTIVE,
                                    start_date__lte=end, end_date__gte=start).exists()


def _version_for_sale(plan: Plan, field: str = "plan") -> PlanVersion:
    version = current_version(plan)
    if version is None or not plan.active:
        raise ValidationError({field: [_("%(plan)s is not on sale.") % {"plan": plan.name}]})
    return version


@transaction.atomic
def enrolment_create(
    *, client: Client, plan: Plan, start_date: dt.date, acting_user: User, renewed_from: Enrolment | None = None,
    group: GroupEnrolment | None = None, amount: Decimal | None = None, note: str = "",
) -> Enrolment:
    """Enrol ``client`` in the current version of ``plan`` for one service year; record the purchase."""
    _require(acting_user, Cap.SELL_PLANS)
    if group is None and plan.audience == Audience.GROUP:
        raise ValidationError({"plan": [_("%(plan)s is sold to enterprises: enrol the enterprise.") % {
            "plan": plan.name}]})
    version = group.version if group is not None else _version_for_sale(plan)
    end = group.end_date if group is not None else service_year_end(start_date)
    Client.objects.select_for_update().filter(pk=client.pk).first()  # one enrolment at a time per client
    if _overlapping(client, plan, start_date, end):
        raise ValidationError({"start_date": [_(
            "The client already holds %(plan)s for part of this period.") % {"plan": plan.name}]})
    price = version.price if amount is None else amount
    enrolment = Enrolment.objects.create(client=client, version=version, group=group, start_date=start_date,
                                         end_date=end, amount=price, renewed_from=renewed_from,
                                         created_by=acting_user)
    ledger.record_purchase(client=client, date=start_date, amount=price,
                           note=note or f"{plan.name} v{version.number} {start_date.isoformat()}–{end.isoformat()}",
                           source=f"plans.enrolment:{enrolment.pk}", acting_user=acting_user)
    audit_record(actor=acting_user, action="plan.enrol", obj=enrolment, client=client,
                 detail={"plan": plan.code, "version": version.number, "start": start_date.isoformat(),
                         "end": end.isoformat(), "amount": str(price), "group": group.pk if group else None})
    return enrolment


@transaction.atomic
def enrolment_renew(*, enrolment: Enrolment, acting_user: User) -> Enrolment:
    """The next service year, at the plan's current version and price."""
    _require(acting_user, Cap.SELL_PLANS)
    if enrolment.group_id is not None:
        raise ValidationError({"enrolment": [_("Members of an enterprise plan are renewed with the enterprise.")]})
    if enrolment.status != EnrolmentStatus.ACTIVE:
        raise ValidationError({"enrolment": [_("A cancelled enrolment cannot be renewed.")]})
    return enrolment_create(client=enrolment.client, plan=enrolment.version.plan,
                            start_date=enrolment.end_date + dt.timedelta(days=1), renewed_from=enrolment,
                            acting_user=acting_user)


@transaction.atomic
def enrolment_cancel(*, enrolment: Enrolment, reason: str, refund: Decimal = Decimal(0), acting_user: User) -> Enrolment:
    _require(acting_user, Cap.SELL_PLANS)
    errors: dict[str, list[str]] = {}
    if not reason.strip():
        errors["reason"] = [_("Reason: required")]
    if refund < 0 or refund > enrolment.amount:
        errors["refund"] = [_("Refund: from 0 to the amount paid (%(amount)s yuan)") % {"amount": enrolment.amount}]
    if errors:
        raise ValidationError(errors)
    enrolment = Enrolment.objects.select_for_update().get(pk=enrolment.pk)
    if enrolment.status == EnrolmentStatus.CANCELLED:
        raise ValidationError({"enrolment": [_("Already cancelled.")]})
    enrolment.status, enrolment.cancelled_at, enrolment.cancel_reason = (
        EnrolmentStatus.CANCELLED, timezone.now(), reason.strip()[:200])
    enrolment.save(update_fields=["status", "cancelled_at", "cancel_reason"])
    if refund:
        ledger.record_refund(client=enrolment.client, date=timezone.localdate(), amount=refund,
                             note=reason.strip()[:200], source=f"plans.enrolment:{enrolment.pk}",
                             acting_user=acting_user)
    audit_record(actor=acting_user, action="plan.cancel", obj=enrolment, client=enrolment.client,
                 detail={"reason": reason.strip()[:200], "refund": str(refund)})
    return enrolment


@transaction.atomic
def group_enrolment_create(
    *, enterprise: Enterprise, plan: Plan, start_date: dt.date, members: list[Client], lectures_per_year: int | None,
    newsletter_copies: int = 0, acting_user: User, renewed_from: GroupEnrolment | None = None,
) -> GroupEnrolment:
    """An enterprise buys a group plan for its members (ARC-3); each member gets an enrolment and a ledger entry.

    The amount is the per-member price times the members, plus printed newsletter copies (per copy, per issue).
    """
    _require(acting_user, Cap.SELL_PLANS)
    errors: dict[str, list[str]] = {}
    if plan.audience != Audience.GROUP:
        errors["plan"] = [_("%(plan)s is not a group plan.") % {"plan": plan.name}]
    version = _version_for_sale(plan)
    lines = {ps.service.code: ps for ps in version.services.select_related("service")}
    if "lecture" in lines and lectures_per_year not in LECTURE_LEVELS:
        errors["lectures_per_year"] = [_("Lectures per year: choose a level from 1 to 4")]
    if newsletter_copies < 0:
        errors["newsletter_copies"] = [_("Printed copies: 0 or more")]
    if not members:
        errors["members"] = [_("Members: choose at least one member of the enterprise")]
    member_ids = set(enterprise.memberships.filter(left_on__isnull=True).values_list("client_id", flat=True))
    outside = [c.name for c in members if c.pk not in member_ids]
    if outside:
        errors["members"] = [_("Not members of %(e)s: %(names)s") % {"e": enterprise.name, "names": "、".join(outside)}]
    if errors:
        raise ValidationError(errors)
    newsletter = lines.get("newsletter")
    issues = newsletter.quota or 0 if newsletter else 0
    amount = version.price * len(members) + version.newsletter_copy_price * newsletter_copies * issues
    group = GroupEnrolment.objects.create(
        enterprise=enterprise, version=version, start_date=start_date, end_date=service_year_end(start_date),
        lectures_per_year=lectures_per_year if "lecture" in lines else None, newsletter_copies=newsletter_copies,
        amount=amount, renewed_from=renewed_from, created_by=acting_user)
    for client in members:
        enrolment_create(client=client, plan=plan, start_date=start_date, group=group, amount=version.price,
                         note=_("%(plan)s through %(e)s") % {"plan": plan.name, "e": enterprise.name},
                         acting_user=acting_user)
    audit_record(actor=acting_user, action="plan.enrol_group", obj=group,
                 detail={"enterprise": enterprise.pk, "plan": plan.code, "members": len(members),
                         "amount": str(amount), "lectures_per_year": lectures_per_year,
                         "newsletter_copies": newsletter_copies})
    return group


@transaction.atomic
def group_enrolment_cancel(*, group: GroupEnrolment, reason: str, acting_user: User) -> GroupEnrolment:
    _require(acting_user, Cap.SELL_PLANS)
    if not reason.strip():
        raise ValidationError({"reason": [_("Reason: required")]})
    group = GroupEnrolment.objects.select_for_update().get(pk=group.pk)
    if group.status == EnrolmentStatus.CANCELLED:
        raise ValidationError({"group": [_("Already cancelled.")]})
    now = timezone.now()
    group.status, group.cancelled_at = EnrolmentStatus.CANCELLED, now
    group.save(update_fields=["status", "cancelled_at"])
    group.members.filter(status=EnrolmentStatus.ACTIVE).update(status=EnrolmentStatus.CANCELLED, cancelled_at=now,
                                                               cancel_reason=reason.strip()[:200])
    audit_record(actor=acting_user, action="plan.cancel_group", obj=group, detail={"reason": reason.strip()[:200]})
    return group


# --- entitlements -----------------------------------------------------------------------------------


def effective_quota(line: PlanService, holder: Enrolment | GroupEnrolment) -> int | None:
    if line.period == Period.UNLIMITED:
        return None
    group = holder if isinstance(holder, GroupEnrolment) else holder.group
    if line.service.code == "lecture" and group is not None and group.lectures_per_year:
        return group.lectures_per_year
    return line.quota


def period_of(line: PlanService, holder: Enrolment | GroupEnrolment, day: dt.date) -> tuple[dt.date, dt.date]:
    if line.period == Period.MONTH:
        begin, end = service_month(holder.start_date, day)
        return begin, min(end, holder.end_date)
    return holder.start_date, holder.end_date


def period_label(line: PlanService, begin: dt.date, end: dt.date) -> str:
    if line.period == Period.MONTH:
        return _("service month %(a)s to %(b)s") % {"a": begin.isoformat(), "b": end.isoformat()}
    if line.period == Period.YEAR:
        return _("service year %(a)s to %(b)s") % {"a": begin.isoformat(), "b": end.isoformat()}
    return _("unlimited")


def _used(holder: Enrolment | GroupEnrolment, service: Service, begin: dt.date) -> int:
    field = "group" if isinstance(holder, GroupEnrolment) else "enrolment"
    return EntitlementUse.objects.filter(**{field: holder}, service=service, period_start=begin,
                                         released_at__isnull=True).count()


def current_enrolments_q(day: dt.date) -> Q:
    return Q(status=EnrolmentStatus.ACTIVE, start_date__lte=day, end_date__gte=day)


@transaction.atomic
def entitlement_use(
    *, client: Client, service: str, date: dt.date, acting_user: User, source: str = "", note: str = "",
    check_permission: bool = True,
) -> EntitlementUse:
    """Use one unit of ``service`` on ``date`` under one of the client's current plans, or refuse.

    The client's current enrolments are locked (SELECT … FOR UPDATE; on SQLite the write transaction is
    exclusive) before counting, so two uses of the last unit cannot both pass.
    """
    if check_permission:
        _require(acting_user, Cap.USE_ENTITLEMENTS)
    svc = Service.objects.filter(code=service).first()
    if svc is None:
        raise ValidationError({"service": [_("Unknown service: %(code)s") % {"code": service}]})
    if service == "subscription_change":
        raise ValidationError({"service": [_(
            "Subscription changes are counted when the client's reminder subscriptions change.")]})
    enrolments = list(Enrolment.objects.select_for_update().filter(current_enrolments_q(date), client=client)
                      .order_by("end_date", "id"))
    lines = {ps.version_id: ps for ps in PlanService.objects.filter(
        version__in={e.version_id for e in enrolments}, service=svc, per_group=False).select_related("service")}
    candidates = [(e, lines[e.version_id]) for e in enrolments if e.version_id in lines]
    if not candidates:
        raise EntitlementRefused(_("%(service)s is not included in the client's current plans.") % {
            "service": svc.name}, code="not_included", service=service)
    refusal = ""
    for enrolment, line in candidates:
        quota = effective_quota(line, enrolment)
        begin, end = period_of(line, enrolment, date)
        if quota is not None and _used(enrolment, svc, begin) >= quota:
            refusal = refusal or _(
                "%(service)s: the quota of %(quota)d per %(unit)s is used up (%(period)s).") % {
                "service": svc.name, "quota": quota, "unit": _unit(line), "period": period_label(line, begin, end)}
            continue
        use = EntitlementUse.objects.create(enrolment=enrolment, service=svc, used_on=date, period_start=begin,
                                            period_end=end, source=source[:60], note=note[:200],
                                            by=acting_user if getattr(acting_user, "pk", None) else None)
        audit_record(actor=acting_user, action="plan.entitlement_use", obj=use, client=client,
                     detail={"service": service, "enrolment": enrolment.pk, "date": date.isoformat(),
                             "source": source})
        return use
    raise EntitlementRefused(refusal, code="exhausted", service=service)


def _unit(line: PlanService) -> str:
    return _("service month") if line.period == Period.MONTH else _("service year")


def entitlement_use_if_covered(*, client: Client, service: str, date: dt.date, acting_user: User,
                               source: str) -> EntitlementUse | None:
    """For features that are the service (an assessment issued, a checkup booked): draw on the plan when it
    covers the service and has units left; otherwise the feature goes ahead outside the plan."""
    try:
        with transaction.atomic():
            return entitlement_use(client=client, service=service, date=date, acting_user=acting_user,
                                   source=source, check_permission=False)
    except EntitlementRefused:
        return None


@transaction.atomic
def entitlement_release(*, source: str, acting_user: User) -> int:
    """Give back the units recorded for ``source`` (a cancelled booking)."""
    uses = list(EntitlementUse.objects.select_for_update().filter(source=source, released_at__isnull=True))
    if uses:
        EntitlementUse.objects.filter(pk__in=[u.pk for u in uses]).update(released_at=timezone.now())
        audit_record(actor=acting_user, action="plan.entitlement_release", detail={"source": source, "uses": len(uses)},
                     object_type="plans.entitlementuse", object_id=",".join(str(u.pk) for u in uses))
    return len(uses)


@transaction.atomic
def group_entitlement_use(*, group: GroupEnrolment, service: str, date: dt.date, acting_user: User,
                          copies: int | None = None, note: str = "") -> EntitlementUse:
    """A service the enterprise uses as a whole (lecture, group assessment, newsletter issue)."""
    _require(acting_user, Cap.USE_ENTITLEMENTS)
    group = GroupEnrolment.objects.select_for_update().get(pk=group.pk)
    line = group.version.services.select_related("service").filter(service__code=service, per_group=True).first()
    if line is None or group.status != EnrolmentStatus.ACTIVE or not group.start_date <= date <= group.end_date:
        raise EntitlementRefused(_("%(service)s is not included in this enterprise plan on %(date)s.") % {
            "service": service, "date": date.isoformat()}, code="not_included", service=service)
    quota = effective_quota(line, group)
    begin, end = period_of(line, group, date)
    if quota is not None and _used(group, line.service, begin) >= quota:
        raise EntitlementRefused(_("%(service)s: the quota of %(quota)d per %(unit)s is used up (%(period)s).") % {
            "service": line.service.name, "quota": quota, "unit": _unit(line),
            "period": period_label(line, begin, end)}, code="exhausted", service=service)
    if service == "newsletter":
        copies = group.newsletter_copies if copies is None else copies
        if copies > group.newsletter_copies:
            raise ValidationError({"copies": [_("Copies: at most %(n)d printed copies per issue were bought") % {
                "n": group.newsletter_copies}]})
    use = EntitlementUse.objects.create(group=group, service=line.service, used_on=date, period_start=begin,
                                        period_end=end, copies=copies or 1, note=note[:200], by=acting_user)
    audit_record(actor=acting_user, action="plan.group_entitlement_use", obj=use,
                 detail={"group": group.pk, "service": service, "copies": use.copies})
    return use


def printed_copies(group: GroupEnrolment) -> int:
    return int(group.uses.filter(service__code="newsletter", released_at__isnull=True)
               .aggregate(n=Sum("copies"))["n"] or 0)


# --- family doctor -----------------------------------------------------------------------------------


@transaction.atomic
def family_doctor_choose(*, client: Client, doctor: User, acting_user: User, reason: str = "") -> Client:
    """A client chooses one family doctor (seed 004); the assignment history of ARC-2 keeps the old ones."""
    profile = FamilyDoctor.objects.filter(user=doctor, active=True).first()
    if profile is None:
        raise ValidationError({"doctor": [_("%(name)s is not on the family-doctor roster.") % {"name": doctor}]})
    return client_assign(acting_user=acting_user, client=client, kind=AssignmentKind.FAMILY_DOCTOR, staff=doctor,
                         reason=reason or profile.get_kind_display())


def _require_family_doctor(client: Client, acting_user: User) -> FamilyDoctor:
    _require(acting_user, Cap.CONSULT)
    profile = FamilyDoctor.objects.filter(user=acting_user, active=True).select_related("hospital").first()
    if profile is None or client.family_doctor_id != acting_user.pk:
        raise PermissionDenied(_("Only the client's family doctor may do this."))
    return profile


@transaction.atomic
def consultation_record(*, client: Client, at: dt.datetime, complaint: str, advice: str, referral: str = "",
                        channel: str = "phone", acting_user: User) -> Consultation:
    """The family doctor's consultation record; a part-time doctor's uses the monthly quota."""
    profile = _require_family_doctor(client, acting_user)
    errors: dict[str, list[str]] = {}
    if not complaint.strip():
        errors["complaint"] = [_("Complaint: required")]
    if not advice.strip():
        errors["advice"] = [_("Advice: required")]
    if timezone.is_naive(at):
        errors["at"] = [_("Give a time with its UTC offset.")]
    if errors:
        raise ValidationError(errors)
    service = "family_doctor_parttime" if profile.kind == DoctorKind.PARTTIME else "family_doctor_fulltime"
    use = entitlement_use(client=client, service=service, date=timezone.localtime(at).date(), acting_user=acting_user,
                          source="plans.consultation", check_permission=False)
    consultation = Consultation.objects.create(client=client, doctor=acting_user, doctor_kind=profile.kind, at=at,
                                               channel=channel, complaint=complaint.strip(), advice=advice.strip(),
                                               referral=referral.strip()[:200], use=use)
    audit_record(actor=acting_user, action="plan.consultation", obj=consultation, client=client,
                 detail={"kind": profile.kind})
    return consultation


# --- green channel -----------------------------------------------------------------------------------


@transaction.atomic
def green_channel_book(*, client: Client, kind: str, department: Department, wanted_at: dt.datetime,
                       session: ClinicSession | None = None, note: str = "", acting_user: User) -> GreenChannelBooking:
    """The family doctor books an outpatient appointment or an admission at a partner hospital (PLN-6)."""
    _require_family_doctor(client, acting_user)
    errors: dict[str, list[str]] = {}
    if kind not in BookingKind.values:
        errors["kind"] = [_("must be one of: %(values)s") % {"values": ", ".join(BookingKind.values)}]
    hospital: PartnerHospital = department.hospital
    if not hospital.active or not hospital.green_channel:
        errors["department"] = [_("%(h)s has no green-channel agreement.") % {"h": hospital.name}]
    if session is not None and session.department_id != department.pk:
        errors["session"] = [_("This clinic time belongs to another department.")]
    if timezone.is_naive(wanted_at):
        errors["wanted_at"] = [_("Give a time with its UTC offset.")]
    if errors:
        raise ValidationError(errors)
    use = entitlement_use(client=client, service="green_channel", date=timezone.localtime(wanted_at).date(),
                          acting_user=acting_user, source="plans.green_channel", check_permission=False)
    booking = GreenChannelBooking.objects.create(client=client, kind=kind, hospital=hospital, department=department,
                                                 session=session, wanted_at=wanted_at, note=note[:200],
                                                 booked_by=acting_user, use=use)
    audit_record(actor=acting_user, action="plan.green_channel_book", obj=booking, client=client,
                 detail={"kind": kind, "hospital": hospital.pk, "department": department.pk})
    return booking


ALLOWED_MOVES = {
    BookingStatus.REQUESTED: {BookingStatus.CONFIRMED, BookingStatus.CANCELLED},
    BookingStatus.CONFIRMED: {BookingStatus.DONE, BookingStatus.CANCELLED},
}


@transaction.atomic
def green_channel_set_status(*, booking: GreenChannelBooking, status: str, acting_user: User) -> GreenChannelBooking:
    """Confirm (the client is told through the outbox), mark done, or cancel."""
    _require(acting_user, Cap.USE_ENTITLEMENTS)
    booking = GreenChannelBooking.objects.select_for_update().select_related("client", "hospital", "department").get(
        pk=booking.pk)
    allowed = ALLOWED_MOVES.get(BookingStatus(booking.status), set())
    if status not in allowed:
        raise ValidationError({"status": [_("Cannot go from %(a)s to %(b)s.") % {
            "a": BookingStatus(booking.status).label,
            "b": BookingStatus(status).label if status in BookingStatus.values else status}]})
    old = booking.status
    booking.status = status
    fields = ["status", "changed_at"]
    detail: dict[str, Any] = {"from": old, "to": status}
    if status == BookingStatus.CONFIRMED:
        from careloop.messaging.services import message_enqueue

        result = message_enqueue(
            client=booking.client, purpose="appointment_confirmation",
            context={"appointment_time": timezone.localtime(booking.wanted_at).strftime("%Y-%m-%d %H:%M"),
                     "place": f"{booking.hospital.name}{booking.department.name}",
                     "notes": booking.note or _("Green channel: please bring your ID card.")},
            cause=f"plans.green_channel:{booking.pk}", acting_user=acting_user)
        if result.message is not None:
            booking.message_id = result.message.pk
            fields.append("message_id")
        detail["message"] = booking.message_id or result.refused
    if status == BookingStatus.CANCELLED and booking.use_id:
        EntitlementUse.objects.filter(pk=booking.use_id).update(released_at=timezone.now())
    booking.save(update_fields=fields)
    audit_record(actor=acting_user, action="plan.green_channel_status", obj=booking, client=booking.client,
                 detail=detail)
    return booking
