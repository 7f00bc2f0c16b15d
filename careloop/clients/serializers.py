"""API shapes for the client archive. Parsing only: every write goes through clients.services."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from careloop.clients.models import (
    NOTICE_VERSION,
    AssignmentKind,
    Channel,
    Client,
    ClientStatus,
    Consent,
    ConsentMethod,
    ConsentPurpose,
    Enterprise,
    EnterpriseMember,
    RevealReason,
    Sex,
    Tier,
)
from careloop.core.api import StrictBooleanField, StrictCharField


class ClientSerializer(serializers.ModelSerializer):
    """Contact details always come back masked; showing one in full is POST …/reveal/ (audited)."""

    phone = serializers.CharField(source="phone_masked", read_only=True)
    id_number = serializers.CharField(source="id_number_masked", read_only=True)
    address = serializers.CharField(source="address_masked", read_only=True)
    branch_name = serializers.CharField(source="branch.name", read_only=True)
    email = serializers.CharField(read_only=True, help_text="Email address, or empty")

    class Meta:
        model = Client
        fields = ["id", "name", "sex", "birth_date", "phone", "id_number", "address", "email", "branch", "branch_name",
                  "tier", "status", "is_vip", "health_manager", "family_doctor", "preferred_channels", "contact_hours",
                  "created_at", "updated_at"]
        read_only_fields = fields


class ClientWriteSerializer(serializers.Serializer):
    """Fields accepted on create (POST) and update (PATCH)."""

    name = StrictCharField(max_length=50, required=True)
    sex = serializers.ChoiceField(choices=Sex.choices)
    birth_date = serializers.DateField()
    id_number = StrictCharField(max_length=30, required=False, allow_blank=True)
    phone = StrictCharField(max_length=30, required=False, allow_blank=True)
    phone2 = StrictCharField(max_length=30, required=False, allow_blank=True)
    email = StrictCharField(max_length=254, required=False, allow_blank=True)
    address = StrictCharField(max_length=200, required=False, allow_blank=True)
    emergency_contact_name = StrictCharField(max_length=50, required=False, allow_blank=True)
    emergency_contact_phone = StrictCharField(max_length=30, required=False, allow_blank=True)
    preferred_channels = serializers.ListField(child=serializers.ChoiceField(choices=Channel.choices), required=False)
    contact_hours = StrictCharField(max_length=50, required=False, allow_blank=True)
    is_vip = StrictBooleanField(required=False)
    tier = serializers.ChoiceField(
        choices=Tier.choices, required=False,
        help_text=_("The starting tier of a new client. Refused on update (400): a tier is changed with a reason "
                    "through /clients/{id}/tier/."))
    branch = serializers.IntegerField(min_value=1)
    notes = StrictCharField(max_length=2000, required=False, allow_blank=True)
    confirm_not_duplicate = StrictBooleanField(required=False, default=False, write_only=True)


class StatusChangeSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=ClientStatus.choices)
    reason = StrictCharField(max_length=200)


class AssignmentSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=AssignmentKind.choices)
    staff = serializers.IntegerField(min_value=1, allow_null=True)
    reason = StrictCharField(max_length=200, required=False, allow_blank=True)


class RevealSerializer(serializers.Serializer):
    field = serializers.ChoiceField(choices=["phone", "phone2", "id_number", "address", "emergency_contact_phone"])
    reason = serializers.ChoiceField(choices=RevealReason.choices)


class RevealResultSerializer(serializers.Serializer):
    field = StrictCharField()
    value = StrictCharField()


class ConsentSerializer(serializers.ModelSerializer):
    recorded_by: serializers.StringRelatedField = serializers.StringRelatedField()

    class Meta:
        model = Consent
        fields = ["id", "purpose", "granted", "version", "method", "given_at", "recorded_by", "note"]
        read_only_fields = fields


class ConsentWriteSerializer(serializers.Serializer):
    purpose = serializers.ChoiceField(choices=ConsentPurpose.choices)
    granted = StrictBooleanField()
    method = serializers.ChoiceField(choices=ConsentMethod.choices, required=False, default=ConsentMethod.VERBAL)
    version = StrictCharField(max_length=20, required=False, default=NOTICE_VERSION)
    note = StrictCharField(max_length=200, required=False, allow_blank=True, default="")


class TimelineEntrySerializer(serializers.Serializer):
    at = serializers.DateTimeField()
    kind = StrictCharField()
    title = StrictCharField()
    detail = StrictCharField()
    url = StrictCharField()


class EnterpriseSerializer(serializers.ModelSerializer):
    contact_phone = serializers.SerializerMethodField()
    member_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Enterprise
        fields = ["id", "name", "branch", "contact_name", "contact_phone", "member_count", "created_at"]
        read_only_fields = fields

    def get_contact_phone(self, obj: Enterprise) -> str:
        from careloop.lib.identity import mask_mobile

        return mask_mobile(obj.contact_phone)


class EnterpriseWriteSerializer(serializers.Serializer):
    name = StrictCharField(max_length=100)
    branch = serializers.IntegerField(min_value=1)
    contact_name = StrictCharField(max_length=50, required=False, allow_blank=True, default="")
    contact_phone = StrictCharField(max_length=30, required=False, allow_blank=True, default="")
    address = StrictCharField(max_length=200, required=False, allow_blank=True, default="")


class EnterpriseMemberSerializer(serializers.ModelSerializer):
    client_name = StrictCharField(source="client.name", read_only=True)

    class Meta:
        model = EnterpriseMember
        fields = ["id", "client", "client_name", "employee_no", "department", "joined_on", "left_on"]
        read_only_fields = fields


class EnterpriseMemberWriteSerializer(serializers.Serializer):
    client = serializers.IntegerField(min_value=1)
    employee_no = StrictCharField(max_length=30, required=False, allow_blank=True, default="")
    department = StrictCharField(max_length=50, required=False, allow_blank=True, default="")
    joined_on = serializers.DateField(required=False, allow_null=True, default=None)


def write_data(validated: dict[str, Any]) -> dict[str, Any]:
    data = dict(validated)
    data.pop("confirm_not_duplicate", None)
    return data
