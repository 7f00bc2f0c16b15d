"""API of careloop.messaging (CONTRACT /api/v1/messages/). Parses input and calls services/selectors."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, cast

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.generics import GenericAPIView, ListAPIView
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from careloop.audit.reads import audited_read
from careloop.clients.selectors import client_for
from careloop.core.api import JSONParser, StrictBooleanField, StrictCharField
from careloop.messaging import selectors, services
from careloop.messaging.models import (
    PEOPLE_CHANNEL_CHOICES,
    PEOPLE_PURPOSE_CHOICES,
    Channel,
    Message,
    Purpose,
    Status,
)
from careloop.messaging.policy import SUBSCRIBABLE_CHOICES, SUBSCRIBABLE_PURPOSES
from careloop.messaging.providers import provider_config
from careloop.messaging.signing import verify_params
from careloop.org.models import User
from careloop.org.permissions import Cap, user_can


class MessageSerializer(serializers.ModelSerializer):
    class Meta:
        model = Message
        fields = ["id", "client", "channel", "purpose", "status", "subject", "body", "segments", "scheduled_at",
                  "requested_at", "sent_at", "delivered_at", "attempts", "last_error", "template_version",
                  "cause", "created_at", "cancelled_at", "cancel_reason", "possible_duplicate"]
        read_only_fields = fields


MAX_ID = 2**63 - 1


def _id_param(raw: str, field: str) -> int:
    if not raw.isdigit() or int(raw) > MAX_ID:
        raise serializers.ValidationError({field: [_("Give the client's id.")]})
    return int(raw)


class EnqueueSerializer(serializers.Serializer):
    client = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    purpose = serializers.ChoiceField(choices=PEOPLE_PURPOSE_CHOICES)
    channel = serializers.ChoiceField(choices=PEOPLE_CHANNEL_CHOICES, default=Channel.SMS)
    context = serializers.DictField(  # type: ignore[assignment]  # a field, not Serializer.context
        child=StrictCharField(allow_blank=True, max_length=500), required=False, default=dict)
    scheduled_at = serializers.DateTimeField(required=False, allow_null=True, default=None)
    cause = StrictCharField(required=False, allow_blank=True, default="", max_length=120)


class ReasonSerializer(serializers.Serializer):
    reason = StrictCharField(max_length=200)


def _staff(request: Request) -> User:
    return cast(User, request.user)  # IsAuthenticated ran first


def _require(user: Any, cap: Cap) -> None:
    if not user_can(user, cap):
        raise PermissionDenied(_("You may not do this."))


@extend_schema(tags=["messages"])
class MessageListCreate(ListAPIView):
    serializer_class = MessageSerializer

    def get_queryset(self) -> Any:
        qs = selectors.messages_visible_to(self.request.user).order_by("-created_at", "-id")
        params = self.request.query_params
        for name in ("client", "status", "purpose", "channel"):
            value = params.get(name)
            if value:
                if name == "client":
                    qs = qs.filter(client_id=_id_param(value, "client"))
                else:
                    allowed = {"status": Status.values, "purpose": Purpose.values, "channel": Channel.values}[name]
                    if value not in allowed:
                        raise serializers.ValidationError({name: [_("Must be one of: %(values)s") % {
                            "values": ", ".join(allowed)}]})
                    qs = qs.filter(**{name: value})
        return qs

    @extend_schema(operation_id="messages_list", parameters=[
        OpenApiParameter("client", int), OpenApiParameter("status", str, enum=Status.values),
        OpenApiParameter("purpose", str, enum=Purpose.values), OpenApiParameter("channel", str, enum=Channel.values),
    ])
    @audited_read("message.list")
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(request=EnqueueSerializer, responses={201: MessageSerializer, 409: inline_serializer(
        "EnqueueRefused", {"refused": serializers.CharField(), "reason": serializers.CharField()})})
    def post(self, request: Request) -> Response:
        if not (user_can(request.user, Cap.WORK_FOLLOWUPS) or user_can(request.user, Cap.MANAGE_MESSAGES)):
            raise PermissionDenied(_("You may not send messages."))
        data = EnqueueSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        client = client_for(_staff(request), data.validated_data["client"], cap=Cap.VIEW_CONTACT)
        result = services.message_enqueue(
            client=client, purpose=data.validated_data["purpose"], channel=data.validated_data["channel"],
            context=data.validated_data["context"], scheduled_at=data.validated_data["scheduled_at"],
            cause=data.validated_data["cause"], acting_user=_staff(request))
        if result.message is None:
            return Response({"refused": result.refused, "reason": result.reason}, status=status.HTTP_409_CONFLICT)
        return Response(MessageSerializer(result.message).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["messages"])
class MessageDetail(GenericAPIView):
    serializer_class = MessageSerializer

    def get_queryset(self) -> Any:
        return selectors.messages_visible_to(self.request.user)

    @audited_read("message.view")
    def get(self, request: Request, pk: int) -> Response:
        if pk > MAX_ID:
            raise Http404
        return Response(MessageSerializer(get_object_or_404(self.get_queryset(), pk=pk)).data)


class _StaffAction(GenericAPIView):
    serializer_class = ReasonSerializer
    action_name = ""

    def post(self, request: Request, pk: int) -> Response:
        _require(request.user, Cap.MANAGE_MESSAGES)
        if pk > MAX_ID:
            raise Http404
        message = get_object_or_404(selectors.messages_visible_to(request.user), pk=pk)
        data = ReasonSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        action = services.message_cancel if self.action_name == "cancel" else services.message_resend
        updated = action(message=message, reason=data.validated_data["reason"], acting_user=_staff(request))
        return Response(MessageSerializer(updated).data)


@extend_schema(tags=["messages"], responses=MessageSerializer)
class MessageCancel(_StaffAction):
    action_name = "cancel"


@extend_schema(tags=["messages"], responses=MessageSerializer)
class MessageResend(_StaffAction):
    action_name = "resend"


QUEUE_HEALTH = inline_serializer("QueueHealth", {
    "depth": serializers.IntegerField(), "due_now": serializers.IntegerField(),
    "oldest_queued_at": serializers.DateTimeField(allow_null=True), "oldest_age_seconds": serializers.IntegerField(
        allow_null=True), "sending": serializers.IntegerField(), "unknown": serializers.IntegerField(),
    "dead": serializers.IntegerField()})


class QueueHealthView(APIView):
    @extend_schema(tags=["messages"], operation_id="messages_health", responses=QUEUE_HEALTH)
    def get(self, request: Request) -> Response:
        _require(request.user, Cap.MANAGE_MESSAGES)
        health = selectors.queue_health()
        return Response({"depth": health.depth, "due_now": health.due_now,
                         "oldest_queued_at": health.oldest_queued_at, "oldest_age_seconds": health.oldest_age_seconds,
                         "sending": health.sending, "unknown": health.unknown, "dead": health.dead})


class SubscriptionSerializer(serializers.Serializer):
    client = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    purpose = serializers.ChoiceField(choices=SUBSCRIBABLE_CHOICES)
    active = StrictBooleanField()


@extend_schema(tags=["messages"])
class SubscriptionView(GenericAPIView):
    """GET ?client= lists the client's reminder types; POST subscribes or cancels one."""

    serializer_class = SubscriptionSerializer

    @extend_schema(operation_id="messages_subscriptions_list", parameters=[
        OpenApiParameter("client", int, required=True)], responses=inline_serializer("Subscriptions", {
            "results": SubscriptionSerializer(many=True), "changes_used": serializers.IntegerField(),
            "changes_allowed": serializers.IntegerField()}))
    def get(self, request: Request) -> Response:
        client = client_for(_staff(request), _id_param(request.query_params.get("client", ""), "client"),
                            cap=Cap.VIEW_CLIENTS)
        rows = [{"client": client.pk, "purpose": p, "active": services.is_subscribed(client, p)}
                for p in sorted(SUBSCRIBABLE_PURPOSES)]
        used = services.subscription_changes_used(client, timezone.now())
        return Response({"results": rows, "changes_used": used,
                         "changes_allowed": services.subscription_change_quota(client)})

    @extend_schema(operation_id="messages_subscriptions_set", request=SubscriptionSerializer,
                   responses=SubscriptionSerializer)
    def post(self, request: Request) -> Response:
        data = SubscriptionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        client = client_for(_staff(request), data.validated_data["client"], cap=Cap.MANAGE_CONSENT)
        row = services.subscription_set(client=client, purpose=data.validated_data["purpose"],
                                        active=data.validated_data["active"], acting_user=_staff(request))
        return Response({"client": client.pk, "purpose": row.purpose, "active": row.active})


