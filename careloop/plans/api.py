"""API of careloop.plans (CONTRACT: /plans/, /clients/{id}/plans/, /clients/{id}/entitlements/ and the rest)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, cast

from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from careloop.audit.services import audit_record
from careloop.clients.models import Client, Enterprise
from careloop.clients.selectors import client_for, clients_visible_to
from careloop.org.models import User
from careloop.org.permissions import Cap, user_can
from careloop.org.selectors import subtree_q
from careloop.plans import selectors, services
from careloop.plans.models import (
    Audience,
    BookingKind,
    BookingStatus,
    ClinicSession,
    Consultation,
    Department,
    Enrolment,
    GreenChannelBooking,
    GroupEnrolment,
    Period,
    Plan,
    PlanVersion,
)


def _user(request: Request) -> User:
    return cast(User, request.user)


def _refused(exc: services.EntitlementRefused) -> Response:
    return Response({"service": [exc.message], "code": exc.code}, status=status.HTTP_409_CONFLICT)


# --- plans ---------------------------------------------------------------------------------------------


class ServiceLineSerializer(serializers.Serializer):
    service = serializers.CharField()
    quota = serializers.IntegerField(allow_null=True, required=False, min_value=1)
    period = serializers.ChoiceField(choices=Period.choices)
    per_group = serializers.BooleanField(required=False, default=False)


class PlanSerializer(serializers.Serializer):
    code = serializers.CharField(max_length=40)
    name = serializers.CharField(max_length=60)
    audience = serializers.ChoiceField(choices=Audience.choices, default=Audience.INDIVIDUAL)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    active = serializers.BooleanField(required=False, default=True)
    version = serializers.IntegerField(read_only=True)
    price = serializers.DecimalField(max_digits=10, decimal_places=2, min_value=0)
    newsletter_copy_price = serializers.DecimalField(max_digits=8, decimal_places=2, min_value=0, required=False,
                                                     default=Decimal(0))
    archive_level = serializers.IntegerField(min_value=1, max_value=3)
    services = ServiceLineSerializer(many=True)
    note = serializers.CharField(required=False, allow_blank=True, default="", write_only=True)


def _plan_data(plan: Plan, version: PlanVersion | None) -> dict[str, Any]:
    return {
        "code": plan.code, "name": plan.name, "audience": plan.audience, "description": plan.description,
        "active": plan.active, "version": version.number if version else None,
        "price": str(version.price) if version else None,
        "newsletter_copy_price": str(version.newsletter_copy_price) if version else None,
        "archive_level": version.archive_level if version else None,
        "services": [{"service": ps.service.code, "name": ps.service.name, "quota": ps.quota, "period": ps.period,
                      "per_group": ps.per_group} for ps in (version.services.all() if version else [])],
    }


def _lines(data: Any) -> list[services.ServiceLine]:
    return [services.ServiceLine(service=line["service"], quota=line.get("quota"), period=line["period"],
                                 per_group=line.get("per_group", False)) for line in data["services"]]


def _require_staff(request: Request) -> User:
    user = _user(request)
    if not (user_can(user, Cap.VIEW_CLIENTS) or user_can(user, Cap.MANAGE_PLANS)):
        raise PermissionDenied(_("Your role does not allow this."))
    return user


class PlanList(APIView):
    """Plan definitions (data): each plan's current version. POST adds a plan (administrators)."""

    @extend_schema(responses={200: PlanSerializer(many=True)})
    def get(self, request: Request) -> Response:
        _require_staff(request)
        return Response([_plan_data(p, v) for p, v in selectors.plans_catalogue()])

    @extend_schema(request=PlanSerializer, responses={201: PlanSerializer})
    def post(self, request: Request) -> Response:
        incoming = PlanSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data: Any = incoming.validated_data
        version = services.plan_version_create(
            plan=None, code=data["code"], name=data["name"], audience=data["audience"],
            description=data["description"], price=data["price"], archive_level=data["archive_level"],
            newsletter_copy_price=data["newsletter_copy_price"], services=_lines(data), note=data["note"],
            active=data["active"], acting_user=_user(request))
        return Response(_plan_data(version.plan, version), status=status.HTTP_201_CREATED)


