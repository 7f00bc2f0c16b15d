"""API of careloop.assessments (CONTRACT `/api/v1/assessments/`, `/api/v1/assessments/tcm-constitution/`).

Thin views: parse the request, call the engine, a selector or a service, shape the answer."""

from __future__ import annotations

import datetime as dt
from typing import Any, cast
from zoneinfo import ZoneInfo

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from careloop.audit.services import audit_record
from careloop.clients.models import Enterprise
from careloop.clients.selectors import client_for
from careloop.core.api import Pagination
from careloop.org.models import User
from careloop.org.permissions import Cap, user_can
from careloop.org.selectors import subtree_q

from . import pdf, services
from .documents import assessment_document
from .engine import InputError, assess_all, normalize_inputs, tcm
from .engine.report import build_sections
from .models import Assessment, AssessmentBatch
from .selectors import assessments_visible_to, enterprise_group_report, prescription_rules

MAX_ID = 2**31  # ids and numbers beyond a database integer are refused, not passed on


BEIJING = ZoneInfo("Asia/Shanghai")


def _user(request: Request) -> User:
    """The signed-in staff member (every view here requires authentication)."""
    return cast(User, request.user)


def _lang() -> str:
    return "en" if (get_language() or "").startswith("en") else "zh"


def _int_field(data: Any, name: str) -> int:
    value = data.get(name) if isinstance(data, dict) else None
    if isinstance(value, bool) or value in (None, ""):
        raise ValidationError({name: [_("This field is required.")]})
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ValidationError({name: [_("Must be a whole number.")]}) from None
    if not 0 < number < MAX_ID:
        raise ValidationError({name: [_("Must be a whole number.")]})
    return number


def _date_field(data: dict[str, Any], name: str) -> dt.date | None:
    value = data.get(name)
    if value in (None, ""):
        return None
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise ValidationError({name: [_("Use the format YYYY-MM-DD.")]}) from None


def assessment_json(a: Assessment, *, full: bool = True) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": a.pk,
        "client": a.client_id,
        "status": a.status,
        "created_at": a.created_at.isoformat(),
        "issued_at": a.issued_at.isoformat() if a.issued_at else None,
        "issued_by": a.issued_by.get_username() if a.issued_by_id and a.issued_by else None,
        "models": a.result["models"],
        "risk_factors": a.result["risk_factors"],
        "sources_absent": a.result.get("sources_absent", []),
    }
    if full:
        body.update(
            inputs=a.inputs,
            provenance=a.provenance,
            sections=a.sections,
            prescription=a.prescription,
            tcm=a.tcm,
            signature=a.signature,
        )
    return body


ModelOut = inline_serializer(
    "AssessmentModel",
    many=True,
    fields={
        "code": serializers.CharField(),
        "name": serializers.CharField(),
        "source": serializers.CharField(),
        "value": serializers.FloatField(allow_null=True),
        "unit": serializers.CharField(),
        "category": serializers.ChoiceField(choices=["low", "medium", "high"], allow_null=True),
        "missing": serializers.ListField(child=serializers.CharField()),
    },
)
AssessOut = inline_serializer(
    "AssessmentResult",
    {
        "models": ModelOut,
        "risk_factors": serializers.ListField(child=serializers.DictField()),
        "assessment": serializers.IntegerField(required=False),
        "sources_absent": serializers.ListField(child=serializers.CharField(), required=False),
    },
)
AssessIn = inline_serializer(
    "AssessmentRequest",
    {"client": serializers.IntegerField(required=False), "inputs": serializers.DictField(required=False)},
)


