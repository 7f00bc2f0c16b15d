"""Django admin views of the client archive: read-only, scoped, masked. Changes go through the client pages."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _

from careloop.audit.services import audit_record
from careloop.clients.models import Client, Consent, Enterprise
from careloop.clients.selectors import clients_visible_to
from careloop.lib.identity import mask_mobile
from careloop.org.admin import ReadOnlyForAdministrators
from careloop.org.selectors import subtree_q


@admin.register(Client)
class ClientAdmin(ReadOnlyForAdministrators, admin.ModelAdmin):
    """Never a decrypted phone, ID number or address: only the masked forms."""

    list_display = ("name", "sex", "birth_date", "phone_masked", "id_number_masked", "branch", "tier", "status",
                    "health_manager")
    list_filter = ("status", "tier", "is_vip")
    search_fields = ("^name",)
    list_select_related = ("branch", "health_manager")
    fields = ("name", "sex", "birth_date", "phone_masked", "id_number_masked", "address_masked", "email", "tier",
              "status", "is_vip", "branch", "health_manager", "family_doctor", "created_at", "updated_at")
    readonly_fields = fields
    show_full_result_count = False

    def get_queryset(self, request: HttpRequest) -> QuerySet[Client]:
        return clients_visible_to(request.user)  # type: ignore[arg-type]

    @admin.display(description=_("mobile phone"))
    def phone_masked(self, obj: Client) -> str:
        return obj.phone_masked

    @admin.display(description=_("resident ID number"))
    def id_number_masked(self, obj: Client) -> str:
        return obj.id_number_masked

    @admin.display(description=_("address"))
    def address_masked(self, obj: Client) -> str:
        return obj.address_masked

    def change_view(self, request: HttpRequest, object_id: str, form_url: str = "",
                    extra_context: dict[str, Any] | None = None) -> HttpResponse:
        response = super().change_view(request, object_id, form_url, extra_context)
        if response.status_code == 200:
            client = self.get_object(request, object_id)
            if client is not None:
                audit_record(actor=request.user, action="client.view", obj=client, client=client,
                             detail={"page": "admin"})
        return response


@admin.register(Enterprise)
class EnterpriseAdmin(ReadOnlyForAdministrators, admin.ModelAdmin):
    list_display = ("name", "branch", "contact_name", "contact_phone_masked")
    search_fields = ("name",)
    fields = ("name", "branch", "contact_name", "contact_phone_masked", "created_at")
    readonly_fields = fields
    list_select_related = ("branch",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Enterprise]:
        return Enterprise.objects.filter(subtree_q(request.user))  # type: ignore[arg-type]

    @admin.display(description=_("contact phone"))
    def contact_phone_masked(self, obj: Enterprise) -> str:
        return mask_mobile(obj.contact_phone)


@admin.register(Consent)
class ConsentAdmin(ReadOnlyForAdministrators, admin.ModelAdmin):
    list_display = ("client", "purpose", "granted", "method", "version", "given_at", "recorded_by")
    list_filter = ("purpose", "granted", "method")
    list_select_related = ("client", "recorded_by")
    fields = (*list_display, "note")
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[Consent]:
        return Consent.objects.filter(client__in=clients_visible_to(request.user))  # type: ignore[arg-type]