class PlanDetail(APIView):
    """One plan; PUT writes its next version (existing enrolments keep the version they bought)."""

    @extend_schema(responses={200: PlanSerializer})
    def get(self, request: Request, code: str) -> Response:
        _require_staff(request)
        plan = get_object_or_404(Plan, code=code)
        return Response(_plan_data(plan, services.current_version(plan)))

    @extend_schema(request=PlanSerializer, responses={200: PlanSerializer})
    def put(self, request: Request, code: str) -> Response:
        plan = get_object_or_404(Plan, code=code)
        if not isinstance(request.data, dict):
            raise ValidationError({"non_field_errors": [_("Send a JSON object.")]})
        incoming = PlanSerializer(data={**request.data, "code": code})
        incoming.is_valid(raise_exception=True)
        data: Any = incoming.validated_data
        version = services.plan_version_create(
            plan=plan, name=data["name"], description=data["description"], price=data["price"],
            archive_level=data["archive_level"], newsletter_copy_price=data["newsletter_copy_price"],
            services=_lines(data), note=data["note"], active=data["active"], acting_user=_user(request))
        plan.refresh_from_db()
        return Response(_plan_data(plan, version))


# --- enrolments ---------------------------------------------------------------------------------------


class EnrolmentSerializer(serializers.ModelSerializer):
    plan = serializers.CharField(source="version.plan.code", read_only=True)
    plan_name = serializers.CharField(source="version.plan.name", read_only=True)
    version = serializers.IntegerField(source="version.number", read_only=True)
    archive_level = serializers.IntegerField(source="version.archive_level", read_only=True)
    enterprise = serializers.SerializerMethodField()

    class Meta:
        model = Enrolment
        fields = ["id", "plan", "plan_name", "version", "archive_level", "start_date", "end_date", "status", "amount",
                  "enterprise", "renewed_from", "cancel_reason"]

    def get_enterprise(self, enrolment: Enrolment) -> int | None:
        return enrolment.group.enterprise_id if enrolment.group_id else None  # type: ignore[union-attr]


class EnrolSerializer(serializers.Serializer):
    plan = serializers.CharField(help_text="plan code")
    start_date = serializers.DateField()


def _client(request: Request, client_id: int, cap: Cap = Cap.VIEW_CLIENTS) -> Client:
    client = client_for(_user(request), client_id, cap=cap)
    return client


def _plan(code: str) -> Plan:
    plan = Plan.objects.filter(code=code).first()
    if plan is None:
        raise ValidationError({"plan": [_("No plan with code %(code)s") % {"code": code}]})
    return plan


class ClientPlans(APIView):
    """GET the client's enrolments; POST enrols (one service year from start_date; the purchase goes to the ledger)."""

    @extend_schema(responses={200: EnrolmentSerializer(many=True)})
    def get(self, request: Request, client_id: int) -> Response:
        client = _client(request, client_id)
        audit_record(actor=request.user, action="plan.view", obj=client, client=client)
        return Response(EnrolmentSerializer(selectors.enrolments_of(client), many=True).data)

    @extend_schema(request=EnrolSerializer, responses={201: EnrolmentSerializer})
    def post(self, request: Request, client_id: int) -> Response:
        client = _client(request, client_id)
        incoming = EnrolSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data: Any = incoming.validated_data
        enrolment = services.enrolment_create(client=client, plan=_plan(data["plan"]), start_date=data["start_date"],
                                              acting_user=_user(request))
        return Response(EnrolmentSerializer(selectors.enrolments_of(client).get(pk=enrolment.pk)).data,
                        status=status.HTTP_201_CREATED)


class CancelSerializer(serializers.Serializer):
    reason = serializers.CharField()
    refund = serializers.DecimalField(max_digits=12, decimal_places=2, required=False, default=Decimal(0), min_value=0)


class EnrolmentRenew(APIView):
    @extend_schema(request=None, responses={201: EnrolmentSerializer})
    def post(self, request: Request, client_id: int, pk: int) -> Response:
        client = _client(request, client_id)
        enrolment = get_object_or_404(Enrolment, pk=pk, client=client)
        renewed = services.enrolment_renew(enrolment=enrolment, acting_user=_user(request))
        return Response(EnrolmentSerializer(selectors.enrolments_of(client).get(pk=renewed.pk)).data,
                        status=status.HTTP_201_CREATED)


