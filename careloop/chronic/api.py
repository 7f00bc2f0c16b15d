"""API of careloop.chronic: monitoring plans and logs (CONTRACT /monitoring-plans/, /monitoring-logs/)."""

from __future__ import annotations

from typing import Any, cast

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from careloop.accounts.auth import request_user
from careloop.audit.services import audit_record
from careloop.chronic import services
from careloop.chronic.models import (
    Condition,
    Frequency,
    MonitoringLog,
    MonitoringPlan,
    PlanIndicator,
    Reading,
    Referral,
)
from careloop.chronic.permissions import can_write, client_for_monitoring
from careloop.clients.selectors import clients_visible_to
from careloop.org.models import User
from careloop.org.permissions import Cap, user_can


class IndicatorSerializer(serializers.ModelSerializer):
    class Meta:
        model = PlanIndicator
        fields = ["code", "name", "unit", "method", "frequency", "target_low", "target_high", "alarm_low", "alarm_high",
                  "critical_low", "critical_high"]


class IndicatorInSerializer(serializers.Serializer):
    code = serializers.CharField(max_length=40)
    name = serializers.CharField(max_length=60, required=False)
    unit = serializers.CharField(max_length=20, required=False)
    method = serializers.CharField(max_length=200, required=False)
    frequency = serializers.ChoiceField(choices=Frequency.choices, required=False)
    target_low = serializers.FloatField(required=False, allow_null=True)
    target_high = serializers.FloatField(required=False, allow_null=True)
    alarm_low = serializers.FloatField(required=False, allow_null=True)
    alarm_high = serializers.FloatField(required=False, allow_null=True)


class MonitoringPlanSerializer(serializers.ModelSerializer):
    indicators = IndicatorSerializer(many=True, read_only=True)

    class Meta:
        model = MonitoringPlan
        fields = ["id", "client", "condition", "active", "created_at", "indicators"]


class MonitoringPlanInSerializer(serializers.Serializer):
    client = serializers.IntegerField()
    condition = serializers.ChoiceField(choices=Condition.choices)
    indicators = IndicatorInSerializer(many=True, required=False)


class ReadingSerializer(serializers.ModelSerializer):
    class Meta:
        model = Reading
        fields = ["code", "value", "in_target", "flag", "task_id"]


class MonitoringLogSerializer(serializers.ModelSerializer):
    readings = ReadingSerializer(many=True, read_only=True)

    class Meta:
        model = MonitoringLog
        fields = ["id", "client", "at", "diet", "exercise", "medication", "source", "readings", "created_at"]


class FlagSerializer(serializers.Serializer):
    code = serializers.CharField()
    value = serializers.FloatField()
    flag = serializers.CharField()
    critical = serializers.BooleanField()


class MonitoringLogCreatedSerializer(MonitoringLogSerializer):
    flags = FlagSerializer(many=True)
    tasks = serializers.ListField(child=serializers.IntegerField())

    class Meta(MonitoringLogSerializer.Meta):
        fields = [*MonitoringLogSerializer.Meta.fields, "flags", "tasks"]


class MonitoringLogInSerializer(serializers.Serializer):
    client = serializers.IntegerField()
    at = serializers.DateTimeField()
    readings = serializers.DictField(child=serializers.FloatField(), required=False)
    diet = serializers.CharField(required=False, allow_blank=True, max_length=2000)
    exercise = serializers.CharField(required=False, allow_blank=True, max_length=2000)
    medication = serializers.CharField(required=False, allow_blank=True, max_length=2000)


def _errors(exc: ValidationError) -> dict[str, Any]:
    if hasattr(exc, "message_dict"):
        return {k: [str(m) for m in v] for k, v in exc.message_dict.items()}
    return {"non_field_errors": [str(m) for m in exc.messages]}


def _scoped(request: Request, qs: QuerySet[Any], client_field: str = "client") -> QuerySet[Any]:
    user = cast(User, request.user)
    if not user_can(user, Cap.VIEW_RESULTS):
        raise PermissionDenied()
    qs = qs.filter(**{f"{client_field}__in": clients_visible_to(user)})
    client = request.query_params.get("client")
    if client:
        if not client.isdigit():
            raise serializers.ValidationError({"client": [_("must be a client id")]})
        qs = qs.filter(**{f"{client_field}_id": int(client)})
        audit_record(actor=user, action="chronic.read", client=int(client), detail={"what": qs.model.__name__})
    return qs


