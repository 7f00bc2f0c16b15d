"""API of staff quality under /api/v1/supervision/ (CONTRACT): periods and their samples, scores,
findings with corrective actions. Views parse input and call the services and selectors."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, extend_schema_serializer
from rest_framework import generics, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from careloop.accounts.auth import request_user
from careloop.org.models import User
from careloop.org.selectors import units_visible_to
from careloop.quality import selectors, services, training
from careloop.quality.models import (
    ExamAttempt,
    Finding,
    PeriodScore,
    SampledRecord,
    SupervisionPeriod,
    TrainingPlan,
    TrainingSession,
)
from careloop.quality.permissions import (
    finding_for,
    periods_visible_to,
    plan_for,
    plans_visible_to,
    require_inspect,
    sample_for,
    staff_visible_to,
)


class PeriodSerializer(serializers.ModelSerializer):
    samples = serializers.IntegerField(source="samples.count", read_only=True)

    class Meta:
        model = SupervisionPeriod
        fields = ["id", "branch", "start", "end", "plan", "seed", "drawn_by", "drawn_at", "samples"]
        read_only_fields = fields


class PeriodInput(serializers.Serializer):
    branch = serializers.IntegerField()
    start = serializers.DateField()
    end = serializers.DateField()


class SampleSerializer(serializers.ModelSerializer):
    class Meta:
        model = SampledRecord
        fields = ["id", "period", "record", "staff", "stratum", "rank", "status", "marks", "completeness",
                  "timeliness", "manner", "total", "comment", "scored_by", "scored_at"]
        read_only_fields = fields


class ScoreInput(serializers.Serializer):
    marks = serializers.DictField(child=serializers.BooleanField())
    comment = serializers.CharField(required=False, allow_blank=True)


class FindingSerializer(serializers.ModelSerializer):
    class Meta:
        model = Finding
        fields = ["id", "sample", "staff", "description", "action", "owner", "due_date", "status", "closure_note",
                  "closed_by", "closed_at", "created_by", "created_at"]
        read_only_fields = fields


class FindingInput(serializers.Serializer):
    description = serializers.CharField()
    action = serializers.CharField()
    owner = serializers.IntegerField()
    due_date = serializers.DateField()


class CloseInput(serializers.Serializer):
    closure_note = serializers.CharField()


class PeriodList(generics.ListAPIView):
    serializer_class = PeriodSerializer

    def get_queryset(self) -> QuerySet[SupervisionPeriod]:
        require_inspect(self.request.user)
        return periods_visible_to(self.request.user).select_related("branch").order_by("-start", "pk")

    @extend_schema(request=PeriodInput, responses={201: PeriodSerializer})
    def post(self, request: Request) -> Response:
        require_inspect(request.user)
        data = PeriodInput(data=request.data)
        data.is_valid(raise_exception=True)
        branch = units_visible_to(request.user).filter(pk=data.validated_data["branch"]).first()  # type: ignore[arg-type]
        if branch is None:
            raise serializers.ValidationError({"branch": [_("Choose a branch of your part of the organisation.")]})
        period = services.supervision_period_draw(branch=branch, start=data.validated_data["start"],
                                                  end=data.validated_data["end"], acting_user=request_user(request))
        return Response(PeriodSerializer(period).data, status=status.HTTP_201_CREATED)


class PeriodSamples(generics.ListAPIView):
    serializer_class = SampleSerializer

    def get_queryset(self) -> QuerySet[SampledRecord]:
        require_inspect(self.request.user)
        return selectors.period_samples(self.request.user, self.kwargs["pk"])


class SampleScore(APIView):
    @extend_schema(request=ScoreInput, responses=SampleSerializer)
    def post(self, request: Request, pk: int) -> Response:
        sample = sample_for(request.user, pk)
        data = ScoreInput(data=request.data)
        data.is_valid(raise_exception=True)
        services.sample_score(sample=sample, marks=data.validated_data["marks"],
                              comment=data.validated_data.get("comment", ""), acting_user=request_user(request))
        return Response(SampleSerializer(sample).data)


class SampleFindings(APIView):
    @extend_schema(request=FindingInput, responses={201: FindingSerializer})
    def post(self, request: Request, pk: int) -> Response:
        sample = sample_for(request.user, pk)
        data = FindingInput(data=request.data)
        data.is_valid(raise_exception=True)
        owner = User.objects.filter(pk=data.validated_data["owner"]).select_related("org_unit").first()
        finding = services.finding_record(
            sample=sample, description=data.validated_data["description"], action=data.validated_data["action"],
            owner=owner, due_date=data.validated_data["due_date"], acting_user=request_user(request))
        return Response(FindingSerializer(finding).data, status=status.HTTP_201_CREATED)


class FindingList(generics.ListAPIView):
    serializer_class = FindingSerializer

    def get_queryset(self) -> QuerySet[Finding]:
        wanted: Any = self.request.query_params.get("status", "")
        if wanted not in ("", *Finding.Status.values):
            raise serializers.ValidationError({"status": [_("Unknown status: %(s)s") % {"s": wanted}]})
        return selectors.findings_list(self.request.user, status=wanted)


class FindingClose(APIView):
    @extend_schema(request=CloseInput, responses=FindingSerializer)
    def post(self, request: Request, pk: int) -> Response:
        finding = finding_for(request.user, pk, close=True)
        data = CloseInput(data=request.data)
        data.is_valid(raise_exception=True)
        services.finding_close(finding=finding, closure_note=data.validated_data["closure_note"],
                               acting_user=request_user(request))
        return Response(FindingSerializer(finding).data)




# --- /api/v1/training/ ----------------------------------------------------------------------------


class SessionSerializer(serializers.ModelSerializer):
    class Meta:
        model = TrainingSession
        fields = ["id", "title", "starts_at", "place", "trainer"]
        read_only_fields = fields


@extend_schema_serializer(component_name="TrainingPlan")  # "Plan" is the service plan of careloop.plans
class PlanSerializer(serializers.ModelSerializer):
    sessions = SessionSerializer(many=True, read_only=True)

    class Meta:
        model = TrainingPlan
        fields = ["id", "title", "role", "branch", "start", "end", "topics", "theory_weight", "practical_weight",
                  "satisfaction_weight", "pass_mark", "sessions"]
        read_only_fields = fields


class PeriodScoreSerializer(serializers.ModelSerializer):
    class Meta:
        model = PeriodScore
        fields = ["id", "plan", "staff", "theory", "practical", "satisfaction", "total", "passed",
                  "repeated_failure", "computed_at"]
        read_only_fields = fields


class ExamInput(serializers.Serializer):
    answers = serializers.DictField(child=serializers.IntegerField())


class ExamResultSerializer(serializers.ModelSerializer):
    class Meta:
        model = ExamAttempt
        fields = ["id", "plan", "staff", "score", "taken_at"]
        read_only_fields = fields


class TrainingPlanList(generics.ListAPIView):
    serializer_class = PlanSerializer

    def get_queryset(self) -> QuerySet[TrainingPlan]:
        return plans_visible_to(self.request.user).prefetch_related("sessions").order_by("-start", "pk")


class TrainingExam(APIView):
    @extend_schema(request=ExamInput, responses={201: ExamResultSerializer})
    def post(self, request: Request, pk: int) -> Response:
        plan = plan_for(request.user, pk)
        data = ExamInput(data=request.data)
        data.is_valid(raise_exception=True)
        attempt = training.exam_submit(plan=plan, answers=data.validated_data["answers"], acting_user=request_user(request))
        return Response(ExamResultSerializer(attempt).data, status=status.HTTP_201_CREATED)


class TrainingScoreList(generics.ListAPIView):
    """Period scores of the staff the caller may see (themselves; a lead their team; inspectors,
    administrators and managers their subtree)."""

    serializer_class = PeriodScoreSerializer

    def get_queryset(self) -> QuerySet[PeriodScore]:
        return PeriodScore.objects.filter(staff__in=staff_visible_to(self.request.user)).order_by("-computed_at",
                                                                                                   "pk")
