"""API of staff quality under /api/v1/supervision/ (CONTRACT): periods and their samples, scores,
findings with corrective actions. Views parse input and call the services and selectors."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from careloop.org.models import User
from careloop.org.selectors import units_visible_to
from careloop.quality import selectors, services
from careloop.quality.models import Finding, SampledRecord, SupervisionPeriod
from careloop.quality.permissions import finding_for, periods_visible_to, require_inspect, sample_for


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
                                                  end=data.validated_data["end"], acting_user=request.user)
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
                              comment=data.validated_data.get("comment", ""), acting_user=request.user)
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
            owner=owner, due_date=data.validated_data["due_date"], acting_user=request.user)
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
                               acting_user=request.user)
        return Response(FindingSerializer(finding).data)