class MonitoringPlanList(generics.ListCreateAPIView):
    serializer_class = MonitoringPlanSerializer

    def get_queryset(self) -> QuerySet[MonitoringPlan]:
        return _scoped(self.request, MonitoringPlan.objects.prefetch_related("indicators"))

    @extend_schema(request=MonitoringPlanInSerializer, responses={201: MonitoringPlanSerializer})
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = MonitoringPlanInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        client = client_for_monitoring(request.user, v["client"], write=True)
        # validated_data holds only the keys given: omitted targets take the guideline defaults.
        indicators = [dict(item) for item in v.get("indicators") or []] or None
        try:
            plan = services.monitoring_plan_create(client=client, condition=v["condition"], indicators=indicators,
                                                   acting_user=request_user(request))
        except ValidationError as exc:
            return Response(_errors(exc), status=400)
        return Response(MonitoringPlanSerializer(plan).data, status=status.HTTP_201_CREATED)


class MonitoringPlanDetail(generics.RetrieveAPIView):
    serializer_class = MonitoringPlanSerializer

    def get_queryset(self) -> QuerySet[MonitoringPlan]:
        return _scoped(self.request, MonitoringPlan.objects.prefetch_related("indicators"))


class MonitoringLogList(generics.ListCreateAPIView):
    serializer_class = MonitoringLogSerializer

    def get_queryset(self) -> QuerySet[MonitoringLog]:
        return _scoped(self.request, MonitoringLog.objects.prefetch_related("readings"))

    @extend_schema(request=MonitoringLogInSerializer, responses={201: MonitoringLogCreatedSerializer})
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = MonitoringLogInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        client = client_for_monitoring(request.user, v["client"], write=True)
        try:
            result = services.monitoring_log_create(
                client=client, at=v["at"], readings=v.get("readings"), diet=v.get("diet", ""),
                exercise=v.get("exercise", ""), medication=v.get("medication", ""), acting_user=request_user(request))
        except ValidationError as exc:
            return Response(_errors(exc), status=400)
        body = dict(MonitoringLogSerializer(result.log).data)
        body["readings"] = ReadingSerializer(result.readings, many=True).data
        body["flags"], body["tasks"] = result.flags, result.tasks
        return Response(body, status=status.HTTP_201_CREATED)


class MonitoringLogDetail(generics.RetrieveAPIView):
    serializer_class = MonitoringLogSerializer

    def get_queryset(self) -> QuerySet[MonitoringLog]:
        return _scoped(self.request, MonitoringLog.objects.prefetch_related("readings"))


class MonitoringLogBatchInSerializer(serializers.Serializer):
    logs = MonitoringLogInSerializer(many=True, max_length=1000, allow_empty=False)  # type: ignore[call-arg]


class MonitoringLogBatchOutSerializer(serializers.Serializer):
    logs = serializers.IntegerField()
    readings = serializers.IntegerField()
    flags = serializers.IntegerField()
    tasks = serializers.ListField(child=serializers.IntegerField())


class MonitoringLogBatch(APIView):
    """POST up to 1,000 logs at once (devices, partner systems); all or nothing, errors by index."""

    @extend_schema(request=MonitoringLogBatchInSerializer, responses={201: MonitoringLogBatchOutSerializer})
    def post(self, request: Request) -> Response:
        data = MonitoringLogBatchInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        items = data.validated_data["logs"]
        user = cast(User, request.user)
        if not can_write(user):
            raise PermissionDenied()
        ids = {item["client"] for item in items}
        clients = {c.pk: c for c in clients_visible_to(user).filter(pk__in=ids).select_related("branch")}
        missing = sorted(ids - clients.keys())
        if missing:
            return Response({"logs": [_("No such client in your scope: %(ids)s") % {
                "ids": ", ".join(map(str, missing[:20]))}]}, status=400)
        inputs = [services.LogInput(client=clients[item["client"]], at=item["at"], readings=item.get("readings"),
                                    diet=item.get("diet", ""), exercise=item.get("exercise", ""),
                                    medication=item.get("medication", "")) for item in items]
        try:
            results = services.monitoring_logs_ingest(items=inputs, acting_user=user)
        except ValidationError as exc:
            return Response({f"logs{k}" if k.startswith("[") else k: v for k, v in _errors(exc).items()}, status=400)
        return Response({"logs": len(results), "readings": sum(len(r.readings) for r in results),
                         "flags": sum(len(r.flags) for r in results), "tasks": [t for r in results for t in r.tasks]},
                        status=status.HTTP_201_CREATED)


