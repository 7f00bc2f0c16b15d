"""API shapes of careloop.crm."""

from __future__ import annotations

from rest_framework import serializers

from careloop.core.api import StrictCharField
from careloop.crm.models import LedgerEntry, LedgerKind


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
