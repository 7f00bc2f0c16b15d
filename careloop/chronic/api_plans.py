"""API of the personal health plan (CONTRACT /health-plans/, /plan-adjustments/)."""

from __future__ import annotations

from typing import Any, cast

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from careloop.accounts.auth import request_user
from careloop.chronic import healthplans
from careloop.chronic.api import _errors, _scoped
from careloop.chronic.models import HealthPlan, PlanAdjustment
from careloop.chronic.permissions import adjustment_for, client_for_monitoring, health_plan_for
from careloop.org.models import User


class HealthPlanSerializer(serializers.ModelSerializer):
    class Meta:
        model = HealthPlan
        fields = ["id", "client", "version", "goals", "diet", "exercise", "medication_reminders", "rechecks", "status",
                  "origin", "created_at"]


class HealthPlanInSerializer(serializers.Serializer):
    client = serializers.IntegerField()
    goals = serializers.CharField(required=False, allow_blank=True)
    diet = serializers.CharField(required=False, allow_blank=True)
    exercise = serializers.CharField(required=False, allow_blank=True)
    medication_reminders = serializers.JSONField(required=False)
    rechecks = serializers.JSONField(required=False)


class AdjustmentSerializer(serializers.ModelSerializer):
    class Meta:
        model = PlanAdjustment
        fields = ["id", "plan", "reason", "content", "expected_effect", "status", "requested_by", "requested_at",
                  "reviewer", "opinion", "reviewed_at", "next_plan", "task_id", "message_id"]


class AdjustmentInSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000)
    content = serializers.JSONField()
    expected_effect = serializers.CharField(max_length=2000)


class ReviewInSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(choices=[("approve", "approve"), ("reject", "reject")])
    opinion = serializers.CharField(max_length=2000)


class HealthPlanList(generics.ListCreateAPIView):
    serializer_class = HealthPlanSerializer

    def get_queryset(self) -> QuerySet[HealthPlan]:
        return _scoped(self.request, HealthPlan.objects.all())

    @extend_schema(request=HealthPlanInSerializer, responses={201: HealthPlanSerializer})
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = HealthPlanInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = dict(data.validated_data)
        client = client_for_monitoring(request.user, v.pop("client"), write=True)
        try:
            plan = healthplans.health_plan_create(client=client, fields=v, acting_user=request_user(request))
        except ValidationError as exc:
            return Response(_errors(exc), status=400)
        return Response(HealthPlanSerializer(plan).data, status=status.HTTP_201_CREATED)


class HealthPlanDetail(generics.RetrieveAPIView):
    serializer_class = HealthPlanSerializer

    def get_queryset(self) -> QuerySet[HealthPlan]:
        return _scoped(self.request, HealthPlan.objects.all())


class AdjustmentCreate(APIView):
    @extend_schema(request=AdjustmentInSerializer, responses={201: AdjustmentSerializer})
    def post(self, request: Request, pk: int) -> Response:
        plan = health_plan_for(cast(User, request.user), pk)
        data = AdjustmentInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            adj = healthplans.plan_adjustment_request(plan=plan, acting_user=request_user(request), **data.validated_data)
        except ValidationError as exc:
            return Response(_errors(exc), status=400)
        return Response(AdjustmentSerializer(adj).data, status=status.HTTP_201_CREATED)


class AdjustmentList(generics.ListAPIView):
    serializer_class = AdjustmentSerializer

    def get_queryset(self) -> QuerySet[PlanAdjustment]:
        qs = _scoped(self.request, PlanAdjustment.objects.all(), client_field="plan__client")
        wanted = self.request.query_params.get("status")
        return qs.filter(status=wanted) if wanted else qs


class AdjustmentDetail(generics.RetrieveAPIView):
    serializer_class = AdjustmentSerializer

    def get_queryset(self) -> QuerySet[PlanAdjustment]:
        return _scoped(self.request, PlanAdjustment.objects.all(), client_field="plan__client")


class AdjustmentReview(APIView):
    @extend_schema(request=ReviewInSerializer, responses={200: AdjustmentSerializer})
    def post(self, request: Request, pk: int) -> Response:
        adj = adjustment_for(cast(User, request.user), pk)
        data = ReviewInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            adj = healthplans.plan_adjustment_review(adjustment=adj, acting_user=request_user(request), **data.validated_data)
        except ValidationError as exc:
            return Response(_errors(exc), status=400)
        return Response(AdjustmentSerializer(adj).data)