class ReferralSerializer(serializers.ModelSerializer):
    hospital_name = serializers.CharField(source="hospital_label", read_only=True)
    department_name = serializers.CharField(source="department_label", read_only=True)

    class Meta:
        model = Referral
        fields = ["id", "client", "hospital", "hospital_name", "department", "department_name", "expert",
                  "clinic_time", "reason", "note", "created_at"]


class ReferralInSerializer(serializers.Serializer):
    client = serializers.IntegerField()
    hospital = serializers.IntegerField(help_text="A partner hospital of the client's branch (GET /partner-hospitals/).")
    department = serializers.IntegerField(required=False, allow_null=True,
                                          help_text="One of that hospital's departments.")
    expert = serializers.CharField(required=False, allow_blank=True, max_length=60)
    clinic_time = serializers.CharField(required=False, allow_blank=True, max_length=100)
    reason = serializers.CharField(max_length=2000)


class ReferralList(generics.ListCreateAPIView):
    """Referrals to partner-hospital experts; ``?client=`` filters. POST refers a client (400 names the field
    when the hospital is not a partner of the client's branch or the department not one of its own)."""

    serializer_class = ReferralSerializer

    def get_queryset(self) -> QuerySet[Referral]:
        return _scoped(self.request, Referral.objects.select_related("hospital", "department"))

    @extend_schema(request=ReferralInSerializer, responses={201: ReferralSerializer})
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = ReferralInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        client = client_for_monitoring(request.user, v["client"], write=True)
        try:
            referral = services.referral_create(
                client=client, hospital=v["hospital"], department=v.get("department"), reason=v["reason"],
                expert=v.get("expert", ""), clinic_time=v.get("clinic_time", ""), acting_user=request_user(request))
        except ValidationError as exc:
            return Response(_errors(exc), status=400)
        return Response(ReferralSerializer(referral).data, status=status.HTTP_201_CREATED)


class ScreeningFlagSerializer(serializers.Serializer):
    condition = serializers.ChoiceField(choices=Condition.choices)
    condition_label = serializers.CharField()
    reasons = serializers.ListField(child=serializers.CharField())


class ScreeningCandidateSerializer(serializers.Serializer):
    client = serializers.IntegerField(source="client.pk")
    name = serializers.CharField(source="client.name")
    branch = serializers.CharField(source="client.branch.name")
    answered_on = serializers.DateField()
    flags = ScreeningFlagSerializer(many=True)


class ScreeningEnrolInSerializer(serializers.Serializer):
    client = serializers.IntegerField()
    condition = serializers.ChoiceField(choices=Condition.choices)


class ScreeningCandidateList(APIView):
    """Screening candidates of the caller's scope (leads and experts): active, non-VIP clients whose latest ASM-1
    questionnaire flags a condition they have no active monitoring plan for."""

    @extend_schema(responses={200: ScreeningCandidateSerializer(many=True)})
    def get(self, request: Request) -> Response:
        from careloop.audit.services import audit_read
        from careloop.chronic.screening import can_screen, screening_candidates

        user = cast(User, request.user)
        if not can_screen(user):
            raise PermissionDenied()
        rows = screening_candidates(user)
        audit_read(actor=user, action="chronic.read", detail={"what": "screening candidates",
                                                              "clients": [c.client.pk for c in rows][:200]})
        return Response(ScreeningCandidateSerializer(rows, many=True).data)


class ScreeningEnrol(APIView):
    """Enrol a screening candidate for one flagged condition: the monitoring plan with the guideline's defaults."""

    @extend_schema(request=ScreeningEnrolInSerializer, responses={201: MonitoringPlanSerializer})
    def post(self, request: Request) -> Response:
        from careloop.chronic.screening import can_screen, screening_candidate_enrol

        data = ScreeningEnrolInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        user = cast(User, request.user)
        if not can_screen(user):
            raise PermissionDenied()
        client = client_for_monitoring(user, v["client"], write=True)
        try:
            plan = screening_candidate_enrol(client=client, condition=v["condition"], acting_user=user)
        except ValidationError as exc:
            return Response(_errors(exc), status=400)
        return Response(MonitoringPlanSerializer(plan).data, status=status.HTTP_201_CREATED)
