from django.contrib import admin

from careloop.crm.models import CommunityEvent, LedgerEntry, Offer


@admin.register(LedgerEntry)
class LedgerEntryAdmin(admin.ModelAdmin):
    list_display = ["client", "date", "kind", "amount", "source", "created_by"]
    list_filter = ["kind"]
    raw_id_fields = ["client", "created_by"]
    date_hierarchy = "date"


@admin.register(Offer)
class OfferAdmin(admin.ModelAdmin):
    """Read-only here: offers are changed on /crm/offers/ through ``offer_save`` (validated, audited)."""

    list_display = ["name", "tiers", "valid_from", "valid_until", "active", "branch"]
    list_filter = ["active"]

    def has_add_permission(self, request: object) -> bool:
        return False

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False


@admin.register(CommunityEvent)
class CommunityEventAdmin(OfferAdmin):
    """Read-only here: events are changed on /crm/events/ through ``event_save``."""

    list_display = ["title", "kind", "starts_at", "place", "tiers", "registered", "capacity", "branch", "cancelled"]
    list_filter = ["kind", "cancelled"]
