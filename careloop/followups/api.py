"""API of careloop.followups (CONTRACT /encounters/, /followup-tasks/, …/attempts/, …/record/).

Views parse input and call services/selectors; nothing else.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import generics, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from careloop.accounts.auth import request_user
from careloop.audit.reads import audited_read
from careloop.audit.services import audit_read
from careloop.clients.models import Channel, Client
from careloop.clients.selectors import clients_visible_to
from careloop.core.api import Pagination
from careloop.followups.models import (
    CallAttempt,
    Encounter,
    EncounterKind,
    FollowupRecord,
    FollowupTask,
    HealthStatus,
    TaskStatus,
)
from careloop.followups.permissions import (
    can_reassign,
    can_record_encounters,
    encounters_visible_to,
    task_for,
    tasks_visible_to,
)
from careloop.followups.selectors import WorklistFilters, worklist_calls, worklist_page_queryset
from careloop.followups.services import planning, records
from careloop.followups.services import tasks as task_services


def _int_param(request: Request, name: str) -> int | None:
    raw = request.query_params.get(name)
    if raw in (None, ""):
        return None
    try:
        return int(raw)
    except ValueError:
        raise serializers.ValidationError({name: [_("A whole number is required.")]}) from None


# --- encounters ----------------------------------------------------------------------------------


class EncounterSerializer(serializers.ModelSerializer):
    client = serializers.PrimaryKeyRelatedField(queryset=Client.objects.all())
    kind = serializers.ChoiceField(choices=EncounterKind.choices)
    health_status = serializers.ChoiceField(choices=HealthStatus.choices, required=False, allow_blank=True,
                                            allow_null=True)
    prescription_days = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=365)
    tasks = serializers.SerializerMethodField()

    class Meta:
        model = Encounter
        fields = ["id", "client", "kind", "date", "prescription_days", "health_status", "report_delivered_on",
                  "status", "cancel_reason", "source", "tasks"]
        read_only_fields = ["status", "cancel_reason"]

    def get_tasks(self, obj: Encounter) -> list[int]:
        return [t.pk for t in obj.tasks.all()]

    def validate_client(self, client: Any) -> Any:
        request = self.context["request"]
        if not clients_visible_to(request.user).filter(pk=client.pk).exists():
            raise serializers.ValidationError(_("No such client."))
        return client


class EncounterList(generics.ListCreateAPIView):
    serializer_class = EncounterSerializer
    pagination_class = Pagination

    def get_queryset(self):
        qs = encounters_visible_to(self.request.user).prefetch_related("tasks").order_by("-date", "-id")
        client = _int_param(self.request, "client")
        if client is not None:
            qs = qs.filter(client_id=client)
        return qs

    @extend_schema(parameters=[OpenApiParameter("client", int)])
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        if not can_record_encounters(request.user):
            raise PermissionDenied(_("Your role does not allow recording encounters."))
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        encounter = planning.encounter_create(
            client=data["client"], kind=data["kind"], date=data["date"],
            prescription_days=data.get("prescription_days"), health_status=data.get("health_status") or "",
            source=data.get("source", "") or "api", report_delivered_on=data.get("report_delivered_on"),
            acting_user=request_user(request),
        )
        return Response(EncounterSerializer(encounter, context={"request": request}).data,
                        status=status.HTTP_201_CREATED)


class EncounterDetail(generics.RetrieveUpdateDestroyAPIView):
    serializer_class = EncounterSerializer

    def get_queryset(self):
        return encounters_visible_to(self.request.user).prefetch_related("tasks")

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        encounter = self.get_object()
        if not can_record_encounters(request.user):
            raise PermissionDenied(_("Your role does not allow changing encounters."))
        serializer = self.get_serializer(encounter, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        changes = {k: v for k, v in serializer.validated_data.items() if k in planning.ENCOUNTER_CHANGEABLE}
        if "client" in serializer.validated_data and serializer.validated_data["client"] != encounter.client:
            raise serializers.ValidationError({"client": [_("This field cannot be changed.")]})
        encounter = planning.encounter_update(encounter=encounter, acting_user=request_user(request), **changes)
        return Response(EncounterSerializer(encounter, context={"request": request}).data)

    @extend_schema(parameters=[OpenApiParameter("reason", str)])
    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        encounter = self.get_object()
        if not can_record_encounters(request.user):
            raise PermissionDenied(_("Your role does not allow cancelling encounters."))
        body = request.data if isinstance(request.data, dict) else {}
        reason = request.query_params.get("reason") or body.get("reason") or _("cancelled")
        planning.encounter_cancel(encounter=encounter, reason=str(reason), acting_user=request_user(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- tasks ---------------------------------------------------------------------------------------


class TaskSerializer(serializers.ModelSerializer):
    rule = serializers.SlugRelatedField(slug_field="code", read_only=True)  # type: ignore[var-annotated]
    reason = serializers.CharField(source="reason_text", read_only=True)

    class Meta:
        model = FollowupTask
        fields = ["id", "client", "encounter", "rule", "sequence", "total", "labels", "reason", "due_date",
                  "window_end", "status", "channel", "priority", "assignee", "team", "next_attempt_at",
                  "attempt_count"]
        read_only_fields = fields


_DATETIME = serializers.DateTimeField()


def task_row(task: FollowupTask) -> dict[str, Any]:
    """What ``TaskSerializer(task).data`` gives, built directly (the worklist's rows).

    A serializer per task rebuilt its fields every time (``get_fields`` alone was half of the API's
    worklist request); tests/followups/test_worklist_perf.py keeps the two outputs identical.
    """
    next_attempt = task.next_attempt_at
    return {
        "id": task.pk, "client": task.client_id, "encounter": task.encounter_id,
        "rule": task.rule.code if task.rule_id is not None and task.rule is not None else None,
        "sequence": task.sequence, "total": task.total, "labels": task.labels, "reason": task.reason_text,
        "due_date": task.due_date.isoformat() if task.due_date else None,
        "window_end": task.window_end.isoformat() if task.window_end else None,
        "status": task.status, "channel": task.channel, "priority": task.priority,
        "assignee": task.assignee_id, "team": task.team_id,
        "next_attempt_at": _DATETIME.to_representation(next_attempt) if next_attempt is not None else None,
        "attempt_count": task.attempt_count,
    }


class TaskList(generics.ListAPIView):
    serializer_class = TaskSerializer
    pagination_class = Pagination

    def get_queryset(self):
        qs = tasks_visible_to(self.request.user).select_related("rule", "encounter")
        params = self.request.query_params
        for name in ("client", "assignee", "team"):
            value = _int_param(self.request, name)
            if value is not None:
                qs = qs.filter(**{f"{name}_id": value})
        if params.get("status"):
            wanted = params["status"].split(",")
            bad = [s for s in wanted if s not in TaskStatus.values]
            if bad:
                raise serializers.ValidationError({"status": [_("Unknown status: %(s)s") % {"s": ", ".join(bad)}]})
            qs = qs.filter(status__in=wanted)
        if params.get("due_before"):
            field = serializers.DateField()
            try:
                qs = qs.filter(due_date__lte=field.to_internal_value(params["due_before"]))
            except serializers.ValidationError as exc:
                raise serializers.ValidationError({"due_before": exc.detail}) from None
        if params.get("channel"):
            qs = qs.filter(channel=params["channel"])
        if params.get("rule"):
            qs = qs.filter(rule__code=params["rule"])
        return qs.order_by("due_date", "id")

    @extend_schema(parameters=[OpenApiParameter(n, str) for n in
                               ("client", "assignee", "team", "status", "due_before", "channel", "rule")])
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


class TaskDetail(APIView):
    @extend_schema(responses=TaskSerializer)
    def get(self, request: Request, pk: int) -> Response:
        return Response(TaskSerializer(task_for(request.user, pk)).data)

    @extend_schema(request=inline_serializer("TaskReassign", {"assignee": serializers.IntegerField(allow_null=True)}),
                   responses=TaskSerializer)
    def patch(self, request: Request, pk: int) -> Response:

        task = task_for(request.user, pk)
        data = request.data if isinstance(request.data, dict) else {}
        if set(data) - {"assignee"}:
            bad = sorted(set(data) - {"assignee"})
            raise serializers.ValidationError({name: [_("This field cannot be changed.")] for name in bad})
        if not can_reassign(request.user, task):
            raise PermissionDenied(_("Only the team lead may reassign this follow-up."))
        assignee = data.get("assignee")
        if assignee is not None and (isinstance(assignee, bool) or not isinstance(assignee, int)):
            raise serializers.ValidationError({"assignee": [_("Choose a member of the task's team.")]})
        task = task_services.followup_task_reassign(task=task, assignee=assignee, acting_user=request_user(request))
        return Response(TaskSerializer(task).data)


class WorklistClientSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    tier = serializers.CharField()


class WorklistCallSerializer(serializers.Serializer):
    """One call on the worklist: the main task and the client's other tasks due within a few days."""

    client = WorklistClientSerializer()
    task = TaskSerializer()
    days_overdue = serializers.IntegerField()
    also = TaskSerializer(many=True)


class WorklistPageSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    next = serializers.CharField(allow_null=True)
    previous = serializers.CharField(allow_null=True)
    results = WorklistCallSerializer(many=True)


class WorklistView(APIView):
    """FU-10 for the API: the caller's due and overdue follow-ups grouped into calls."""

    @extend_schema(parameters=[OpenApiParameter(n, str) for n in ("channel", "rule", "team", "scope", "page")],
                   responses={200: WorklistPageSerializer})
    @audited_read("followup_task.worklist")
    def get(self, request: Request) -> Response:
        filters = WorklistFilters(
            channel=request.query_params.get("channel", ""), rule=request.query_params.get("rule", ""),
            team=_int_param(request, "team"), scope=request.query_params.get("scope", "mine"),
        )
        paginator = Pagination()
        page = paginator.paginate_queryset(worklist_page_queryset(request.user, filters), request)
        calls = worklist_calls(list(page or []))
        results = [
            {
                "client": {"id": c.client.pk, "name": c.client.name, "tier": c.client.tier},
                "task": task_row(c.task),
                "days_overdue": c.days_overdue,
                "also": [task_row(t) for t in c.also],
            }
            for c in calls
        ]
        return paginator.get_paginated_response(results)


# --- attempts and records ------------------------------------------------------------------------


class AttemptSerializer(serializers.ModelSerializer):
    class Meta:
        model = CallAttempt
        fields = ["id", "task", "outcome", "at", "by", "note", "next_attempt_at", "notice_sent", "message_ids"]
        read_only_fields = ["id", "task", "by", "next_attempt_at", "notice_sent", "message_ids"]


class AttemptInput(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=CallAttempt.Outcome.choices)
    at = serializers.DateTimeField(required=False)
    note = serializers.CharField(required=False, allow_blank=True, max_length=300)


class AttemptList(APIView):
    @extend_schema(responses=AttemptSerializer(many=True))
    def get(self, request: Request, pk: int) -> Response:
        task = task_for(request.user, pk)
        audit_read(actor=request.user, action="followup_task.attempts", obj=task)
        return Response(AttemptSerializer(task.attempts.order_by("at", "id"), many=True).data)

    @extend_schema(request=AttemptInput, responses=inline_serializer("AttemptResult", {
        "attempt": AttemptSerializer(), "next_attempt_at": serializers.DateTimeField(allow_null=True),
        "messages": serializers.ListField(child=serializers.IntegerField()),
        "task_status": serializers.CharField(), "refused": serializers.CharField()}))
    def post(self, request: Request, pk: int) -> Response:
        task = task_for(request.user, pk, work=True)
        data = AttemptInput(data=request.data)
        data.is_valid(raise_exception=True)
        result = task_services.attempt_record(
            task=task, outcome=data.validated_data["outcome"], at=data.validated_data.get("at"),
            note=data.validated_data.get("note", ""), acting_user=request_user(request),
        )
        return Response(
            {
                "attempt": AttemptSerializer(result.attempt).data,
                "next_attempt_at": serializers.DateTimeField().to_representation(result.next_attempt_at)
                if result.next_attempt_at else None,
                "messages": result.message_ids,
                "task_status": result.task.status,
                "refused": result.refused_reason,
            },
            status=status.HTTP_201_CREATED,
        )


class RecordSerializer(serializers.ModelSerializer):
    addenda = serializers.SerializerMethodField()

    class Meta:
        model = FollowupRecord
        fields = ["id", "task", "client", "questionnaire", "channel", "performed_at", "performed_by",
                  "identity_confirmed", "answers", "client_words", "guidance", "next_step", "problem",
                  "problem_note", "recheck_item", "feedback_kind", "feedback_text", "signed_by", "signed_at",
                  "addenda"]
        read_only_fields = fields

    def get_addenda(self, obj: FollowupRecord) -> list[dict[str, Any]]:
        return [{"id": a.pk, "text": a.text, "by": a.by_id, "at": a.at.isoformat()} for a in obj.addenda.all()]


class RecordInput(serializers.Serializer):
    channel = serializers.ChoiceField(choices=Channel.choices, required=False)
    performed_at = serializers.DateTimeField(required=False)
    identity_confirmed = serializers.BooleanField()
    answers = serializers.DictField(required=False)
    client_words = serializers.CharField(required=False, allow_blank=True)
    guidance = serializers.CharField(required=False, allow_blank=True)
    next_step = serializers.CharField(required=False, allow_blank=True, max_length=300)
    problem = serializers.ChoiceField(choices=FollowupRecord.Problem.choices, required=False)
    problem_note = serializers.CharField(required=False, allow_blank=True)
    recheck_item = serializers.CharField(required=False, allow_blank=True, max_length=60)
    feedback_kind = serializers.ChoiceField(choices=[("", ""), ("complaint", "complaint"),
                                                     ("suggestion", "suggestion")], required=False)
    feedback_text = serializers.CharField(required=False, allow_blank=True)


class RecordView(APIView):
    @extend_schema(responses=RecordSerializer)
    def get(self, request: Request, pk: int) -> Response:
        task = task_for(request.user, pk)
        record = FollowupRecord.objects.filter(task=task).prefetch_related("addenda").first()
        if record is None:
            raise Http404(_("This follow-up has no record yet."))
        audit_read(actor=request.user, action="followup_record.view", obj=record, client=task.client_id)
        return Response(RecordSerializer(record).data)

    @extend_schema(request=RecordInput, responses=RecordSerializer)
    def post(self, request: Request, pk: int) -> Response:
        task = task_for(request.user, pk, work=True)
        data = RecordInput(data=request.data)
        data.is_valid(raise_exception=True)
        record = records.followup_record_submit(task=task, acting_user=request_user(request), **data.validated_data)
        return Response(RecordSerializer(record).data, status=status.HTTP_201_CREATED)
