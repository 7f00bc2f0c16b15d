"""API for offers and community events (salons): thin — parse, call ``crm.engagement``, answer."""

from __future__ import annotations

from typing import Any, cast

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.response import Response

from careloop.audit.services import audit_record
from careloop.clients.selectors import client_for, clients_visible_to
from careloop.core.api import validation_error_detail
from careloop.crm import engagement, selectors
from careloop.crm import serializers as s
from careloop.crm.models import CommunityEvent, EventRegistration, Offer, OfferSent
from careloop.org.models import User
from careloop.org.permissions import Cap, user_can


def _user(request: Request) -> User:
    return cast(User, request.user)


def _require_any(user: User, *caps: Cap) -> None:
    if not any(user_can(user, c) for c in caps):
        raise PermissionDenied(_("Your role does not allow this."))


def _conflict(exc: engagement.EventConflict) -> Response:
    body = validation_error_detail(exc)
    body["conflict"] = exc.conflict
    return Response(body, status=status.HTTP_409_CONFLICT)


class OfferListView(GenericAPIView):
    """Offers in force for the caller's part of the organisation; POST creates one (``manage_offers``)."""

    serializer_class = s.OfferSerializer

    @extend_schema(responses={200: s.OfferSerializer(many=True)})
    def get(self, request: Request) -> Response:
        _require_any(_user(request), Cap.MANAGE_OFFERS, Cap.ENGAGE_CLIENTS)
        page = self.paginate_queryset(selectors.offers_visible_to(_user(request)))  # type: ignore[arg-type]
        return self.get_paginated_response(s.OfferSerializer(page, many=True).data)

    @extend_schema(request=s.OfferWriteSerializer, responses={201: s.OfferSerializer})
    def post(self, request: Request) -> Response:
        body = s.OfferWriteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        offer = engagement.offer_save(data=dict(body.validated_data), acting_user=_user(request))
        return Response(s.OfferSerializer(offer).data, status=status.HTTP_201_CREATED)


class OfferDetailView(GenericAPIView):
    serializer_class = s.OfferSerializer

    def _get(self, request: Request, pk: int) -> Offer:
        offer = next((o for o in selectors.offers_visible_to(_user(request)) if o.pk == pk), None)
        if offer is None:
            raise Http404(_("No such offer."))
        return offer

    @extend_schema(responses={200: s.OfferSerializer})
    def get(self, request: Request, pk: int) -> Response:
        _require_any(_user(request), Cap.MANAGE_OFFERS, Cap.ENGAGE_CLIENTS)
        return Response(s.OfferSerializer(self._get(request, pk)).data)

    @extend_schema(request=s.OfferWriteSerializer(partial=True), responses={200: s.OfferSerializer})
    def patch(self, request: Request, pk: int) -> Response:
        offer = self._get(request, pk)
        body = s.OfferWriteSerializer(data=request.data, partial=True)
        body.is_valid(raise_exception=True)
        current = {"name": offer.name, "description": offer.description, "tiers": offer.tiers,
                   "valid_from": offer.valid_from, "valid_until": offer.valid_until, "active": offer.active,
                   "branch": offer.branch_id}
        offer = engagement.offer_save(data={**current, **body.validated_data}, offer=offer, acting_user=_user(request))
        return Response(s.OfferSerializer(offer).data)


class ClientOffersView(GenericAPIView):
    """The offers sent to a client (``GET``) and sending one (``POST {"offer", "channel"}``)."""

    serializer_class = s.OfferSentSerializer

    @extend_schema(responses={200: s.OfferSentSerializer(many=True)})
    def get(self, request: Request, pk: int) -> Response:
        client = client_for(_user(request), pk)
        page = self.paginate_queryset(OfferSent.objects.filter(client=client).select_related("offer", "sent_by"))
        audit_record(actor=request.user, action="engagement.client_view", obj=client, client=client)
        return self.get_paginated_response(s.OfferSentSerializer(page, many=True).data)

    @extend_schema(request=s.OfferSendSerializer, responses={201: s.OfferSentSerializer})
    def post(self, request: Request, pk: int) -> Response:
        user = _user(request)
        client = client_for(user, pk)
        _require_any(user, Cap.ENGAGE_CLIENTS)
        body = s.OfferSendSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        offer = Offer.objects.filter(pk=body.validated_data["offer"]).first()
        if offer is None:
            from django.core.exceptions import ValidationError

            raise ValidationError({"offer": [_("Offer: no such offer.")]})
        sent = engagement.offer_send(offer=offer, client=client, acting_user=user,
                                     channel=body.validated_data["channel"])
        return Response(s.OfferSentSerializer(sent).data, status=status.HTTP_201_CREATED)


