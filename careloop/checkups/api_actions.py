"""API counterparts of the checkups worklist actions (INT-1 "every screen action has an API operation").

Thin: the same selectors (scope) and forms (field validation) as the pages, the same services.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from careloop.checkups import selectors, services
from careloop.checkups.forms import DeliveryForm, InterpretationForm

_Done = inline_serializer("CheckupActionDone", {"id": serializers.IntegerField(), "status": serializers.CharField()})


def _form(form_class: Any, data: Any) -> dict[str, Any]:
    form = form_class(data)
    if not form.is_valid():
        raise ValidationError(form.errors)
    return dict(form.cleaned_data)


class AlertAcknowledge(APIView):
    @extend_schema(operation_id="critical_alerts_acknowledge", request=None, responses={200: _Done})
    def post(self, request: Request, pk: int) -> Response:
        alert = get_object_or_404(selectors.open_alerts_for(request.user), pk=pk)  # type: ignore[arg-type]
        alert = services.critical_alert_acknowledge(alert=alert, acting_user=request.user)  # type: ignore[arg-type]
        return Response({"id": alert.pk, "status": "acknowledged"})


class DeliveryRecord(APIView):
    @extend_schema(operation_id="report_deliveries_record", responses={200: _Done}, request=inline_serializer(
        "ReportDeliveryRecord", {"status": serializers.CharField(), "method": serializers.CharField(),
                                 "tracking_no": serializers.CharField(required=False)}))
    def post(self, request: Request, pk: int) -> Response:
        delivery = get_object_or_404(selectors.pending_deliveries_for(request.user), pk=pk)  # type: ignore[arg-type]
        delivery = services.report_delivery_record(delivery=delivery, acting_user=request.user,  # type: ignore[arg-type]
                                                   **_form(DeliveryForm, request.data))
        return Response({"id": delivery.pk, "status": delivery.status})


class InterpretationDone(APIView):
    @extend_schema(operation_id="interpretations_done", responses={200: _Done}, request=inline_serializer(
        "InterpretationDone", {"method": serializers.CharField(), "notes": serializers.CharField(required=False)}))
    def post(self, request: Request, pk: int) -> Response:
        interpretation = get_object_or_404(selectors.pending_interpretations_for(request.user), pk=pk)  # type: ignore[arg-type]
        interpretation = services.interpretation_complete(interpretation=interpretation, acting_user=request.user,  # type: ignore[arg-type]
                                                          **_form(InterpretationForm, request.data))
        return Response({"id": interpretation.pk, "status": interpretation.status})
