"""Forms of careloop.plans' pages (parse only; services validate)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from careloop.plans.models import (
    ArchiveLevel,
    Audience,
    BookingKind,
    Department,
    FamilyDoctor,
    Period,
    Plan,
    Service,
)


class PlanForm(forms.Form):
    code = forms.SlugField(label=_("code"), max_length=40, required=False)
    name = forms.CharField(label=_("plan name"), max_length=60)
    audience = forms.ChoiceField(label=_("sold to"), choices=Audience.choices)
    description = forms.CharField(label=_("description"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    price = forms.DecimalField(label=_("price (yuan)"), min_value=0, max_digits=10, decimal_places=2)
    newsletter_copy_price = forms.DecimalField(label=_("price per printed newsletter copy (yuan)"), min_value=0,
                                               max_digits=8, decimal_places=2, initial=0, required=False)
    archive_level = forms.TypedChoiceField(label=_("archive level"), choices=ArchiveLevel.choices, coerce=int)
    active = forms.BooleanField(label=_("on sale"), required=False, initial=True)
    note = forms.CharField(label=_("what changed"), max_length=200, required=False)


def service_rows(data: Any, initial: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per known service: included?, quota, period, per group — from POST data or the current version."""
    rows = []
    for service in Service.objects.all():
        prefix = f"svc-{service.code}"
        if data is not None:
            raw_quota = (data.get(f"{prefix}-quota") or "").strip()
            row = {"included": data.get(f"{prefix}-on") == "on", "quota": raw_quota,
                   "period": data.get(f"{prefix}-period") or Period.YEAR,
                   "per_group": data.get(f"{prefix}-group") == "on"}
        else:
            line = initial.get(service.code)
            row = {"included": line is not None, "quota": "" if not line or line["quota"] is None else line["quota"],
                   "period": line["period"] if line else Period.YEAR, "per_group": bool(line and line["per_group"])}
        rows.append({"service": service, "prefix": prefix, **row})
    return rows


PERIOD_CHOICES = Period.choices


class EnrolForm(forms.Form):
    plan = forms.ModelChoiceField(label=_("plan"), queryset=Plan.objects.none(), to_field_name="code")
    start_date = forms.DateField(label=_("start date"), widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["plan"].queryset = Plan.objects.filter(active=True, audience=Audience.INDIVIDUAL)  # type: ignore[attr-defined]
        self.fields["start_date"].initial = timezone.localdate()


class UseForm(forms.Form):
    service = forms.ModelChoiceField(label=_("service"), queryset=Service.objects.exclude(
        code__in=["subscription_change", "family_doctor_parttime", "family_doctor_fulltime", "green_channel"]),
        to_field_name="code")
    date = forms.DateField(label=_("date"), widget=forms.DateInput(attrs={"type": "date"}))
    note = forms.CharField(label=_("note"), max_length=200, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["date"].initial = timezone.localdate()


class CancelForm(forms.Form):
    reason = forms.CharField(label=_("reason for cancelling"), max_length=200)
    refund = forms.DecimalField(label=_("refund (yuan)"), min_value=0, max_digits=12, decimal_places=2, initial=0,
                                required=False)


class FamilyDoctorForm(forms.Form):
    doctor = forms.ModelChoiceField(label=_("family doctor"), queryset=FamilyDoctor.objects.none())
    reason = forms.CharField(label=_("reason"), max_length=200, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["doctor"].queryset = FamilyDoctor.objects.filter(active=True).select_related("user", "hospital")  # type: ignore[attr-defined]
        self.fields["doctor"].label_from_instance = lambda d: f"{d.user} · {d.get_kind_display()}"  # type: ignore[attr-defined]


class ConsultationForm(forms.Form):
    at = forms.DateTimeField(label=_("time"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    channel = forms.ChoiceField(label=_("channel"), choices=[("phone", _("Phone")), ("face", _("Face to face")),
                                                             ("video", _("Video")), ("wechat", _("WeChat"))])
    complaint = forms.CharField(label=_("complaint"), widget=forms.Textarea(attrs={"rows": 3}))
    advice = forms.CharField(label=_("advice"), widget=forms.Textarea(attrs={"rows": 3}))
    referral = forms.CharField(label=_("referral"), max_length=200, required=False)


class BookingForm(forms.Form):
    kind = forms.ChoiceField(label=_("kind"), choices=BookingKind.choices)
    department = forms.ModelChoiceField(label=_("hospital department"), queryset=Department.objects.none())
    wanted_at = forms.DateTimeField(label=_("appointment time"),
                                    widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    note = forms.CharField(label=_("note"), max_length=200, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = Department.objects.filter(  # type: ignore[attr-defined]
            hospital__active=True, hospital__green_channel=True).select_related("hospital")


class GroupEnrolForm(forms.Form):
    plan = forms.ModelChoiceField(label=_("plan"), queryset=Plan.objects.none(), to_field_name="code")
    start_date = forms.DateField(label=_("start date"), widget=forms.DateInput(attrs={"type": "date"}))
    lectures_per_year = forms.TypedChoiceField(label=_("lectures per year"), coerce=int, required=False,
                                               choices=[(n, n) for n in (1, 2, 3, 4)])
    newsletter_copies = forms.IntegerField(label=_("printed newsletter copies per issue"), min_value=0, initial=0,
                                           help_text=_("0: electronic newsletters only"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["plan"].queryset = Plan.objects.filter(active=True, audience=Audience.GROUP)  # type: ignore[attr-defined]
        self.fields["start_date"].initial = timezone.localdate()


class GroupUseForm(forms.Form):
    service = forms.ChoiceField(label=_("service"), choices=[("lecture", _("Health lecture")),
                                                             ("group_assessment", _("Group assessment")),
                                                             ("newsletter", _("Newsletter issue"))])
    date = forms.DateField(label=_("date"), widget=forms.DateInput(attrs={"type": "date"}))
    copies = forms.IntegerField(label=_("copies"), min_value=1, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["date"].initial = timezone.localdate()
