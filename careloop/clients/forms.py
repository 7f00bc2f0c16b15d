"""Forms of the client pages. They only parse input; the services validate and decide."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from careloop.clients.models import (
    NOTICE_VERSION,
    AssignmentKind,
    Channel,
    ClientStatus,
    ConsentMethod,
    ConsentPurpose,
    RevealReason,
    Sex,
    Tier,
)
from careloop.org.models import OrgUnit, Role, User
from careloop.org.selectors import units_visible_to

REVEALABLE = ("phone", "phone2", "id_number", "address", "emergency_contact_phone")
# Fields holding contact details: never pre-filled in an edit form (the plaintext would reach the browser).
SECRET_FIELDS = ("id_number", "phone", "phone2", "address", "emergency_contact_phone")


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


def apply_service_errors(form: forms.Form, exc: ValidationError) -> None:
    """Put a service's ValidationError on the form: on the named field when the form has it."""
    if not hasattr(exc, "error_dict"):
        for message in exc.messages:
            form.add_error(None, message)
        return
    for field, errors in exc.error_dict.items():
        target = field if field in form.fields else None
        for error in errors:
            for message in error.messages:
                form.add_error(target, message)


class BranchChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: OrgUnit) -> str:
        depth = max(0, obj.path.count("/") - 2)
        return f"{'　' * depth}{obj.name}"


class ClientSearchForm(forms.Form):
    q = forms.CharField(label=_("Name, mobile or ID number"), required=False, max_length=50)
    status = forms.ChoiceField(label=_("status"), required=False, choices=[("", _("All")), *ClientStatus.choices])
    tier = forms.ChoiceField(label=_("tier"), required=False, choices=[("", _("All")), *Tier.choices])
    branch = BranchChoiceField(label=_("branch"), required=False, queryset=OrgUnit.objects.none(),
                               empty_label=_("All"))

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["branch"].queryset = units_visible_to(user)  # type: ignore[attr-defined]


