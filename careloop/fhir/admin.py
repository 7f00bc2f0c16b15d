from django.contrib import admin

from careloop.fhir.models import LoincMapping


@admin.register(LoincMapping)
class LoincMappingAdmin(admin.ModelAdmin):
    list_display = ("item_code", "loinc", "display", "ucum", "verified")
    list_filter = ("verified",)
    search_fields = ("item_code", "loinc", "display")
