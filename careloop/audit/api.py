"""/api/v1/audit-events/ — the auditor's view of the trail."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, permissions, serializers, viewsets

from careloop.audit.models import AuditEvent
from careloop.org.permissions import Cap, user_can


class IsAuditor(permissions.BasePermission):
    def has_permission(self, request: Any, view: Any) -> bool:
        return user_can(request.user, Cap.VIEW_AUDIT)


class AuditEventSerializer(serializers.ModelSerializer):
    actor = serializers.CharField(source="actor_name")
    object = serializers.SerializerMethodField()
    client = serializers.IntegerField(source="client_id", allow_null=True)

    class Meta:
        model = AuditEvent
        fields = ["id", "append_id", "seq", "at", "actor", "roles", "action", "object", "client", "ip", "channel", "result", "detail"]
        read_only_fields = fields

    def get_object(self, obj: AuditEvent) -> str:
        return f"{obj.object_type}:{obj.object_id}" if obj.object_type else ""


def _int(value: str, field: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise ValidationError({field: [_("%(field)s: must be a whole number") % {"field": field}]}) from None


def _date(value: str, field: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise ValidationError({field: [_("%(field)s: must be a date written YYYY-MM-DD") % {"field": field}]}) from None


def audit_events_filtered(params: Any) -> Any:
    qs = AuditEvent.objects.all().order_by("-append_id")
    if params.get("client"):
        qs = qs.filter(client_id=_int(params["client"], "client"))
    if params.get("actor"):
        qs = qs.filter(actor_name=params["actor"])
    if params.get("action"):
        qs = qs.filter(action__startswith=params["action"])
    if params.get("result"):
        qs = qs.filter(result=params["result"])
    if params.get("since"):
        qs = qs.filter(at__date__gte=_date(params["since"], "since"))
    if params.get("until"):
        qs = qs.filter(at__date__lte=_date(params["until"], "until"))
    return qs


@extend_schema(parameters=[
    OpenApiParameter("client", int), OpenApiParameter("actor", str, description="Username"),
    OpenApiParameter("action", str, description="Action prefix, e.g. client.view"), OpenApiParameter("result", str),
    OpenApiParameter("since", str, description="YYYY-MM-DD"), OpenApiParameter("until", str, description="YYYY-MM-DD"),
])
class AuditEventViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = AuditEventSerializer
    permission_classes = [permissions.IsAuthenticated, IsAuditor]
    queryset = AuditEvent.objects.none()

    def get_queryset(self) -> Any:
        return audit_events_filtered(self.request.query_params)