class EnrolmentCancel(APIView):
    @extend_schema(request=CancelSerializer, responses={200: EnrolmentSerializer})
    def post(self, request: Request, client_id: int, pk: int) -> Response:
        client = _client(request, client_id)
        enrolment = get_object_or_404(Enrolment, pk=pk, client=client)
        incoming = CancelSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data: Any = incoming.validated_data
        services.enrolment_cancel(enrolment=enrolment, reason=data["reason"], refund=data["refund"],
                                  acting_user=_user(request))
        return Response(EnrolmentSerializer(selectors.enrolments_of(client).get(pk=pk)).data)


# --- entitlements -------------------------------------------------------------------------------------


class EntitlementSerializer(serializers.Serializer):
    service = serializers.CharField()
    name = serializers.CharField()
    quota = serializers.IntegerField(allow_null=True)
    used = serializers.IntegerField()
    remaining = serializers.IntegerField(allow_null=True)
    period = serializers.ChoiceField(choices=Period.choices)
    period_start = serializers.DateField()
    period_end = serializers.DateField()
    plan = serializers.CharField()
    enrolment = serializers.IntegerField()


class UseSerializer(serializers.Serializer):
    service = serializers.CharField()
    date = serializers.DateField(required=False)
    note = serializers.CharField(required=False, allow_blank=True, default="")


class UseResultSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    service = serializers.CharField()
    date = serializers.DateField()
    enrolment = serializers.IntegerField()
    period_start = serializers.DateField()
    period_end = serializers.DateField()


class ClientEntitlements(APIView):
    """GET quota/used/remaining per service of the client's current plans; POST uses one (409 when refused)."""

    @extend_schema(responses={200: EntitlementSerializer(many=True)})
    def get(self, request: Request, client_id: int) -> Response:
        client = _client(request, client_id)
        audit_record(actor=request.user, action="plan.entitlements_view", obj=client, client=client)
        rows = selectors.entitlements_of(client, timezone.localdate())
        return Response(EntitlementSerializer(rows, many=True).data)

    @extend_schema(request=UseSerializer, responses={201: UseResultSerializer, 409: inline_serializer(
        "EntitlementRefusal", {"service": serializers.ListField(child=serializers.CharField()),
                               "code": serializers.CharField()})})
    def post(self, request: Request, client_id: int) -> Response:
        client = _client(request, client_id)
        incoming = UseSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data: Any = incoming.validated_data
        day = data.get("date") or timezone.localdate()
        try:
            use = services.entitlement_use(client=client, service=data["service"], date=day, note=data["note"],
                                           source="api", acting_user=_user(request))
        except services.EntitlementRefused as exc:
            return _refused(exc)
        return Response({"id": use.pk, "service": data["service"], "date": use.used_on, "enrolment": use.enrolment_id,
                         "period_start": use.period_start, "period_end": use.period_end},
                        status=status.HTTP_201_CREATED)


class ArchiveDepthSerializer(serializers.Serializer):
    level = serializers.IntegerField(allow_null=True)
    plans = serializers.ListField(child=serializers.CharField())
    sections = inline_serializer("ArchiveSectionRow", {
        "code": serializers.CharField(), "name": serializers.CharField(), "level": serializers.IntegerField(),
        "included": serializers.BooleanField()}, many=True)
    not_included = serializers.ListField(child=serializers.CharField())


class ClientArchiveDepth(APIView):
    """ARC-5: the archive level of the client's current plans and which sections it covers."""

    @extend_schema(responses={200: ArchiveDepthSerializer})
    def get(self, request: Request, client_id: int) -> Response:
        client = _client(request, client_id)
        depth = selectors.archive_depth(client, timezone.localdate())
        return Response({"level": depth.level, "plans": depth.plans,
                         "sections": [s.__dict__ for s in depth.sections],
                         "not_included": [s.code for s in depth.missing]})


# --- enterprises -----------------------------------------------------------------------------------


class GroupEnrolmentSerializer(serializers.ModelSerializer):
    plan = serializers.CharField(source="version.plan.code", read_only=True)
    version = serializers.IntegerField(source="version.number", read_only=True)
    members = serializers.IntegerField(source="member_count", read_only=True)

    class Meta:
        model = GroupEnrolment
        fields = ["id", "enterprise", "plan", "version", "start_date", "end_date", "status", "lectures_per_year",
                  "newsletter_copies", "amount", "members"]


class GroupEnrolSerializer(serializers.Serializer):
    enterprise = serializers.IntegerField()
    plan = serializers.CharField(default="maintenance_group")
    start_date = serializers.DateField()
    members = serializers.ListField(child=serializers.IntegerField(), allow_empty=False)
    lectures_per_year = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=4)
    newsletter_copies = serializers.IntegerField(required=False, default=0, min_value=0)


