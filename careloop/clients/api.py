"""/api/v1/clients/ and /api/v1/enterprises/ — thin: parse, call selectors/services, shape the answer."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from careloop.audit.services import audit_record
from careloop.clients import fhir, selectors, services
from careloop.clients import serializers as s
from careloop.clients.filters import client_list_filters
from careloop.clients.models import Client, ClientStatus, Enterprise, Tier
from careloop.clients.timeline import KINDS, timeline_for
from careloop.org.models import OrgUnit, User
from careloop.org.permissions import Cap, user_can
from careloop.org.selectors import subtree_q


def _unit(pk: int) -> OrgUnit:
    unit = OrgUnit.objects.filter(pk=pk).first()
    if unit is None:
        raise ValidationError({"branch": [_("Branch: no organisation unit with id %(id)s") % {"id": pk}]})
    return unit


def _staff(pk: int | None) -> User | None:
    if pk is None:
        return None
    user = User.objects.filter(pk=pk).first()
    if user is None:
        raise ValidationError({"staff": [_("Staff: no staff member with id %(id)s") % {"id": pk}]})
    return user


CLIENT_FILTERS = [
    OpenApiParameter("q", str, description="Name prefix"),
    OpenApiParameter("phone", str, description="Exact mobile number"),
    OpenApiParameter("id_number", str, description="Exact resident ID number"),
    OpenApiParameter("status", str, enum=ClientStatus.values),
    OpenApiParameter("tier", str, enum=Tier.values),
    OpenApiParameter("branch", int),
]


# What a list row shows (ClientSerializer): every encrypted column loaded is decrypted, so the list
# leaves out those it does not show (second phone, emergency phone) and the free-text notes.
LIST_FIELDS = ("id", "name", "sex", "birth_date", "id_number", "phone", "address", "email", "branch", "branch__id",
               "branch__name", "tier", "status", "is_vip", "health_manager", "family_doctor",
               "preferred_channels", "contact_hours", "created_at", "updated_at")


class ClientViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = s.ClientSerializer
    queryset = Client.objects.none()
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self) -> Any:
        return selectors.client_search(
            self.request.user, **client_list_filters(self.request.query_params),  # type: ignore[arg-type]
        ).select_related("branch").only(*LIST_FIELDS).order_by("name", "id")

    def _client(self, pk: Any, cap: Cap = Cap.VIEW_CLIENTS) -> Client:
        return selectors.client_for(self.request.user, pk, cap=cap)  # type: ignore[arg-type]

    @extend_schema(parameters=CLIENT_FILTERS)
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        if not user_can(request.user, Cap.VIEW_CLIENTS):
            raise PermissionDenied(_("Your role does not allow opening client records."))
        response = super().list(request, *args, **kwargs)
        filters = {k: ("***" if k in ("phone", "id_number") else v) for k, v in request.query_params.items()}
        audit_record(actor=request.user, action="client.list", detail={"filters": filters, "count": response.data["count"]})
        return response

    def retrieve(self, request: Request, pk: Any = None) -> Response:
        client = self._client(pk)
        audit_record(actor=request.user, action="client.view", obj=client, client=client)
        return Response(s.ClientSerializer(client).data)

    @extend_schema(request=s.ClientWriteSerializer, responses={201: s.ClientSerializer})
    def create(self, request: Request) -> Response:
        body = s.ClientWriteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = s.write_data(body.validated_data)
        data["branch"] = _unit(data["branch"])
        client = services.client_create(acting_user=request.user, data=data,  # type: ignore[arg-type]
                                        confirm_not_duplicate=body.validated_data["confirm_not_duplicate"])
        return Response(s.ClientSerializer(client).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=s.ClientWriteSerializer(partial=True), responses={200: s.ClientSerializer})
    def partial_update(self, request: Request, pk: Any = None) -> Response:
        client = self._client(pk)
        body = s.ClientWriteSerializer(data=request.data, partial=True)
        body.is_valid(raise_exception=True)
        data = s.write_data(body.validated_data)
        if "branch" in data:
            data["branch"] = _unit(data["branch"])
        client = services.client_update(acting_user=request.user, client=client, data=data)  # type: ignore[arg-type]
        return Response(s.ClientSerializer(client).data)

    @extend_schema(request=s.StatusChangeSerializer, responses={200: s.ClientSerializer})
    @action(detail=True, methods=["post"], url_path="status")
    def change_status(self, request: Request, pk: Any = None) -> Response:
        client = self._client(pk)
        body = s.StatusChangeSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        client = services.client_change_status(acting_user=request.user, client=client, **body.validated_data)  # type: ignore[arg-type]
        return Response(s.ClientSerializer(client).data)

    @extend_schema(request=s.AssignmentSerializer, responses={200: s.ClientSerializer})
    @action(detail=True, methods=["post"], url_path="assignments")
    def assign(self, request: Request, pk: Any = None) -> Response:
        client = self._client(pk)
        body = s.AssignmentSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        client = services.client_assign(
            acting_user=request.user, client=client, kind=body.validated_data["kind"],  # type: ignore[arg-type]
            staff=_staff(body.validated_data["staff"]), reason=body.validated_data.get("reason", ""),
        )
        return Response(s.ClientSerializer(client).data)

    @extend_schema(request=s.RevealSerializer, responses={200: s.RevealResultSerializer})
    @action(detail=True, methods=["post"], url_path="reveal")
    def reveal(self, request: Request, pk: Any = None) -> Response:
        """Show one contact field in full. Needs the right and a reason; always audited."""
        client = self._client(pk, cap=Cap.VIEW_CONTACT)
        body = s.RevealSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        value = services.client_reveal_contact(acting_user=request.user, client=client, **body.validated_data)  # type: ignore[arg-type]
        return Response({"field": body.validated_data["field"], "value": value})

    @extend_schema(methods=["get"], responses={200: s.ConsentSerializer(many=True)})
    @extend_schema(methods=["post"], request=s.ConsentWriteSerializer, responses={201: s.ConsentSerializer})
    @action(detail=True, methods=["get", "post"], url_path="consents", pagination_class=None)
    def consents(self, request: Request, pk: Any = None) -> Response:
        client = self._client(pk, cap=Cap.VIEW_CONTACT)
        if request.method == "POST":
            body = s.ConsentWriteSerializer(data=request.data)
            body.is_valid(raise_exception=True)
            consent = services.consent_record(acting_user=request.user, client=client, **body.validated_data)  # type: ignore[arg-type]
            return Response(s.ConsentSerializer(consent).data, status=status.HTTP_201_CREATED)
        audit_record(actor=request.user, action="consent.list", obj=client, client=client)
        rows = client.consents.select_related("recorded_by").all()
        return Response(s.ConsentSerializer(rows, many=True).data)

    @extend_schema(parameters=[OpenApiParameter("kind", str, enum=[*KINDS])],
                   responses={200: s.TimelineEntrySerializer(many=True)})
    @action(detail=True, methods=["get"], url_path="timeline", pagination_class=None)
    def timeline(self, request: Request, pk: Any = None) -> Response:
        client = self._client(pk)
        kinds = [k for k in request.query_params.getlist("kind") if k]
        unknown = [k for k in kinds if k not in KINDS]
        if unknown:
            raise ValidationError({"kind": [_("Kind: must be one of: %(values)s") % {"values": ", ".join(KINDS)}]})
        audit_record(actor=request.user, action="client.timeline", obj=client, client=client)
        entries = timeline_for(client, request.user, kinds=kinds)  # type: ignore[arg-type]
        return Response(s.TimelineEntrySerializer(entries, many=True).data)

    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    @action(detail=True, methods=["get"], url_path="fhir")
    def fhir(self, request: Request, pk: Any = None) -> Response:
        """The client's record as a FHIR R4 Bundle (collection)."""
        client = self._client(pk)
        audit_record(actor=request.user, action="client.export.fhir", obj=client, client=client)
        return Response(fhir.bundle_for(client, request.user))  # type: ignore[arg-type]


class EnterpriseViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = s.EnterpriseSerializer
    queryset = Enterprise.objects.none()
    http_method_names = ["get", "post", "head", "options"]

    def get_queryset(self) -> Any:
        if not user_can(self.request.user, Cap.VIEW_CLIENTS):
            return Enterprise.objects.none()
        return (Enterprise.objects.filter(subtree_q(self.request.user))  # type: ignore[arg-type]
                .annotate(member_count=Count("memberships")).order_by("name", "id"))

    def _enterprise(self, pk: Any) -> Enterprise:
        if not str(pk).isdigit():
            raise Http404
        return get_object_or_404(self.get_queryset(), pk=int(pk))

    def retrieve(self, request: Request, pk: Any = None) -> Response:
        enterprise = self._enterprise(pk)
        return Response(s.EnterpriseSerializer(enterprise).data)

    @extend_schema(request=s.EnterpriseWriteSerializer, responses={201: s.EnterpriseSerializer})
    def create(self, request: Request) -> Response:
        body = s.EnterpriseWriteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        data["branch"] = _unit(data["branch"])
        enterprise = services.enterprise_create(acting_user=request.user, **data)  # type: ignore[arg-type]
        enterprise.member_count = 0  # type: ignore[attr-defined]
        return Response(s.EnterpriseSerializer(enterprise).data, status=status.HTTP_201_CREATED)

    @extend_schema(methods=["get"], responses={200: s.EnterpriseMemberSerializer(many=True)})
    @extend_schema(methods=["post"], request=s.EnterpriseMemberWriteSerializer, responses={201: s.EnterpriseMemberSerializer})
    @action(detail=True, methods=["get", "post"], url_path="members", pagination_class=None)
    def members(self, request: Request, pk: Any = None) -> Response:
        enterprise = self._enterprise(pk)
        if request.method == "POST":
            body = s.EnterpriseMemberWriteSerializer(data=request.data)
            body.is_valid(raise_exception=True)
            data = dict(body.validated_data)
            try:
                client = selectors.client_for(request.user, data.pop("client"))  # type: ignore[arg-type]
            except Http404:
                raise ValidationError({"client": [_("Client: no such client in your scope")]}) from None
            member = services.enterprise_add_member(acting_user=request.user, enterprise=enterprise, client=client,  # type: ignore[arg-type]
                                                    **data)
            return Response(s.EnterpriseMemberSerializer(member).data, status=status.HTTP_201_CREATED)
        visible = selectors.clients_visible_to(request.user)  # type: ignore[arg-type]
        rows = enterprise.memberships.filter(client__in=visible).select_related("client")
        return Response(s.EnterpriseMemberSerializer(rows, many=True).data)
