"""API of careloop.crm (CONTRACT `/clients/{id}/ledger/`, …): thin — parse, call selectors/services."""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.generics import GenericAPIView, ListAPIView
from rest_framework.request import Request
from rest_framework.response import Response

from careloop.audit.services import audit_record
from careloop.clients.models import Client
from careloop.clients.selectors import client_for
from careloop.core.api import validation_error_detail
from careloop.crm import selectors, services
from careloop.crm import serializers as s
from careloop.crm.models import Appointment, Slot
from careloop.crm.permissions import ledger_client_for
from careloop.org.models import User
from careloop.org.permissions import Cap, user_can


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


def _conflict(exc: services.BookingConflict) -> Response:
    body = validation_error_detail(exc)
    body["conflict"] = exc.conflict
    return Response(body, status=status.HTTP_409_CONFLICT)


class TierView(GenericAPIView):
    """The client's tier: computed or set by hand, and its history. POST sets it by hand (a reason is required)."""

    serializer_class = s.TierSerializer

    def _body(self, client: Client) -> dict[str, Any]:
        override = selectors.current_override(client)
        return s.TierSerializer({
            "client": client.pk, "tier": client.tier, "source": "override" if override else "computed",
            "override": override, "history": list(selectors.tier_history(client)[:100]),
        }).data

    @extend_schema(responses={200: s.TierSerializer})
    def get(self, request: Request, pk: int) -> Response:
        client = client_for(_user(request), pk)
        audit_record(actor=request.user, action="tier.view", obj=client, client=client)
        return Response(self._body(client))

    @extend_schema(request=s.TierWriteSerializer, responses={200: s.TierSerializer})
    def post(self, request: Request, pk: int) -> Response:
        client = client_for(_user(request), pk)
        body = s.TierWriteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.tier_override_set(client=client, acting_user=_user(request), **body.validated_data)
        client.refresh_from_db(fields=["tier"])
        return Response(self._body(client))

    @extend_schema(request=s.TierLiftSerializer, responses={200: s.TierSerializer})
    def delete(self, request: Request, pk: int) -> Response:
        """Lift the override (body: ``reason``); the computed tier applies again."""
        client = client_for(_user(request), pk)
        body = s.TierLiftSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.tier_override_lift(client=client, reason=body.validated_data["reason"], acting_user=_user(request))
        client.refresh_from_db(fields=["tier"])
        return Response(self._body(client))


class SlotListView(ListAPIView):
    """Appointment slots at the sites of the caller's part of the organisation."""

    serializer_class = s.SlotSerializer
    queryset = Slot.objects.none()

    def get_queryset(self) -> Any:
        user = _user(self.request)
        if not (user_can(user, Cap.BOOK_APPOINTMENTS) or user_can(user, Cap.MANAGE_SLOTS)):
            raise PermissionDenied(_("Your role does not allow this."))
        params = self.request.query_params
        site = _int_param(params, "site")
        day = _date_param(params, "date")
        return selectors.slots_for(user, site=site, day=day, service=params.get("service", ""))

    @extend_schema(parameters=[OpenApiParameter("site", int), OpenApiParameter("date", OpenApiTypes.DATE),
                               OpenApiParameter("service", str)])
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


