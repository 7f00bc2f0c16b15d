"""API of careloop.crm (CONTRACT `/clients/{id}/ledger/`, …): thin — parse, call selectors/services."""

from __future__ import annotations

from typing import Any, cast

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.response import Response

from careloop.audit.services import audit_record
from careloop.crm import selectors, services
from careloop.crm import serializers as s
from careloop.crm.permissions import ledger_client_for
from careloop.org.models import User


def _user(request: Request) -> User:
    return cast(User, request.user)


class LedgerView(GenericAPIView):
    """A client's spending and visit history (purchases, visits, checkups, refunds)."""

    serializer_class = s.LedgerEntrySerializer

    @extend_schema(responses={200: s.LedgerEntrySerializer(many=True)})
    def get(self, request: Request, pk: int) -> Response:
        client = ledger_client_for(_user(request), pk)
        page = self.paginate_queryset(selectors.ledger_for(client))
        audit_record(actor=request.user, action="ledger.view", obj=client, client=client)
        return self.get_paginated_response(s.LedgerEntrySerializer(page, many=True).data)

    @extend_schema(request=s.LedgerEntryWriteSerializer, responses={201: s.LedgerEntrySerializer})
    def post(self, request: Request, pk: int) -> Response:
        client = ledger_client_for(_user(request), pk, write=True)
        body = s.LedgerEntryWriteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data: dict[str, Any] = body.validated_data
        entry = services.ledger_entry_add(client=client, acting_user=_user(request), **data)
        return Response(s.LedgerEntrySerializer(entry).data, status=status.HTTP_201_CREATED)