class AssessmentListView(APIView):
    @extend_schema(
        operation_id="assessments_list",
        parameters=[OpenApiParameter("client", int, description="only this client's assessments")],
        responses={200: OpenApiTypes.OBJECT},
        tags=["assessments"],
    )
    def get(self, request: Request) -> Response:
        user = _user(request)
        if not user_can(user, Cap.VIEW_RESULTS):
            raise PermissionDenied(_("Your role does not allow this."))
        qs = assessments_visible_to(user).select_related("issued_by").order_by("-created_at", "-pk")
        if request.query_params.get("client"):
            client = client_for(user, request.query_params["client"], cap=Cap.VIEW_RESULTS)
            qs = qs.filter(client=client)
        paginator = Pagination()
        page = paginator.paginate_queryset(qs, request, view=self)
        return paginator.get_paginated_response([assessment_json(a, full=False) for a in page or []])

    @extend_schema(request=AssessIn, responses={200: AssessOut, 201: AssessOut}, tags=["assessments"])
    def post(self, request: Request) -> Response:
        data = request.data if isinstance(request.data, dict) else {}
        has_client, has_inputs = "client" in data, "inputs" in data
        if has_client == has_inputs:
            raise ValidationError({"non_field_errors": [_("Send either 'client' or 'inputs'.")]})
        if has_inputs:
            try:
                inputs = normalize_inputs(data["inputs"])
            except InputError as exc:
                return Response(
                    {"inputs": {k: [v] for k, v in exc.errors.items()}}, status=status.HTTP_400_BAD_REQUEST
                )
            result = assess_all(inputs, lang=_lang())
            result["sections"] = build_sections(inputs, {}, result, [], prescription_rules())
            return Response(result)
        client = client_for(_user(request), _int_field(data, "client"), cap=Cap.VIEW_RESULTS)
        assessment = services.assessment_run_for_client(client=client, acting_user=_user(request))
        body = assessment_json(assessment)
        body["assessment"] = assessment.pk
        return Response(body, status=status.HTTP_201_CREATED)


def _assessment_for(user: User, pk: int) -> Assessment:
    assessment = get_object_or_404(Assessment.objects.select_related("client", "issued_by"), pk=pk)
    client_for(user, assessment.client_id, cap=Cap.VIEW_RESULTS)
    return assessment


class AssessmentDetailView(APIView):
    @extend_schema(responses={200: OpenApiTypes.OBJECT}, tags=["assessments"])
    def get(self, request: Request, pk: int) -> Response:
        assessment = _assessment_for(_user(request), pk)
        audit_record(actor=_user(request), action="assessment.view", obj=assessment, client=assessment.client)
        return Response(assessment_json(assessment))


def report_document_for(assessment: Assessment) -> dict[str, Any]:
    client = assessment.client
    doc = assessment_document(
        inputs=dict.fromkeys(assessment.inputs) | assessment.inputs,
        provenance=assessment.provenance,
        lifestyle=assessment.lifestyle,
        rules=[],
        client_rows=[
            ("姓名", client.name),
            ("性别", client.get_sex_display()),
            ("出生日期", f"{client.birth_date:%Y-%m-%d}"),
            ("评估日期", f"{assessment.created_at.astimezone(BEIJING):%Y-%m-%d}"),
        ],
        prescription=assessment.prescription,
    )
    # the stored results are what was assessed; the document shows them, not a re-computation
    doc.update(result=assessment.result, models=assessment.result["models"], sections=assessment.sections)
    if assessment.tcm:
        doc["tcm"] = assessment.tcm
    if assessment.issued_at:
        doc["issued"] = (
            # signed with the person's name and the local (Beijing) time, not the login name and UTC
            f"签发：{assessment.issued_by or ''}  "
            f"{assessment.issued_at.astimezone(BEIJING):%Y-%m-%d %H:%M}（北京时间）  电子签名 {assessment.signature[:16]}"
        )
    else:
        doc["issued"] = "草稿（未签发）"
    return doc


