from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from careloop.chronic.models import Condition


class PlanForm(forms.Form):
    condition = forms.ChoiceField(label=_("condition"), choices=Condition.choices)


class LogForm(forms.Form):
    at = forms.DateTimeField(label=_("measured at"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
                             input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"])
    sbp = forms.FloatField(label=_("systolic (mmHg)"), required=False)
    dbp = forms.FloatField(label=_("diastolic (mmHg)"), required=False)
    fasting_glucose = forms.FloatField(label=_("fasting glucose (mmol/L)"), required=False)
    postprandial_glucose = forms.FloatField(label=_("2-hour glucose (mmol/L)"), required=False)
    weight = forms.FloatField(label=_("weight (kg)"), required=False)
    waist = forms.FloatField(label=_("waist (cm)"), required=False)
    diet = forms.CharField(label=_("diet"), required=False, widget=forms.Textarea(attrs={"rows": 2}), max_length=2000)
    exercise = forms.CharField(label=_("exercise"), required=False, widget=forms.Textarea(attrs={"rows": 2}),
                               max_length=2000)
    medication = forms.CharField(label=_("medication"), required=False, widget=forms.Textarea(attrs={"rows": 2}),
                                 max_length=2000)

    READING_FIELDS = ("sbp", "dbp", "fasting_glucose", "postprandial_glucose", "weight", "waist")

    def readings(self) -> dict[str, float]:
        return {f: self.cleaned_data[f] for f in self.READING_FIELDS if self.cleaned_data.get(f) is not None}


class SelfEntryForm(forms.Form):
    sbp = forms.FloatField(label=_("systolic (mmHg)"), required=False, min_value=30, max_value=300)
    dbp = forms.FloatField(label=_("diastolic (mmHg)"), required=False, min_value=20, max_value=200)
    fasting_glucose = forms.FloatField(label=_("fasting glucose (mmol/L)"), required=False, min_value=0.5, max_value=60)
    postprandial_glucose = forms.FloatField(label=_("2-hour glucose (mmol/L)"), required=False, min_value=0.5,
                                            max_value=60)
    weight = forms.FloatField(label=_("weight (kg)"), required=False, min_value=20, max_value=300)
    diet = forms.CharField(label=_("diet"), required=False, max_length=500)
    exercise = forms.CharField(label=_("exercise"), required=False, max_length=500)
    medication = forms.CharField(label=_("medication"), required=False, max_length=500)

    READING_FIELDS = ("sbp", "dbp", "fasting_glucose", "postprandial_glucose", "weight")

    def readings(self) -> dict[str, float]:
        return {f: self.cleaned_data[f] for f in self.READING_FIELDS if self.cleaned_data.get(f) is not None}
