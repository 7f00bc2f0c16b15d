"""/api/v1/fhir/ — a FHIR R4 transaction Bundle in, a transaction-response Bundle out (thin)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from careloop.fhir.importing import fhir_bundle_import


class FhirTransaction(APIView):
    @extend_schema(
        operation_id="fhir_transaction",
        request=OpenApiTypes.OBJECT,
        responses={200: OpenApiTypes.OBJECT, 400: OpenApiTypes.OBJECT},
        description=("Import a FHIR R4 transaction Bundle of Patient, Encounter, Appointment, DiagnosticReport and "
                     "Observation resources: all or nothing, idempotent by identifier. Errors are keyed by element "
                     "path, e.g. `entry[3].resource.valueQuantity.unit`."),
        examples=[OpenApiExample("Patient", value={"resourceType": "Bundle", "type": "transaction", "entry": [
            {"fullUrl": "urn:uuid:p1", "resource": {"resourceType": "Patient", "name": [{"text": "王芳"}],
                                                    "gender": "female", "birthDate": "1970-05-17"},
             "request": {"method": "POST", "url": "Patient"}}]}, request_only=True)],
    )
    def post(self, request: Request) -> Response:
        data: Any = request.data
        return Response(fhir_bundle_import(bundle=data, acting_user=request.user), status=status.HTTP_200_OK)  # type: ignore[arg-type]