class AppointmentListView(GenericAPIView):
    serializer_class = s.AppointmentSerializer

    def get_queryset(self) -> Any:
        user = _user(self.request)
        qs = selectors.appointments_visible_to(user).order_by("slot__start", "id")
        params = self.request.query_params
        client = _int_param(params, "client")
        if client:
            qs = qs.filter(client_id=client)
        day = _date_param(params, "date")
        if day:
            start = timezone.make_aware(dt.datetime.combine(day, dt.time.min))
            qs = qs.filter(slot__start__gte=start, slot__start__lt=start + dt.timedelta(days=1))
        return qs

    @extend_schema(parameters=[OpenApiParameter("client", int), OpenApiParameter("date", OpenApiTypes.DATE)],
                   responses={200: s.AppointmentSerializer(many=True)})
    def get(self, request: Request) -> Response:
        if not user_can(request.user, Cap.VIEW_CLIENTS):
            raise PermissionDenied(_("Your role does not allow this."))
        page = self.paginate_queryset(self.get_queryset())
        audit_record(actor=request.user, action="appointment.list", detail={
            "filters": dict(request.query_params.items()), "count": len(page or [])})
        return self.get_paginated_response(s.AppointmentSerializer(page, many=True).data)

    @extend_schema(request=s.AppointmentWriteSerializer,
                   responses={201: s.AppointmentSerializer, 409: OpenApiTypes.OBJECT})
    def post(self, request: Request) -> Response:
        user = _user(request)
        body = s.AppointmentWriteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        client = client_for(user, body.validated_data["client"])
        slot = selectors.slots_for(user).filter(pk=body.validated_data["slot"]).first()
        if slot is None:
            raise ValidationError({"slot": [_("Slot: no such time at your sites.")]})
        try:
            appointment = services.appointment_book(client=client, slot=slot, acting_user=user,
                                                    notes=body.validated_data["notes"])
        except services.BookingConflict as exc:
            return _conflict(exc)
        return Response(s.AppointmentSerializer(appointment).data, status=status.HTTP_201_CREATED)


class AppointmentDetailView(GenericAPIView):
    serializer_class = s.AppointmentSerializer

    def _get(self, request: Request, pk: int) -> Appointment:
        appointment = selectors.appointments_visible_to(_user(request)).filter(pk=pk).first()
        if appointment is None:
            raise Http404(_("No such appointment."))
        return appointment

    @extend_schema(responses={200: s.AppointmentSerializer})
    def get(self, request: Request, pk: int) -> Response:
        appointment = self._get(request, pk)
        audit_record(actor=request.user, action="appointment.view", obj=appointment, client=appointment.client)
        return Response(s.AppointmentSerializer(appointment).data)

    @extend_schema(request=s.AppointmentChangeSerializer, responses={200: s.AppointmentSerializer,
                                                                       409: OpenApiTypes.OBJECT})
    def patch(self, request: Request, pk: int) -> Response:
        """``status`` ∈ checked_in, no_show, cancelled; or ``slot`` to reschedule."""
        user = _user(request)
        appointment = self._get(request, pk)
        body = s.AppointmentChangeSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        if ("status" in data) == ("slot" in data):
            raise ValidationError({"status": [_("Status: give either a new status or a new slot.")]})
        try:
            if "slot" in data:
                slot = selectors.slots_for(user).filter(pk=data["slot"]).first()
                if slot is None:
                    raise ValidationError({"slot": [_("Slot: no such time at your sites.")]})
                appointment = services.appointment_reschedule(appointment=appointment, slot=slot, acting_user=user)
            elif data["status"] == "checked_in":
                appointment = services.appointment_check_in(appointment=appointment, acting_user=user)
            elif data["status"] == "no_show":
                appointment = services.appointment_no_show(appointment=appointment, acting_user=user,
                                                           reason=data["reason"])
            else:
                appointment = services.appointment_cancel(appointment=appointment, reason=data["reason"],
                                                          acting_user=user)
        except services.BookingConflict as exc:
            return _conflict(exc)
        return Response(s.AppointmentSerializer(appointment).data)


def _param_label(name: str) -> str:
    return {"site": _("Site"), "client": _("Client"), "date": _("Date")}.get(name, name)


def _int_param(params: Any, name: str) -> int | None:
    raw = params.get(name)
    if raw is None:
        return None
    if not str(raw).isdigit() or not 0 < int(raw) < 2**31:
        raise ValidationError({name: [_("%(name)s: must be a whole number.") % {"name": _param_label(name)}]})
    return int(raw)


def _date_param(params: Any, name: str) -> dt.date | None:
    raw = params.get(name)
    if raw is None:
        return None
    try:
        return dt.date.fromisoformat(str(raw))
    except ValueError:
        raise ValidationError({name: [_("%(name)s: use the format YYYY-MM-DD.") % {"name": _param_label(name)}]}) from None