class EnterprisePlans(APIView):
    """Enterprise (group) enrolments (ARC-3). POST: an enterprise buys a group plan for the given members."""

    @extend_schema(responses={200: GroupEnrolmentSerializer(many=True)})
    def get(self, request: Request) -> Response:
        user = _require_staff(request)
        return Response(GroupEnrolmentSerializer(selectors.group_enrolments_visible_to(user), many=True).data)

    @extend_schema(request=GroupEnrolSerializer, responses={201: GroupEnrolmentSerializer})
    def post(self, request: Request) -> Response:
        user = _user(request)
        incoming = GroupEnrolSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data: Any = incoming.validated_data
        enterprise = Enterprise.objects.filter(subtree_q(user, "branch"), pk=data["enterprise"]).first()
        if enterprise is None:
            raise ValidationError({"enterprise": [_("No such enterprise.")]})
        members = list(clients_visible_to(user).filter(pk__in=data["members"]))
        missing = sorted(set(data["members"]) - {c.pk for c in members})
        if missing:
            raise ValidationError({"members": [_("No such client: %(ids)s") % {"ids": ", ".join(map(str, missing))}]})
        group = services.group_enrolment_create(
            enterprise=enterprise, plan=_plan(data["plan"]), start_date=data["start_date"], members=members,
            lectures_per_year=data.get("lectures_per_year"), newsletter_copies=data["newsletter_copies"],
            acting_user=user)
        return Response(GroupEnrolmentSerializer(selectors.group_enrolments_visible_to(user).get(pk=group.pk)).data,
                        status=status.HTTP_201_CREATED)


class GroupUseSerializer(serializers.Serializer):
    service = serializers.ChoiceField(choices=["lecture", "group_assessment", "newsletter"])
    date = serializers.DateField(required=False)
    copies = serializers.IntegerField(required=False, min_value=1)
    note = serializers.CharField(required=False, allow_blank=True, default="")


class EnterprisePlanUses(APIView):
    """A service the enterprise uses as a whole: a lecture, the group assessment, a newsletter issue (copies)."""

    @extend_schema(request=GroupUseSerializer, responses={201: UseResultSerializer})
    def post(self, request: Request, pk: int) -> Response:
        user = _user(request)
        group = get_object_or_404(selectors.group_enrolments_visible_to(user), pk=pk)
        incoming = GroupUseSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data: Any = incoming.validated_data
        try:
            use = services.group_entitlement_use(group=group, service=data["service"],
                                                 date=data.get("date") or timezone.localdate(),
                                                 copies=data.get("copies"), note=data["note"], acting_user=user)
        except services.EntitlementRefused as exc:
            return _refused(exc)
        return Response({"id": use.pk, "service": data["service"], "date": use.used_on, "enrolment": group.pk,
                         "period_start": use.period_start, "period_end": use.period_end},
                        status=status.HTTP_201_CREATED)


# --- family doctor, consultations, green channel ---------------------------------------------------


class FamilyDoctorSerializer(serializers.Serializer):
    doctor = serializers.IntegerField()
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class ClientFamilyDoctor(APIView):
    """POST: the client chooses one family doctor from the roster (history kept, ARC-2)."""

    @extend_schema(request=FamilyDoctorSerializer, responses={200: inline_serializer(
        "FamilyDoctorChoice", {"client": serializers.IntegerField(), "family_doctor": serializers.IntegerField()})})
    def post(self, request: Request, client_id: int) -> Response:
        client = _client(request, client_id)
        incoming = FamilyDoctorSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data: Any = incoming.validated_data
        doctor = User.objects.filter(pk=data["doctor"]).first()
        if doctor is None:
            raise ValidationError({"doctor": [_("No such staff member.")]})
        services.family_doctor_choose(client=client, doctor=doctor, reason=data["reason"], acting_user=_user(request))
        return Response({"client": client.pk, "family_doctor": doctor.pk})


class ConsultationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Consultation
        fields = ["id", "client", "doctor", "doctor_kind", "at", "channel", "complaint", "advice", "referral"]
        read_only_fields = ["id", "client", "doctor", "doctor_kind"]


