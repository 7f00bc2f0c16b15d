from django.contrib import admin

from careloop.crm.models import LedgerEntry


@admin.register(LedgerEntry)
class LedgerEntryAdmin(admin.ModelAdmin):
    list_display = ["client", "date", "kind", "amount", "source", "created_by"]
    list_filter = ["kind"]
    raw_id_fields = ["client", "created_by"]
    date_hierarchy = "date"
