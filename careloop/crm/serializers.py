"""API shapes of careloop.crm."""

from __future__ import annotations

from rest_framework import serializers

from careloop.clients.models import Tier
from careloop.core.api import StrictCharField
from careloop.crm.models import (
    Appointment,
    CommunityEvent,
    EventKind,
    EventRegistration,
    LedgerEntry,
    LedgerKind,
    Offer,
    OfferSent,
    Slot,
)
from careloop.messaging.models import PEOPLE_CHANNEL_CHOICES


class LedgerEntrySerializer(serializers.ModelSerializer):
    created_by = serializers.CharField(source="created_by.username", read_only=True, allow_null=True)

    class Meta:
        model = LedgerEntry
        fields = ["id", "client", "date", "kind", "amount", "note", "source", "created_by", "created_at"]
        read_only_fields = fields


class LedgerEntryWriteSerializer(serializers.Serializer):
    date = serializers.DateField()
    kind = serializers.ChoiceField(choices=LedgerKind.choices)
    amount = serializers.DecimalField(max_digits=12, decimal_places=2)
    note = StrictCharField(max_length=200, required=False, allow_blank=True, default="")


class TierHistorySerializer(serializers.Serializer):
    tier = serializers.CharField(source="new")
    previous = serializers.CharField(source="old")
    at = serializers.DateTimeField(source="changed_at")
    by = serializers.CharField(source="changed_by.username", allow_null=True)
    reason = serializers.CharField()


class TierOverrideSerializer(serializers.Serializer):
    tier = serializers.CharField()
    reason = serializers.CharField()
    expires_on = serializers.DateField(allow_null=True)
    by = serializers.CharField(source="created_by.username", allow_null=True)
    at = serializers.DateTimeField(source="created_at")


class TierSerializer(serializers.Serializer):
    client = serializers.IntegerField()
    tier = serializers.ChoiceField(choices=Tier.choices)
    source = serializers.ChoiceField(choices=[("computed", "computed"), ("override", "override")])  # type: ignore[assignment]
    override = TierOverrideSerializer(allow_null=True)
    history = TierHistorySerializer(many=True)


class TierWriteSerializer(serializers.Serializer):
    tier = serializers.ChoiceField(choices=Tier.choices)
    reason = StrictCharField(max_length=180)
    expires_on = serializers.DateField(required=False, allow_null=True)


class TierLiftSerializer(serializers.Serializer):
    reason = StrictCharField(max_length=180)


class SlotSerializer(serializers.ModelSerializer):
    service = serializers.CharField(source="service.code")
    service_name = serializers.CharField(source="service.name")
    site_name = serializers.CharField(source="site.name")
    end = serializers.DateTimeField()

    class Meta:
        model = Slot
        fields = ["id", "site", "site_name", "service", "service_name", "start", "end", "capacity", "booked"]
        read_only_fields = fields


class AppointmentSerializer(serializers.ModelSerializer):
    slot_start = serializers.DateTimeField(source="slot.start")
    site = serializers.IntegerField(source="slot.site_id")
    service = serializers.CharField(source="slot.service.code")
    confirmation_message = serializers.IntegerField(source="confirmation_message_id", allow_null=True)
    reminder_message = serializers.IntegerField(source="reminder_message_id", allow_null=True)
    followup_task = serializers.IntegerField(source="followup_task_id", allow_null=True)
    booked_by = serializers.CharField(source="booked_by.username", allow_null=True)

    class Meta:
        model = Appointment
        fields = ["id", "client", "slot", "slot_start", "site", "service", "status", "notes", "booked_by", "booked_at",
                  "status_at", "status_reason", "rescheduled_from", "confirmation_message", "reminder_message",
                  "followup_task"]
        read_only_fields = fields


class AppointmentWriteSerializer(serializers.Serializer):
    client = serializers.IntegerField(min_value=1, max_value=2**31 - 1)
    slot = serializers.IntegerField(min_value=1, max_value=2**31 - 1)
    notes = StrictCharField(max_length=200, required=False, allow_blank=True, default="")


class AppointmentChangeSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=[(s, s) for s in ("checked_in", "no_show", "cancelled")], required=False)
    slot = serializers.IntegerField(min_value=1, max_value=2**31 - 1, required=False)
    reason = StrictCharField(max_length=200, required=False, allow_blank=True, default="")


# --- offers and community events -------------------------------------------------------------------------
class OfferSerializer(serializers.ModelSerializer):
    class Meta:
        model = Offer
        fields = ["id", "name", "description", "tiers", "valid_from", "valid_until", "active", "branch", "created_at"]
        read_only_fields = fields


class OfferWriteSerializer(serializers.Serializer):
    name = StrictCharField(max_length=60)
    description = StrictCharField(max_length=200)
    tiers = StrictCharField(max_length=3, help_text="Letters of the tiers the offer fits, e.g. \"BC\".")
    valid_from = serializers.DateField()
    valid_until = serializers.DateField(required=False, allow_null=True)
    active = serializers.BooleanField(required=False, default=True)
    branch = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=2**31 - 1)


class OfferSentSerializer(serializers.ModelSerializer):
    offer_name = serializers.CharField(source="offer.name")
    message = serializers.IntegerField(source="message_id", allow_null=True)
    sent_by = serializers.CharField(source="sent_by.username", allow_null=True)

    class Meta:
        model = OfferSent
        fields = ["id", "offer", "offer_name", "client", "status", "refused", "origin", "message", "sent_by", "sent_at"]
        read_only_fields = fields


class OfferSendSerializer(serializers.Serializer):
    offer = serializers.IntegerField(min_value=1, max_value=2**31 - 1)
    channel = serializers.ChoiceField(choices=PEOPLE_CHANNEL_CHOICES, required=False, default="sms")


class EventSerializer(serializers.ModelSerializer):
    class Meta:
        model = CommunityEvent
        fields = ["id", "kind", "title", "place", "starts_at", "capacity", "registered", "tiers", "branch",
                  "cancelled", "created_at"]
        read_only_fields = fields


class EventWriteSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=EventKind.choices)
    title = StrictCharField(max_length=80)
    place = StrictCharField(max_length=100)
    starts_at = serializers.DateTimeField()
    capacity = serializers.IntegerField(min_value=1, max_value=10000)
    tiers = StrictCharField(max_length=3, help_text="Letters of the invited tiers, e.g. \"A\".")
    branch = serializers.IntegerField(min_value=1, max_value=2**31 - 1)
    cancelled = serializers.BooleanField(required=False, default=False)


class InviteSerializer(serializers.Serializer):
    channel = serializers.ChoiceField(choices=PEOPLE_CHANNEL_CHOICES, required=False, default="sms")


class InviteResultSerializer(serializers.Serializer):
    invited = serializers.IntegerField()
    already = serializers.IntegerField()
    skipped = serializers.DictField(child=serializers.IntegerField())


class RegistrationSerializer(serializers.ModelSerializer):
    invitation_message = serializers.IntegerField(source="invitation_message_id", allow_null=True)

    class Meta:
        model = EventRegistration
        fields = ["id", "event", "client", "status", "invitation_message", "invited_at", "status_at"]
        read_only_fields = fields


class RegistrationWriteSerializer(serializers.Serializer):
    client = serializers.IntegerField(min_value=1, max_value=2**31 - 1)


class RegistrationChangeSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=[(s, s) for s in ("registered", "declined", "attended", "no_show")])
