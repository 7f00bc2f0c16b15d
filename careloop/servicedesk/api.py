"""API of the service desk (CONTRACT `/api/v1/tickets/`, `/api/v1/surveys/`). Thin: parse, call, shape."""

from __future__ import annotations

from typing import Any, cast

from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from careloop.clients.selectors import client_for
from careloop.core.api import Pagination, StrictBooleanField, StrictCharField
from careloop.org.models import User
from careloop.org.permissions import Cap, user_can
from careloop.org.selectors import subtree_q

from . import services
from .models import SurveyAbout, Ticket, TicketChannel, TicketEvent, TicketKind, TicketStatus
from .permissions import require, surveys_visible_to, ticket_for, tickets_visible_to

MAX_ID = 2**31 - 1


def _user(request: Request) -> User:
    return cast(User, request.user)


class TicketEventOut(serializers.ModelSerializer):
    actor = serializers.CharField(source="actor.username", allow_null=True, default=None)

    class Meta:
        model = TicketEvent
        fields = ["at", "action", "actor", "note"]


class TicketOut(serializers.ModelSerializer):
    status = serializers.ChoiceField(choices=TicketStatus.choices)
    kind = serializers.ChoiceField(choices=TicketKind.choices)
    channel = serializers.ChoiceField(choices=TicketChannel.choices)

    class Meta:
        model = Ticket
        fields = ["id", "kind", "channel", "subject", "body", "client", "staff", "urgent", "status", "due_at",
                  "assignee", "created_at", "answer", "answered_at", "response_minutes", "escalated_at",
                  "escalated_to", "satisfaction", "satisfaction_comment", "followup_requested", "followed_up_at",
                  "malpractice", "routed_to", "approved_at", "closed_at"]


class TicketDetailOut(TicketOut):
    history = TicketEventOut(many=True, source="events")

    class Meta(TicketOut.Meta):
        fields = [*TicketOut.Meta.fields, "investigation", "resolution", "history"]


class TicketIn(serializers.Serializer):
    kind = serializers.ChoiceField(choices=TicketKind.choices)
    channel = serializers.ChoiceField(choices=TicketChannel.choices)
    subject = StrictCharField(max_length=200)
    body = StrictCharField(max_length=5000)
    client = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=MAX_ID)
    urgent = StrictBooleanField(required=False, default=False)
    staff = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=MAX_ID)
    followup_requested = StrictBooleanField(required=False, default=False)


def _page_of(name: str, item: serializers.Serializer) -> Any:
    """The schema of a page (CONTRACT pagination: count, next, previous, results)."""
    return inline_serializer(name, {"count": serializers.IntegerField(),
                                    "next": serializers.URLField(allow_null=True),
                                    "previous": serializers.URLField(allow_null=True), "results": item})


def _invalid(field: str, message: str) -> serializers.ValidationError:
    return serializers.ValidationError({field: [message]})


class TicketListView(APIView):
    @extend_schema(
        parameters=[OpenApiParameter("status", str, enum=TicketStatus.values),
                    OpenApiParameter("kind", str, enum=TicketKind.values)],
        responses={200: _page_of("PaginatedTicketList", TicketOut(many=True))}, tags=["tickets"],
        operation_id="tickets_list")
    def get(self, request: Request) -> Response:
        qs = tickets_visible_to(_user(request)).order_by("-created_at", "-pk")
        for name, choices in (("status", TicketStatus.values), ("kind", TicketKind.values)):
            value = request.query_params.get(name)
            if value:
                if value not in choices:
                    raise _invalid(name, _("Unknown value."))
                qs = qs.filter(**{name: value})
        paginator = Pagination()
        page = paginator.paginate_queryset(qs, request, view=self)
        return paginator.get_paginated_response(TicketOut(page, many=True).data)

    @extend_schema(request=TicketIn, responses={201: TicketOut}, tags=["tickets"])
    def post(self, request: Request) -> Response:
        user = _user(request)
        require(user, Cap.HANDLE_TICKETS)
        data = TicketIn(data=request.data)
        data.is_valid(raise_exception=True)
        v: dict[str, Any] = data.validated_data
        client = None
        if v.get("client"):
            try:
                client = client_for(user, v["client"])
            except Http404:
                raise _invalid("client", _("No such client in your scope.")) from None
        staff = None
        if v.get("staff"):
            staff = User.objects.filter(subtree_q(user, field="org_unit"), pk=v["staff"], is_active=True).first()
            if staff is None:
                raise _invalid("staff", _("No such staff member in your unit."))
        ticket = services.ticket_create(kind=v["kind"], channel=v["channel"], subject=v["subject"], body=v["body"],
                                        client=client, staff=staff, urgent=v["urgent"],
                                        followup_requested=v["followup_requested"], acting_user=user)
        return Response(TicketOut(ticket).data, status=status.HTTP_201_CREATED)