class AssessmentPdfView(APIView):
    @extend_schema(responses={(200, "application/pdf"): OpenApiTypes.BINARY}, tags=["assessments"])
    def get(self, request: Request, pk: int) -> HttpResponse:
        assessment = _assessment_for(_user(request), pk)
        audit_record(actor=_user(request), action="assessment.pdf", obj=assessment, client=assessment.client)
        body = pdf.render_assessment_pdf(report_document_for(assessment))
        response = HttpResponse(body, content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="assessment-{assessment.pk}.pdf"'
        return response


class AssessmentPrescriptionView(APIView):
    @extend_schema(
        request=inline_serializer(
            "PrescriptionEdit", {"items": serializers.ListField(child=serializers.DictField())}
        ),
        responses={200: OpenApiTypes.OBJECT},
        tags=["assessments"],
    )
    def post(self, request: Request, pk: int) -> Response:
        assessment = _assessment_for(_user(request), pk)
        items = request.data.get("items") if isinstance(request.data, dict) else None
        if not isinstance(items, list):
            raise ValidationError({"items": [_("Must be a list of advice items.")]})
        assessment = services.assessment_update_prescription(
            assessment=assessment, items=items, acting_user=_user(request)
        )
        return Response(assessment_json(assessment))


class AssessmentIssueView(APIView):
    @extend_schema(request=None, responses={200: OpenApiTypes.OBJECT}, tags=["assessments"])
    def post(self, request: Request, pk: int) -> Response:
        assessment = _assessment_for(_user(request), pk)
        assessment = services.assessment_issue(assessment=assessment, acting_user=_user(request))
        return Response(assessment_json(assessment))


TcmIn = inline_serializer(
    "TcmConstitutionRequest",
    {
        "answers": serializers.ListField(
            child=serializers.IntegerField(min_value=1, max_value=5), min_length=33, max_length=33
        ),
        "client": serializers.IntegerField(
            required=False, help_text="record the result for this client (65+)"
        ),
    },
)
TcmOut = inline_serializer(
    "TcmConstitutionResult",
    {
        "types": inline_serializer(
            "TcmType",
            many=True,
            fields={
                "code": serializers.CharField(),
                "name": serializers.CharField(),
                "score": serializers.IntegerField(),
                "result": serializers.ChoiceField(choices=["yes", "basically", "tendency", "no"]),
            },
        ),
        "primary": serializers.CharField(allow_null=True),
    },
)


class TcmConstitutionView(APIView):
    @extend_schema(request=TcmIn, responses={200: TcmOut, 201: TcmOut}, tags=["assessments"])
    def post(self, request: Request) -> Response:
        data = request.data if isinstance(request.data, dict) else {}
        answers = data.get("answers")
        if "client" in data:
            client = client_for(_user(request), _int_field(data, "client"), cap=Cap.VIEW_RESULTS)
            record = services.constitution_record_create(
                client=client,
                answers=answers,
                acting_user=_user(request),
                recorded_on=_date_field(data, "recorded_on"),
            )
            body = dict(record.result, record=record.pk)
            return Response(self._with_guidance(body), status=status.HTTP_201_CREATED)
        try:
            result = tcm.identify(answers, lang=_lang())
        except tcm.AnswersError as exc:
            raise ValidationError({"answers": [str(exc)]}) from None
        return Response(self._with_guidance(result.as_dict()))

    @staticmethod
    def _with_guidance(body: dict[str, Any]) -> dict[str, Any]:
        codes = ([body["primary"]] if body["primary"] else []) + [
            c for c in body["mixed"] if c != body["primary"]
        ]
        body["guidance"] = [{"code": c, **tcm.guidance(c)} for c in codes]
        return body


def _group_report_for(user: User, pk: int) -> dict[str, Any]:
    if not (user_can(user, Cap.VIEW_STATS) or user_can(user, Cap.VIEW_RESULTS)):
        raise PermissionDenied(_("Your role does not allow this."))
    enterprise = Enterprise.objects.filter(subtree_q(user, field="branch"), pk=pk).first()
    if enterprise is None:
        raise Http404(_("No such enterprise."))
    doc = enterprise_group_report(enterprise)
    audit_record(
        actor=user, action="assessment.group_report", obj=enterprise, detail={"members": doc["members"]}
    )
    return doc


class GroupReportView(APIView):
    @extend_schema(responses={200: OpenApiTypes.OBJECT}, tags=["assessments"])
    def get(self, request: Request, pk: int) -> Response:
        return Response(_group_report_for(_user(request), pk))


class GroupReportPdfView(APIView):
    @extend_schema(responses={(200, "application/pdf"): OpenApiTypes.BINARY}, tags=["assessments"])
    def get(self, request: Request, pk: int) -> HttpResponse:
        doc = _group_report_for(_user(request), pk)
        return HttpResponse(pdf.render_group_pdf(doc), content_type="application/pdf")


class BatchView(APIView):
    @extend_schema(
        request=inline_serializer(
            "AssessmentBatchRequest", {"clients": serializers.ListField(child=serializers.IntegerField())}
        ),
        responses={201: OpenApiTypes.OBJECT},
        tags=["assessments"],
    )
    def post(self, request: Request) -> Response:
        ids = request.data.get("clients") if isinstance(request.data, dict) else None
        if not isinstance(ids, list) or not all(
            isinstance(i, int) and not isinstance(i, bool) and 0 < i < MAX_ID for i in ids
        ):
            raise ValidationError({"clients": [_("Must be a list of client ids.")]})
        batch = services.assessment_batch_start(client_ids=ids, acting_user=_user(request))
        batch.refresh_from_db()
        return Response(batch_json(batch), status=status.HTTP_201_CREATED)


def batch_json(batch: AssessmentBatch) -> dict[str, Any]:
    return {
        "id": batch.pk,
        "status": batch.status,
        "total": batch.total,
        "done": batch.done,
        "failed": batch.failed,
        "percent": batch.percent,
    }


class BatchDetailView(APIView):
    @extend_schema(responses={200: OpenApiTypes.OBJECT}, tags=["assessments"])
    def get(self, request: Request, pk: int) -> Response:
        batch = get_object_or_404(AssessmentBatch, pk=pk, created_by=_user(request))
        return Response(batch_json(batch))


class InputEntryView(APIView):
    @extend_schema(
        request=inline_serializer(
            "AssessmentInputEntry",
            {
                "client": serializers.IntegerField(),
                "values": serializers.DictField(),
                "measured_on": serializers.DateField(required=False),
            },
        ),
        responses={201: OpenApiTypes.OBJECT},
        tags=["assessments"],
    )
    def post(self, request: Request) -> Response:
        data = request.data if isinstance(request.data, dict) else {}
        client = client_for(_user(request), _int_field(data, "client"), cap=Cap.VIEW_RESULTS)
        values = data.get("values")
        if not isinstance(values, dict):
            raise ValidationError({"values": [_("Must be an object of assessment inputs.")]})
        entry = services.input_entry_record(
            client=client,
            values=values,
            acting_user=_user(request),
            measured_on=_date_field(data, "measured_on"),
        )
        return Response(
            {
                "id": entry.pk,
                "client": client.pk,
                "values": entry.values,
                "measured_on": f"{entry.measured_on}",
            },
            status=201,
        )


class QuestionnaireResponseView(APIView):
    @extend_schema(
        request=inline_serializer(
            "QuestionnaireAnswers",
            {
                "client": serializers.IntegerField(),
                "answers": serializers.DictField(),
                "answered_on": serializers.DateField(required=False),
            },
        ),
        responses={201: OpenApiTypes.OBJECT},
        tags=["assessments"],
    )
    def post(self, request: Request) -> Response:
        data = request.data if isinstance(request.data, dict) else {}
        client = client_for(_user(request), _int_field(data, "client"), cap=Cap.VIEW_RESULTS)
        answers = data.get("answers")
        if not isinstance(answers, dict):
            raise ValidationError({"answers": [_("Must be an object of question codes and answers.")]})
        response = services.questionnaire_response_record(
            client=client,
            answers=answers,
            acting_user=_user(request),
            answered_on=_date_field(data, "answered_on"),
        )
        return Response(
            {
                "id": response.pk,
                "client": client.pk,
                "questionnaire": response.questionnaire.code,
                "version": response.questionnaire.version,
                "answered_on": f"{response.answered_on}",
            },
            status=201,
        )


class ChildTcmGuidanceView(APIView):
    @extend_schema(
        request=inline_serializer(
            "ChildTcmGuidanceRequest",
            {
                "client": serializers.IntegerField(),
                "age_months": serializers.IntegerField(),
                "massage": serializers.ListField(child=serializers.CharField(), required=False),
                "diet": serializers.BooleanField(required=False),
                "routine": serializers.BooleanField(required=False),
                "notes": serializers.CharField(required=False),
            },
        ),
        responses={201: OpenApiTypes.OBJECT},
        tags=["assessments"],
    )
    def post(self, request: Request) -> Response:
        data = request.data if isinstance(request.data, dict) else {}
        client = client_for(_user(request), _int_field(data, "client"), cap=Cap.VIEW_RESULTS)
        massage = data.get("massage")
        if massage is not None and (
            not isinstance(massage, list) or not all(isinstance(m, str) for m in massage)
        ):
            raise ValidationError({"massage": [_("Must be a list of method codes.")]})
        record = services.child_tcm_guidance_record(
            client=client,
            age_months=_int_field(data, "age_months"),
            massage=massage,
            diet=bool(data.get("diet", True)),
            routine=bool(data.get("routine", True)),
            notes=str(data.get("notes", ""))[:2000],
            acting_user=_user(request),
            given_on=_date_field(data, "given_on"),
        )
        return Response(
            {
                "id": record.pk,
                "client": client.pk,
                "age_months": record.age_months,
                "massage": record.massage,
                "diet": record.diet,
                "routine": record.routine,
                "given_on": f"{record.given_on}",
            },
            status=201,
        )