class ClientForm(forms.Form):
    """Create or edit a client. ``profile``/``contact`` say which groups the user may change."""

    PROFILE = ("name", "sex", "birth_date", "id_number", "tier", "is_vip", "branch", "notes")
    CONTACT = ("phone", "phone2", "email", "address", "emergency_contact_name", "emergency_contact_phone",
               "preferred_channels", "contact_hours")

    name = forms.CharField(label=_("name"), max_length=50, required=False)
    sex = forms.ChoiceField(label=_("sex"), choices=[("", "—"), *Sex.choices], required=False)
    birth_date = forms.DateField(label=_("birth date"), required=False, widget=DateInput())
    id_number = forms.CharField(label=_("resident ID number"), max_length=30, required=False)
    phone = forms.CharField(label=_("mobile phone"), max_length=20, required=False)
    phone2 = forms.CharField(label=_("second mobile phone"), max_length=20, required=False)
    email = forms.CharField(label=_("email"), max_length=254, required=False)
    address = forms.CharField(label=_("address"), max_length=200, required=False)
    emergency_contact_name = forms.CharField(label=_("emergency contact"), max_length=50, required=False)
    emergency_contact_phone = forms.CharField(label=_("emergency contact phone"), max_length=20, required=False)
    preferred_channels = forms.MultipleChoiceField(label=_("preferred channels"), choices=Channel.choices,
                                                   required=False, widget=forms.CheckboxSelectMultiple)
    contact_hours = forms.CharField(label=_("preferred contact hours"), max_length=50, required=False)
    # The starting tier of a new record; an existing client's tier changes only through the tier page
    # (careloop.crm's override, with a reason), so the edit form has no tier field.
    tier = forms.ChoiceField(label=_("tier"), choices=Tier.choices, initial=Tier.C)
    is_vip = forms.BooleanField(label=_("VIP"), required=False)
    branch = BranchChoiceField(label=_("branch"), queryset=OrgUnit.objects.none(), required=False)
    notes = forms.CharField(label=_("notes"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    confirm_not_duplicate = forms.BooleanField(label=_("This is a different person: create a new record"),
                                               required=False)

    def __init__(self, *args: Any, user: User, editing: bool = False, profile: bool = True, contact: bool = True,
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.editing = editing
        self.fields["branch"].queryset = units_visible_to(user)  # type: ignore[attr-defined]
        keep: set[str] = set()
        if profile:
            keep.update(self.PROFILE)
        if contact:
            keep.update(self.CONTACT)
        if editing:
            keep.discard("tier")
            keep.discard("confirm_not_duplicate")
            for name in SECRET_FIELDS:
                if name in self.fields:
                    self.fields[name].widget.attrs["placeholder"] = str(_("Leave empty to keep the current value"))
        for name in list(self.fields):
            if name not in keep and name != "confirm_not_duplicate":
                del self.fields[name]
        # The service decides what is required (and says so in Chinese, naming the field); the
        # form only marks those fields for the eye.
        for name in ("name", "sex", "birth_date", "branch"):
            if name in self.fields:
                self.fields[name].show_required = True  # type: ignore[attr-defined]
        if not editing and "branch" in self.fields and user.org_unit_id:
            self.fields["branch"].initial = user.org_unit_id

    def service_data(self, initial: dict[str, Any] | None = None) -> dict[str, Any]:
        """The cleaned values to hand to the service; when editing, only what changed."""
        data = {k: v for k, v in self.cleaned_data.items() if k != "confirm_not_duplicate"}
        if not self.editing:
            return {k: v for k, v in data.items() if not (k in SECRET_FIELDS and v == "")}
        initial = initial or {}
        changed: dict[str, Any] = {}
        for key, value in data.items():
            if key in SECRET_FIELDS:
                if value:
                    changed[key] = value
            elif value != initial.get(key):
                changed[key] = value
        return changed


class StatusForm(forms.Form):
    status = forms.ChoiceField(label=_("New status"), choices=ClientStatus.choices)
    reason = forms.CharField(label=_("reason"), max_length=200, required=False)


def assignable_staff(user: User) -> QuerySet[User]:
    """Staff in the user's part of the tree who can be a health manager or a family doctor."""
    return (User.objects.filter(is_active=True, org_unit__in=units_visible_to(user),
                                role_grants__role__in=[Role.FOLLOWUP, Role.LEAD, Role.DOCTOR])
            .distinct().order_by("username"))


class AssignForm(forms.Form):
    kind = forms.ChoiceField(label=_("kind"), choices=AssignmentKind.choices)
    staff = forms.ModelChoiceField(label=_("staff member"), queryset=User.objects.none(), required=False,
                                   empty_label=_("(nobody)"))
    reason = forms.CharField(label=_("reason"), max_length=200, required=False)

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["staff"].queryset = assignable_staff(user)  # type: ignore[attr-defined]


class ConsentForm(forms.Form):
    purpose = forms.ChoiceField(label=_("purpose"), choices=ConsentPurpose.choices)
    granted = forms.TypedChoiceField(label=_("Decision"), coerce=lambda v: v == "1",
                                     choices=[("1", _("Grants consent")), ("0", _("Withdraws consent"))])
    method = forms.ChoiceField(label=_("how given"), choices=ConsentMethod.choices, initial=ConsentMethod.VERBAL)
    version = forms.CharField(label=_("notice version"), max_length=20, initial=NOTICE_VERSION)
    note = forms.CharField(label=_("note"), max_length=200, required=False)


class RevealForm(forms.Form):
    field = forms.ChoiceField(choices=[(f, f) for f in REVEALABLE], widget=forms.HiddenInput)
    reason = forms.ChoiceField(label=_("Why"), choices=RevealReason.choices)


class EnterpriseForm(forms.Form):
    name = forms.CharField(label=_("Enterprise name"), max_length=100, required=False)
    branch = BranchChoiceField(label=_("branch"), queryset=OrgUnit.objects.none())
    contact_name = forms.CharField(label=_("contact person"), max_length=50, required=False)
    contact_phone = forms.CharField(label=_("contact phone"), max_length=20, required=False)
    address = forms.CharField(label=_("address"), max_length=200, required=False)

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["branch"].queryset = units_visible_to(user)  # type: ignore[attr-defined]


class EnterpriseMemberForm(forms.Form):
    client = forms.IntegerField(label=_("Client number"), min_value=1)
    employee_no = forms.CharField(label=_("employee number"), max_length=30, required=False)
    department = forms.CharField(label=_("department"), max_length=50, required=False)
    joined_on = forms.DateField(label=_("joined"), required=False, widget=DateInput())
