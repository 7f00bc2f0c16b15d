"""API of webhook subscriptions (/api/v1/webhooks/): administrators only. Parses input, calls the services."""

from __future__ import annotations

from typing import Any, cast

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.generics import GenericAPIView, ListAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from careloop.core import events
from careloop.core.api import StrictBooleanField, StrictCharField
from careloop.messaging import selectors, webhooks
from careloop.messaging.models import Message, Webhook, WebhookAttempt
from careloop.org.models import OrgUnit, User
from careloop.org.permissions import Cap, user_can

MAX_ID = 2**63 - 1


class WebhookSerializer(serializers.ModelSerializer):
    branch_name = serializers.CharField(source="branch.name", read_only=True)

    class Meta:
        model = Webhook
        fields = ["id", "name", "url", "events", "active", "branch", "branch_name", "created_by", "created_at",
                  "updated_at", "secret_rotated_at"]
        read_only_fields = fields


class WebhookWithSecretSerializer(WebhookSerializer):
    secret = serializers.SerializerMethodField()

    class Meta(WebhookSerializer.Meta):
        fields = [*WebhookSerializer.Meta.fields, "secret"]
        read_only_fields = fields

    def get_secret(self, obj: Webhook) -> str:
        return str(self.context.get("secret", ""))


class WebhookInput(serializers.Serializer):
    name = StrictCharField(max_length=100)
    url = StrictCharField(max_length=500)
    events = serializers.ListField(child=StrictCharField(max_length=64), max_length=50)
    branch = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    active = StrictBooleanField(required=False, default=True)


class WebhookAttemptSerializer(serializers.ModelSerializer):
    # Plain text in the schema: an enum here would take the name "Outcome" from the call attempts' enum.
    outcome = serializers.CharField(read_only=True, help_text="delivered, failed, dead or unknown")

    class Meta:
        model = WebhookAttempt
        fields = ["number", "at", "outcome", "response_code", "error", "duration_ms"]
        read_only_fields = fields


class WebhookDeliverySerializer(serializers.ModelSerializer):
    event = serializers.CharField(source="subject", read_only=True)
    attempt_log = WebhookAttemptSerializer(source="webhook_attempts", many=True, read_only=True)
    response_code = serializers.SerializerMethodField()

    class Meta:
        model = Message
        fields = ["id", "delivery_id", "event", "status", "attempts", "response_code", "next_attempt_at",
                  "created_at", "delivered_at", "last_error", "cancel_reason", "body", "attempt_log"]
        read_only_fields = fields

    def get_response_code(self, obj: Message) -> int | None:
        attempts = list(obj.webhook_attempts.all())
        return attempts[-1].response_code if attempts else None


def _admin(request: Request) -> User:
    if not user_can(request.user, Cap.MANAGE_INTEGRATIONS):
        raise PermissionDenied(_("Only an administrator manages webhooks."))
    return cast(User, request.user)


def _branch(value: Any) -> OrgUnit | None:
    return OrgUnit.objects.filter(pk=value).first() if value is not None else None


@extend_schema(tags=["webhooks"])
class WebhookListCreate(ListAPIView):
    serializer_class = WebhookSerializer

    def get_queryset(self) -> Any:
        _admin(self.request)
        return selectors.webhooks_visible_to(self.request.user)

    @extend_schema(operation_id="webhooks_list")
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(operation_id="webhooks_create", request=WebhookInput, responses={201: WebhookWithSecretSerializer})
    def post(self, request: Request) -> Response:
        user = _admin(request)
        data = WebhookInput(data=request.data)
        data.is_valid(raise_exception=True)
        hook, secret = webhooks.webhook_create(
            name=data.validated_data["name"], url=data.validated_data["url"], events_=data.validated_data["events"],
            branch=_branch(data.validated_data["branch"]), active=data.validated_data["active"], acting_user=user)
        return Response(WebhookWithSecretSerializer(hook, context={"secret": secret}).data,
                        status=status.HTTP_201_CREATED)


@extend_schema(tags=["webhooks"])
class WebhookDetail(GenericAPIView):
    serializer_class = WebhookSerializer

    @extend_schema(operation_id="webhooks_retrieve")
    def get(self, request: Request, pk: int) -> Response:
        return Response(WebhookSerializer(selectors.webhook_for(_admin(request), pk)).data)

    @extend_schema(operation_id="webhooks_update", request=WebhookInput(partial=True), responses=WebhookSerializer)
    def patch(self, request: Request, pk: int) -> Response:
        user = _admin(request)
        hook = selectors.webhook_for(user, pk)
        data = WebhookInput(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        updated = webhooks.webhook_update(
            webhook=hook, acting_user=user, name=values.get("name"), url=values.get("url"),
            events_=values.get("events"),
            branch=_branch(values["branch"]) if "branch" in values else None,
            active=values.get("active") if "active" in request.data else None)
        return Response(WebhookSerializer(updated).data)

    @extend_schema(operation_id="webhooks_deactivate", responses={204: None})
    def delete(self, request: Request, pk: int) -> Response:
        """Deactivates: the subscription and its delivery log are kept, waiting deliveries are cancelled."""
        user = _admin(request)
        webhooks.webhook_deactivate(webhook=selectors.webhook_for(user, pk), acting_user=user)
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(tags=["webhooks"])
class WebhookRotateSecret(APIView):
    @extend_schema(operation_id="webhooks_rotate_secret", request=None, responses=WebhookWithSecretSerializer)
    def post(self, request: Request, pk: int) -> Response:
        user = _admin(request)
        hook, secret = webhooks.webhook_rotate_secret(webhook=selectors.webhook_for(user, pk), acting_user=user)
        return Response(WebhookWithSecretSerializer(hook, context={"secret": secret}).data)


@extend_schema(tags=["webhooks"])
class WebhookTest(APIView):
    @extend_schema(operation_id="webhooks_test", request=None, responses={202: WebhookDeliverySerializer})
    def post(self, request: Request, pk: int) -> Response:
        user = _admin(request)
        message = webhooks.webhook_send_test(webhook=selectors.webhook_for(user, pk), acting_user=user)
        return Response(WebhookDeliverySerializer(message).data, status=status.HTTP_202_ACCEPTED)


@extend_schema(tags=["webhooks"])
class WebhookDeliveries(ListAPIView):
    serializer_class = WebhookDeliverySerializer

    def get_queryset(self) -> Any:
        return selectors.webhook_deliveries(selectors.webhook_for(_admin(self.request), int(self.kwargs["pk"])))

    @extend_schema(operation_id="webhooks_deliveries")
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


EVENT_TYPES = inline_serializer("WebhookEventType", {"name": serializers.CharField(),
                                                     "label": serializers.CharField()}, many=True)


class WebhookEventTypes(APIView):
    @extend_schema(tags=["webhooks"], operation_id="webhooks_event_types", responses=EVENT_TYPES)
    def get(self, request: Request) -> Response:
        _admin(request)
        return Response([{"name": t.name, "label": str(t.label)} for t in events.types()])
