"""API counterparts of follow-up screen actions (INT-1 "every screen action has an API operation").

Thin: the same scope helpers as the pages, the same services. Raising an escalation is part of
recording a follow-up (``POST /followup-tasks/{id}/record/`` with ``problem``), as on the screen.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from careloop.accounts.auth import request_user
from careloop.followups.models import Escalation, FollowupRecord, FollowupRule
from careloop.followups.permissions import led_team_ids, require_manage_rules, task_for
from careloop.followups.services import escalations as escalation_services
from careloop.followups.services import records
from careloop.followups.services import rules as rule_services

ESCALATION_STEPS = ("refer", "advise", "told")


def _body(request: Request) -> dict[str, Any]:
    """The request's JSON object; an array or a scalar is a 400, never an AttributeError."""
    if not isinstance(request.data, dict):
        raise ValidationError({"non_field_errors": [_("A JSON object is required.")]})
    return request.data


def escalations_for(user: Any) -> Any:
    """The escalations a person works on: raised by, referred to, led by them, or of a team they lead."""
    q = Q(raised_by=user) | Q(expert=user) | Q(lead=user)
    teams = led_team_ids(user)
    if teams:
        q |= Q(task__team_id__in=teams)
    return Escalation.objects.filter(q)


class EscalationStep(APIView):
    @extend_schema(
        operation_id="escalations_step",
        parameters=[OpenApiParameter("step", str, OpenApiParameter.PATH, enum=list(ESCALATION_STEPS))],
        request=inline_serializer("EscalationStepInput", {
            "expert": serializers.IntegerField(required=False, help_text="refer: the expert's user id"),
            "advice": serializers.CharField(required=False, help_text="advise: the expert's advice")}),
        responses={200: inline_serializer("EscalationState", {"id": serializers.IntegerField(),
                                                               "status": serializers.CharField()})},
    )
    def post(self, request: Request, pk: int, step: str) -> Response:
        if step not in ESCALATION_STEPS:
            raise ValidationError({"step": _("must be one of: %(values)s") % {"values": ", ".join(ESCALATION_STEPS)}})
        escalation = get_object_or_404(escalations_for(request.user), pk=pk)
        data = _body(request)
        if step == "refer":
            escalation_services.escalation_refer(escalation=escalation, expert=str(data.get("expert", "")),
                                                 acting_user=request_user(request))
        elif step == "advise":
            escalation_services.escalation_advise(escalation=escalation, advice=str(data.get("advice", "")),
                                                  acting_user=request_user(request))
        else:
            escalation_services.escalation_client_told(escalation=escalation, acting_user=request_user(request))
        escalation.refresh_from_db()
        return Response({"id": escalation.pk, "status": escalation.status})


class RecordAddendum(APIView):
    @extend_schema(operation_id="followup_tasks_addendum_create",
                   request=inline_serializer("AddendumInput", {"text": serializers.CharField()}),
                   responses={201: inline_serializer("AddendumCreated", {"id": serializers.IntegerField()})})
    def post(self, request: Request, pk: int) -> Response:
        task = task_for(request.user, pk)
        record = get_object_or_404(FollowupRecord, task=task)
        addendum = records.followup_record_addendum(record=record, text=str(_body(request).get("text", "")),
                                                    acting_user=request_user(request))
        return Response({"id": addendum.pk}, status=status.HTTP_201_CREATED)


_RuleData = inline_serializer("FollowupRuleData", {
    "code": serializers.CharField(), "name": serializers.CharField(), "kinds": serializers.ListField(),
    "steps": serializers.ListField(required=False), "active": serializers.BooleanField(required=False),
    "action": serializers.ChoiceField(choices=["task", "message"], required=False),
    "message_purpose": serializers.CharField(required=False, allow_blank=True)})
_RuleOut = inline_serializer("FollowupRuleSaved", {"id": serializers.IntegerField(), "code": serializers.CharField()})


def _rule_data(data: Any) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise ValidationError({"__all__": _("A JSON object is required.")})
    return {k: v for k, v in data.items() if k in (*FollowupRule.DATA_FIELDS, "active")}


class RuleCreate(APIView):
    @extend_schema(operation_id="followup_rules_create", request=_RuleData, responses={201: _RuleOut})
    def post(self, request: Request) -> Response:
        rule = rule_services.rule_save(rule=None, data=_rule_data(request.data), acting_user=request_user(request))
        return Response({"id": rule.pk, "code": rule.code}, status=status.HTTP_201_CREATED)


class RuleUpdate(APIView):
    @extend_schema(operation_id="followup_rules_update", request=_RuleData, responses={200: _RuleOut})
    def put(self, request: Request, pk: int) -> Response:
        require_manage_rules(request.user)
        rule = get_object_or_404(FollowupRule, pk=pk)
        rule = rule_services.rule_save(rule=rule, data=rule.as_data() | _rule_data(request.data), acting_user=request_user(request))
        return Response({"id": rule.pk, "code": rule.code})


class RuleApply(APIView):
    @extend_schema(operation_id="followup_rules_apply", request=None,
                   responses={200: inline_serializer("RuleApplied", {k: serializers.IntegerField() for k in (
                       "encounters", "created", "updated", "cancelled", "replaced", "skipped", "messages_planned",
                       "messages_cancelled")})})
    def post(self, request: Request, pk: int) -> Response:
        require_manage_rules(request.user)
        rule = get_object_or_404(FollowupRule, pk=pk)
        return Response(rule_services.rule_apply_pending(rule=rule, acting_user=request_user(request)))