class ClientConsultations(APIView):
    """Family-doctor consultation records (health data); POST by the client's family doctor."""

    @extend_schema(responses={200: ConsultationSerializer(many=True)})
    def get(self, request: Request, client_id: int) -> Response:
        client = _client(request, client_id, Cap.VIEW_RESULTS)
        audit_record(actor=request.user, action="plan.consultations_view", obj=client, client=client)
        return Response(ConsultationSerializer(client.consultations.all()[:200], many=True).data)

    @extend_schema(request=ConsultationSerializer, responses={201: ConsultationSerializer})
    def post(self, request: Request, client_id: int) -> Response:
        client = _client(request, client_id, Cap.VIEW_RESULTS)
        incoming = ConsultationSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data: Any = incoming.validated_data
        try:
            c = services.consultation_record(client=client, at=data["at"], complaint=data["complaint"],
                                             advice=data["advice"], referral=data.get("referral", ""),
                                             channel=data.get("channel", "phone"), acting_user=_user(request))
        except services.EntitlementRefused as exc:
            return _refused(exc)
        return Response(ConsultationSerializer(c).data, status=status.HTTP_201_CREATED)


class BookingSerializer(serializers.ModelSerializer):
    class Meta:
        model = GreenChannelBooking
        fields = ["id", "client", "kind", "hospital", "department", "session", "wanted_at", "note", "status",
                  "message_id", "booked_by"]
        read_only_fields = ["id", "client", "hospital", "status", "message_id", "booked_by"]


class BookingStatusSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=[BookingStatus.CONFIRMED, BookingStatus.DONE, BookingStatus.CANCELLED])


class ClientGreenChannel(APIView):
    """Green-channel bookings (PLN-6); POST by the client's family doctor."""

    @extend_schema(responses={200: BookingSerializer(many=True)})
    def get(self, request: Request, client_id: int) -> Response:
        client = _client(request, client_id, Cap.VIEW_RESULTS)
        audit_record(actor=request.user, action="plan.green_channel_view", obj=client, client=client)
        return Response(BookingSerializer(client.green_channel_bookings.all()[:200], many=True).data)

    @extend_schema(request=BookingSerializer, responses={201: BookingSerializer})
    def post(self, request: Request, client_id: int) -> Response:
        client = _client(request, client_id, Cap.VIEW_RESULTS)
        incoming = BookingSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data: Any = incoming.validated_data
        department: Department = data["department"]
        session: ClinicSession | None = data.get("session")
        try:
            booking = services.green_channel_book(
                client=client, kind=data.get("kind", BookingKind.APPOINTMENT), department=department,
                session=session, wanted_at=data["wanted_at"], note=data.get("note", ""), acting_user=_user(request))
        except services.EntitlementRefused as exc:
            return _refused(exc)
        return Response(BookingSerializer(booking).data, status=status.HTTP_201_CREATED)


class GreenChannelBookingDetail(APIView):
    @extend_schema(request=BookingStatusSerializer, responses={200: BookingSerializer})
    def patch(self, request: Request, pk: int) -> Response:
        user = _user(request)
        booking = get_object_or_404(GreenChannelBooking, pk=pk, client__in=clients_visible_to(user))
        incoming = BookingStatusSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        booking = services.green_channel_set_status(booking=booking, status=incoming.validated_data["status"],
                                                    acting_user=user)
        return Response(BookingSerializer(booking).data)


class PartnerHospitalSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    grade = serializers.CharField()
    address = serializers.CharField()
    phone = serializers.CharField()
    green_channel = serializers.BooleanField()
    departments = inline_serializer("PartnerDepartment", {
        "id": serializers.IntegerField(), "name": serializers.CharField(), "specialty": serializers.CharField(),
        "clinic_times": inline_serializer("ClinicTime", {
            "weekday": serializers.IntegerField(), "start": serializers.TimeField(), "end": serializers.TimeField(),
            "doctor_name": serializers.CharField(), "title": serializers.CharField()}, many=True)}, many=True)


class PartnerHospitals(APIView):
    """Partner hospitals with departments and clinic times; ``?specialty=`` filters departments."""

    @extend_schema(responses={200: PartnerHospitalSerializer(many=True)})
    def get(self, request: Request) -> Response:
        user = _require_staff(request)
        rows = selectors.partner_hospitals(branch=user.org_unit, specialty=request.query_params.get("specialty", ""))
        return Response(PartnerHospitalSerializer(rows, many=True).data)