class TicketDetailView(APIView):
    @extend_schema(responses={200: TicketDetailOut}, tags=["tickets"])
    def get(self, request: Request, pk: int) -> Response:
        ticket = ticket_for(_user(request), pk)
        from careloop.audit.services import audit_record

        audit_record(actor=_user(request), action="ticket.view", obj=ticket, client=ticket.client)
        return Response(TicketDetailOut(ticket).data)


class AnswerIn(serializers.Serializer):
    answer = StrictCharField(max_length=5000)


class TicketAnswerView(APIView):
    @extend_schema(request=AnswerIn, responses={200: TicketOut}, tags=["tickets"])
    def post(self, request: Request, pk: int) -> Response:
        ticket = ticket_for(_user(request), pk, cap=Cap.HANDLE_TICKETS)
        data = AnswerIn(data=request.data)
        data.is_valid(raise_exception=True)
        ticket = services.ticket_answer(ticket=ticket, answer=data.validated_data["answer"], acting_user=_user(request))
        return Response(TicketOut(ticket).data)


class SatisfactionIn(serializers.Serializer):
    score = serializers.IntegerField(min_value=1, max_value=5)
    comment = StrictCharField(max_length=2000, required=False, allow_blank=True, default="")


class TicketSatisfactionView(APIView):
    @extend_schema(request=SatisfactionIn, responses={200: TicketOut}, tags=["tickets"])
    def post(self, request: Request, pk: int) -> Response:
        ticket = ticket_for(_user(request), pk, cap=Cap.HANDLE_TICKETS)
        data = SatisfactionIn(data=request.data)
        data.is_valid(raise_exception=True)
        ticket = services.ticket_satisfaction(ticket=ticket, score=data.validated_data["score"],
                                              comment=data.validated_data["comment"], acting_user=_user(request))
        return Response(TicketOut(ticket).data)


class StepIn(serializers.Serializer):
    note = StrictCharField(max_length=5000, required=False, allow_blank=True, default="")
    assignee = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=MAX_ID)
    routed_to = StrictCharField(max_length=100, required=False, allow_blank=True, default="")


STEPS = ("assign", "investigate", "resolve", "follow-up", "close", "route-out", "approve")