class EventListView(GenericAPIView):
    """Salons, community events and lectures of the caller's part of the organisation; POST creates one."""

    serializer_class = s.EventSerializer

    @extend_schema(responses={200: s.EventSerializer(many=True)})
    def get(self, request: Request) -> Response:
        _require_any(_user(request), Cap.MANAGE_OFFERS, Cap.ENGAGE_CLIENTS)
        page = self.paginate_queryset(selectors.events_visible_to(_user(request)).order_by("-starts_at", "id"))
        return self.get_paginated_response(s.EventSerializer(page, many=True).data)

    @extend_schema(request=s.EventWriteSerializer, responses={201: s.EventSerializer})
    def post(self, request: Request) -> Response:
        body = s.EventWriteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        event = engagement.event_save(data=dict(body.validated_data), acting_user=_user(request))
        return Response(s.EventSerializer(event).data, status=status.HTTP_201_CREATED)


def _event(request: Request, pk: int) -> CommunityEvent:
    user = _user(request)
    _require_any(user, Cap.MANAGE_OFFERS, Cap.ENGAGE_CLIENTS)
    event = selectors.events_visible_to(user).filter(pk=pk).first()
    if event is None:
        raise Http404(_("No such event."))
    return event


class EventDetailView(GenericAPIView):
    serializer_class = s.EventSerializer

    @extend_schema(responses={200: s.EventSerializer})
    def get(self, request: Request, pk: int) -> Response:
        return Response(s.EventSerializer(_event(request, pk)).data)

    @extend_schema(request=s.EventWriteSerializer(partial=True), responses={200: s.EventSerializer})
    def patch(self, request: Request, pk: int) -> Response:
        event = _event(request, pk)
        body = s.EventWriteSerializer(data=request.data, partial=True)
        body.is_valid(raise_exception=True)
        current: dict[str, Any] = {"kind": event.kind, "title": event.title, "place": event.place,
                                   "starts_at": event.starts_at, "capacity": event.capacity, "tiers": event.tiers,
                                   "branch": event.branch_id, "cancelled": event.cancelled}
        event = engagement.event_save(data={**current, **body.validated_data}, event=event, acting_user=_user(request))
        return Response(s.EventSerializer(event).data)


class EventInviteView(GenericAPIView):
    """Invite the event's tiers: one message per client; those the outbox refuses are counted by reason."""

    serializer_class = s.InviteSerializer

    @extend_schema(request=s.InviteSerializer, responses={200: s.InviteResultSerializer, 409: OpenApiTypes.OBJECT})
    def post(self, request: Request, pk: int) -> Response:
        event = _event(request, pk)
        body = s.InviteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            result = engagement.event_invite(event=event, acting_user=_user(request),
                                             channel=body.validated_data["channel"])
        except engagement.EventConflict as exc:
            return _conflict(exc)
        return Response({"invited": result.invited, "already": result.already, "skipped": dict(result.skipped)})


class EventRegistrationsView(GenericAPIView):
    """The event's invitations and registrations (clients the caller may see); POST registers a client."""

    serializer_class = s.RegistrationSerializer

    @extend_schema(responses={200: s.RegistrationSerializer(many=True)})
    def get(self, request: Request, pk: int) -> Response:
        event = _event(request, pk)
        page = self.paginate_queryset(selectors.registrations_for(_user(request), event))
        audit_record(actor=request.user, action="event.view", obj=event, detail={"api": True})
        return self.get_paginated_response(s.RegistrationSerializer(page, many=True).data)

    @extend_schema(request=s.RegistrationWriteSerializer,
                   responses={201: s.RegistrationSerializer, 409: OpenApiTypes.OBJECT})
    def post(self, request: Request, pk: int) -> Response:
        user = _user(request)
        event = _event(request, pk)
        body = s.RegistrationWriteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        client = client_for(user, body.validated_data["client"])
        try:
            row = engagement.event_register(event=event, client=client, acting_user=user)
        except engagement.EventConflict as exc:
            return _conflict(exc)
        return Response(s.RegistrationSerializer(row).data, status=status.HTTP_201_CREATED)


class RegistrationDetailView(GenericAPIView):
    """``PATCH {"status"}``: ``registered`` (yes), ``declined``, ``attended`` or ``no_show``."""

    serializer_class = s.RegistrationSerializer

    @extend_schema(request=s.RegistrationChangeSerializer,
                   responses={200: s.RegistrationSerializer, 409: OpenApiTypes.OBJECT})
    def patch(self, request: Request, pk: int) -> Response:
        user = _user(request)
        _require_any(user, Cap.MANAGE_OFFERS, Cap.ENGAGE_CLIENTS)
        row = (EventRegistration.objects.filter(pk=pk, event__in=selectors.events_visible_to(user),
                                                client__in=clients_visible_to(user))
               .select_related("event", "client").first())
        if row is None:
            raise Http404(_("No such registration."))
        body = s.RegistrationChangeSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        wanted = body.validated_data["status"]
        try:
            if wanted == "registered":
                row = engagement.event_register(event=row.event, client=row.client, acting_user=user)
            elif wanted == "declined":
                row = engagement.event_registration_decline(registration=row, acting_user=user)
            else:
                row = engagement.event_attendance_record(registration=row, attended=wanted == "attended",
                                                         acting_user=user)
        except engagement.EventConflict as exc:
            return _conflict(exc)
        return Response(s.RegistrationSerializer(row).data)
