"""Django admin for administrators (Role.ADMIN, marked is_staff): the organisation tree, staff, teams.

Every admin write is audited; roles go through staff_set_roles and unlocking through user_unlock, so
the admin behaves like the pages and the API.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import UserChangeForm
from django.core.exceptions import PermissionDenied
from django.db.models import Model, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from careloop.accounts.services import user_unlock
from careloop.audit.services import audit_record
from careloop.org.models import OrgUnit, Role, Team, TeamMembership, User
from careloop.org.permissions import Cap, user_can
from careloop.org.services import orgunit_create, staff_set_roles

admin.site.site_header = _("careloop administration")
admin.site.site_title = _("careloop administration")


def is_administrator(request: HttpRequest) -> bool:
    user = request.user
    return bool(user.is_active and user.is_staff and user_can(user, Cap.MANAGE_STAFF))


class AdministratorsOnly:
    """Model admins open to the administrator role only (is_staff alone is not enough)."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return is_administrator(request)

    def has_view_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return is_administrator(request)

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return is_administrator(request)

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return is_administrator(request)

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False  # history matters: deactivate instead


class ReadOnlyForAdministrators(AdministratorsOnly):
    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


class AuditedAdmin(AdministratorsOnly, admin.ModelAdmin):
    """Writes made in the admin leave an audit row like every other write."""

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        audit_record(actor=request.user, action=f"admin.{obj._meta.model_name}.{'update' if change else 'create'}",
                     obj=obj, detail={"fields": sorted(form.changed_data)})

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        super().save_formset(request, form, formset, change)
        for obj in formset.new_objects:
            audit_record(actor=request.user, action=f"admin.{obj._meta.model_name}.create", obj=obj)
        for obj in formset.deleted_objects:
            audit_record(actor=request.user, action=f"admin.{obj._meta.model_name}.delete",
                         object_type=obj._meta.label_lower, object_id=str(obj.pk or ""))


@admin.register(OrgUnit)
class OrgUnitAdmin(AuditedAdmin):
    list_display = ("indented_name", "code", "kind", "parent", "is_active")
    list_filter = ("kind", "is_active")
    search_fields = ("name", "code")
    ordering = ("path",)

    @admin.display(description=_("name"), ordering="path")
    def indented_name(self, obj: OrgUnit) -> str:
        return "　" * max(0, obj.path.count("/") - 2) + obj.name

    def get_readonly_fields(self, request: HttpRequest, obj: OrgUnit | None = None) -> tuple[str, ...]:
        # Moving a unit would invalidate the materialised paths below it.
        return ("kind", "parent") if obj is not None else ()

    def save_model(self, request: HttpRequest, obj: OrgUnit, form: Any, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        created = orgunit_create(acting_user=request.user, name=obj.name, kind=obj.kind,  # type: ignore[arg-type]
                                 parent=obj.parent, code=obj.code)
        obj.pk, obj.path = created.pk, created.path


class UserAdminForm(UserChangeForm):
    roles = forms.MultipleChoiceField(label=_("roles"), choices=Role.choices, required=False,
                                      widget=forms.CheckboxSelectMultiple)

    class Meta(UserChangeForm.Meta):
        model = User
        fields = ("username", "password", "display_name", "email", "org_unit", "daily_capacity",  # type: ignore[assignment]
                  "is_active", "is_staff")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial["roles"] = sorted(self.instance.roles)


@admin.register(User)
class StaffAdmin(AuditedAdmin, DjangoUserAdmin):
    form = UserAdminForm
    list_display = ("username", "display_name", "org_unit", "role_list", "is_active", "is_staff", "locked_until",
                    "totp_enabled")
    list_filter = ("is_active", "is_staff", "totp_enabled", "org_unit")
    search_fields = ("username", "display_name")
    ordering = ("username",)
    readonly_fields = ("locked_until", "totp_enabled", "last_login", "date_joined")
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("Staff member"), {"fields": ("display_name", "email", "org_unit", "roles", "daily_capacity")}),
        (_("Access"), {"fields": ("is_active", "is_staff", "totp_enabled", "locked_until", "last_login",
                                  "date_joined")}),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("username", "usable_password", "password1", "password2")}),
    )
    filter_horizontal = ()
    actions = ["unlock_accounts"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[User]:
        return super().get_queryset(request).select_related("org_unit").prefetch_related("role_grants")

    @admin.display(description=_("roles"))
    def role_list(self, obj: User) -> str:
        return "、".join(str(Role(g.role).label) for g in obj.role_grants.all())

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        if "roles" in form.cleaned_data and sorted(form.cleaned_data["roles"]) != sorted(form.instance.roles):
            staff_set_roles(acting_user=request.user, user=form.instance,  # type: ignore[arg-type]
                            roles=list(form.cleaned_data["roles"]))

    @admin.action(description=_("Unlock the selected accounts"))
    def unlock_accounts(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        try:
            for user in queryset:
                user_unlock(user=user, acting_user=request.user)  # type: ignore[arg-type]
        except PermissionDenied:
            self.message_user(request, _("Your role does not allow this."), messages.ERROR)
            return
        self.message_user(request, _("%(n)d accounts unlocked.") % {"n": queryset.count()}, messages.SUCCESS)


class MembershipInline(admin.TabularInline):
    model = TeamMembership
    extra = 1
    autocomplete_fields = ("user",)

    def has_view_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return is_administrator(request)

    def has_add_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return is_administrator(request)

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return is_administrator(request)

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return is_administrator(request)


@admin.register(Team)
class TeamAdmin(AuditedAdmin):
    list_display = ("name", "kind", "org_unit", "lead")
    list_filter = ("kind", "org_unit")
    search_fields = ("name",)
    autocomplete_fields = ("lead",)
    inlines = [MembershipInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Team]:
        return super().get_queryset(request).select_related("org_unit", "lead")