class TicketStepView(APIView):
    """The other steps: assign, investigate, resolve, follow-up, close, route-out (malpractice), approve."""

    @extend_schema(request=StepIn, responses={200: TicketOut}, tags=["tickets"], operation_id="tickets_step",
                   parameters=[OpenApiParameter("step", str, OpenApiParameter.PATH, enum=list(STEPS))])
    def post(self, request: Request, pk: int, step: str) -> Response:
        user = _user(request)
        if step not in STEPS:
            raise Http404
        ticket = ticket_for(user, pk)
        data = StepIn(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        if step == "assign":
            assignee = None
            if v.get("assignee"):
                assignee = User.objects.filter(subtree_q(user, field="org_unit"), pk=v["assignee"]).first()
                if assignee is None:
                    raise _invalid("assignee", _("No such staff member in your unit."))
            ticket = services.ticket_assign(ticket=ticket, assignee=assignee, acting_user=user)
        elif step == "investigate":
            ticket = services.ticket_investigate(ticket=ticket, note=v["note"], acting_user=user)
        elif step == "resolve":
            ticket = services.ticket_resolve(ticket=ticket, resolution=v["note"], acting_user=user)
        elif step == "follow-up":
            ticket = services.ticket_follow_up(ticket=ticket, note=v["note"], acting_user=user)
        elif step == "close":
            ticket = services.ticket_close(ticket=ticket, acting_user=user)
        elif step == "route-out":
            ticket = services.ticket_route_out(ticket=ticket, routed_to=v["routed_to"], note=v["note"],
                                               acting_user=user)
        else:
            ticket = services.ticket_approve_reward(ticket=ticket, acting_user=user)
        return Response(TicketOut(ticket).data)


class SurveyIn(serializers.Serializer):
    client = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    about = serializers.ChoiceField(choices=SurveyAbout.choices)
    object = serializers.IntegerField(min_value=1, max_value=MAX_ID)


class SurveySentOut(serializers.Serializer):
    id = serializers.IntegerField()
    link = serializers.CharField()
    qr = serializers.CharField()
    expires_at = serializers.DateTimeField()
    message_sent = serializers.BooleanField()


class SurveyAnswerOut(serializers.Serializer):
    id = serializers.IntegerField()
    client = serializers.IntegerField(source="client_id")
    about = serializers.ChoiceField(choices=SurveyAbout.choices)
    object = serializers.IntegerField(source="object_id")
    staff = serializers.IntegerField(source="staff_id", allow_null=True)
    created_at = serializers.DateTimeField()
    answered_at = serializers.DateTimeField()
    recommend = serializers.IntegerField()
    satisfaction = serializers.IntegerField()
    comment = serializers.CharField()


class SurveyListView(APIView):
    @extend_schema(parameters=[OpenApiParameter("about", str, enum=SurveyAbout.values)],
                   responses={200: _page_of("PaginatedSurveyAnswerList", SurveyAnswerOut(many=True))},
                   tags=["surveys"], operation_id="surveys_list")
    def get(self, request: Request) -> Response:
        user = _user(request)
        if not (user_can(user, Cap.HANDLE_TICKETS) or user_can(user, Cap.VIEW_STATS)):
            require(user, Cap.HANDLE_TICKETS)
        qs = surveys_visible_to(user).filter(answered_at__isnull=False).order_by("-answered_at", "-pk")
        about = request.query_params.get("about")
        if about:
            if about not in SurveyAbout.values:
                raise _invalid("about", _("Choose visit, followup or ticket."))
            qs = qs.filter(about=about)
        paginator = Pagination()
        page = paginator.paginate_queryset(qs, request, view=self)
        return paginator.get_paginated_response(SurveyAnswerOut(page, many=True).data)

    @extend_schema(request=SurveyIn, responses={201: SurveySentOut}, tags=["surveys"])
    def post(self, request: Request) -> Response:
        user = _user(request)
        if not (user_can(user, Cap.HANDLE_TICKETS) or user_can(user, Cap.WORK_FOLLOWUPS)):
            require(user, Cap.HANDLE_TICKETS)
        data = SurveyIn(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        try:
            client = client_for(user, v["client"])
        except Http404:
            raise _invalid("client", _("No such client in your scope.")) from None
        sent = services.survey_send(client=client, about=v["about"], object_id=v["object"], acting_user=user)
        return Response({"id": sent.survey.pk, "link": sent.link, "qr": f"{sent.link}qr.svg",
                         "expires_at": sent.survey.expires_at, "message_sent": not sent.survey.message_refused},
                        status=status.HTTP_201_CREATED)