def receipt_secret() -> str:
    from django.conf import settings

    configured = settings.MESSAGING_RECEIPT_SECRET
    return configured or str(provider_config("sms").get("app_secret", ""))


RECEIPT_REQUEST = inline_serializer("Receipt", {
    "outId": serializers.CharField(required=False), "bizId": serializers.CharField(required=False),
    "status": serializers.CharField(required=False), "reports": serializers.CharField(required=False),
    "appKey": serializers.CharField(), "timestamp": serializers.CharField(), "nonce": serializers.CharField(),
    "sign": serializers.CharField()})
RECEIPT_ANSWER = inline_serializer("ReceiptAnswer", {"code": serializers.CharField(),
                                                     "count": serializers.IntegerField(required=False)})


class ReceiptCallback(APIView):
    """Delivery reports posted by the SMS gateway, signed like our requests (docs/messaging.md)."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    parser_classes = [FormParser, MultiPartParser, JSONParser]  # gateways post forms (JSON: the limited parser)

    @extend_schema(tags=["messages"], operation_id="messages_receipts", auth=[], request=RECEIPT_REQUEST,
                   responses={200: RECEIPT_ANSWER, 401: RECEIPT_ANSWER})
    def post(self, request: Request) -> Response:
        if not isinstance(request.data, Mapping):
            return Response({"code": "SIGN_INVALID"}, status=status.HTTP_401_UNAUTHORIZED)
        params = {str(k): str(v) for k, v in request.data.items()}
        secret = receipt_secret()
        if not secret or not verify_params(params, secret=secret):
            return Response({"code": "SIGN_INVALID"}, status=status.HTTP_401_UNAUTHORIZED)
        if "reports" in params:
            try:
                reports = json.loads(params["reports"])
                batch = [(str(r["outId"]), str(r.get("bizId", "")), str(r["status"])) for r in reports]
            except (ValueError, TypeError, KeyError):
                return Response({"reports": [_("A JSON list of {outId, bizId, status}.")]},
                                status=status.HTTP_400_BAD_REQUEST)
        elif params.get("outId") and params.get("status"):
            batch = [(params["outId"], params.get("bizId", ""), params["status"])]
        else:
            return Response({"outId": [_("Required.")], "status": [_("Required.")]},
                            status=status.HTTP_400_BAD_REQUEST)
        services.receipts_record(batch)
        return Response({"code": "OK", "count": len(batch)})
