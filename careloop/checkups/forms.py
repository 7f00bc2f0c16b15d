"""Forms of careloop.checkups: they parse input; the services decide."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from careloop.checkups.models import ColumnMapping, DeliveryMethod, InterpretationMethod, ReportDelivery
from careloop.org.models import OrgUnit, User
from careloop.org.selectors import units_visible_to

MAX_UPLOAD_BYTES = 200 * 1024 * 1024
ALLOWED_SUFFIXES = (".csv", ".xlsx", ".json")


class UploadForm(forms.Form):
    file = forms.FileField(label=_("Results file (CSV, XLSX or FHIR JSON)"))
    mapping = forms.ModelChoiceField(
        queryset=ColumnMapping.objects.all(), required=False, label=_("Column mapping"),
        empty_label=_("Default layout (体检编号, 身份证号, …)"),
    )
    branch = forms.ModelChoiceField(
        queryset=OrgUnit.objects.none(), required=False, label=_("Branch the results belong to"),
        help_text=_("New clients in the file are registered in this branch; results attach only to clients you can see."),
    )
    lenient = forms.BooleanField(required=False, label=_("Accept item codes missing from the catalogue"))

    field_order = ["file", "branch", "mapping", "lenient"]

    def __init__(self, *args: Any, user: User | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        branch = self.fields["branch"]
        assert isinstance(branch, forms.ModelChoiceField)
        if user is not None:
            branch.queryset = units_visible_to(user).order_by("path")
            branch.initial = user.org_unit_id
        branch.empty_label = _("My own unit")

    def clean_file(self) -> object:
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith(ALLOWED_SUFFIXES):
            raise forms.ValidationError(_("Only .csv, .xlsx and .json files can be imported."))
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(_("The file is larger than 200 MB."))
        return upload


class SampleForm(forms.Form):
    institution = forms.CharField(label=_("Institution"), max_length=100)
    file = forms.FileField(label=_("A sample export from this institution"))
    lenient = forms.BooleanField(required=False, label=_("Accept item codes missing from the catalogue"))

    def clean_file(self) -> object:
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith((".csv", ".xlsx")):
            raise forms.ValidationError(_("A column mapping is for CSV and XLSX files."))
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(_("The file is larger than 200 MB."))
        return upload


class DeliveryForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=ReportDelivery.Status.choices[1:])
    method = forms.ChoiceField(label=_("Method"), choices=DeliveryMethod.choices)
    tracking_no = forms.CharField(label=_("Tracking number"), max_length=64, required=False)


class InterpretationForm(forms.Form):
    method = forms.ChoiceField(label=_("Method"), choices=InterpretationMethod.choices)
    notes = forms.CharField(label=_("Notes"), widget=forms.Textarea(attrs={"rows": 2}), required=False, max_length=2000)
