"""The structured rule form (issue 9 item 8): conditions, steps (a formset), repetition, cycle, what it makes.

The form only parses; ``rule_data`` turns it into the same JSON shape the API accepts and
``rules.rule_save`` checks and writes (audited). ``rule_initial`` is the reverse, for editing.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from careloop.clients.models import Channel
from careloop.followups.models import EncounterKind, HealthStatus, RuleAction
from careloop.messaging.models import Purpose

ANCHOR_CHOICES = [("encounter", _("the encounter date")), ("end", _("the end of the prescription")),
                  ("report_delivery", _("the report delivery date"))]
STEP_UNIT_CHOICES = [("day", _("days")), ("week", _("weeks")), ("month", _("months")),
                     ("in_week", _("in week N (a window)"))]
UNIT_CHOICES = STEP_UNIT_CHOICES[:3]
MOVE_CHOICES = [("", _("No (calendar dates)")), ("next", _("To the next working day")),
                ("previous", _("To the previous working day"))]
TIER_CHOICES = [("A", "A"), ("B", "B"), ("C", "C")]


def _int(label: Any, *, required: bool = False, min_value: int | None = None) -> forms.IntegerField:
    return forms.IntegerField(label=label, required=required, min_value=min_value)


class RuleForm(forms.Form):
    code = forms.CharField(label=_("Code"), max_length=40)
    name = forms.CharField(label=_("Name"), max_length=120)
    active = forms.BooleanField(label=_("Active"), required=False)
    kinds = forms.MultipleChoiceField(label=_("Applies to encounters"), choices=EncounterKind.choices,
                                      widget=forms.CheckboxSelectMultiple)
    min_days = _int(_("Prescription from (days)"), min_value=0)
    max_days = _int(_("Prescription up to (days)"), min_value=0)
    health_statuses = forms.MultipleChoiceField(label=_("Health statuses (none = any)"), required=False,
                                                choices=HealthStatus.choices, widget=forms.CheckboxSelectMultiple)
    tiers = forms.MultipleChoiceField(label=_("Tiers (none = any)"), required=False, choices=TIER_CHOICES,
                                      widget=forms.CheckboxSelectMultiple)
    first_only = forms.BooleanField(label=_("Only the client's first encounter"), required=False)
    repeat_every = _int(_("Then every"), min_value=1)
    repeat_unit = forms.ChoiceField(label=_("Repeat unit"), choices=UNIT_CHOICES, initial="month")
    repeat_count = _int(_("Number of repeats"), min_value=0)
    repeat_window_days = _int(_("Window of each repeat (days)"), min_value=0)
    repeat_label = forms.CharField(label=_("Repeat timing text"), required=False, max_length=60)
    cycle_per_period = _int(_("Follow-ups per period"), min_value=1)
    cycle_period = _int(_("Period length"), min_value=1)
    cycle_unit = forms.ChoiceField(label=_("Period unit"), choices=UNIT_CHOICES, initial="month")
    cycle_cycles = _int(_("Number of periods"), min_value=1)
    cycle_window_days = _int(_("Window of each cycle follow-up (days)"), min_value=0)
    cycle_label = forms.CharField(label=_("Cycle timing text"), required=False, max_length=60)
    # "action" in the rule's data; named apart from the submit buttons' "action".
    makes = forms.ChoiceField(label=_("each occurrence makes"), choices=RuleAction.choices)
    channel = forms.ChoiceField(label=_("Channel"), choices=Channel.choices)
    message_purpose = forms.ChoiceField(label=_("Message template"), required=False,
                                        choices=[("", "—"), *Purpose.choices])
    script = forms.CharField(label=_("Questionnaire series"), required=False, max_length=40)
    client_series = forms.CharField(label=_("Per-client series"), required=False, max_length=40)
    move_off_nonworking = forms.ChoiceField(label=_("Move off non-working days"), required=False,
                                            choices=MOVE_CHOICES)
    priority = forms.IntegerField(label=_("Priority"), initial=0)

    GROUPS = (
        (_("Which encounters"), ("kinds", "min_days", "max_days", "health_statuses", "tiers", "first_only")),
        (_("Repetition after the last step"), ("repeat_every", "repeat_unit", "repeat_count", "repeat_window_days",
                                               "repeat_label")),
        (_("Cycle: N per period (instead of steps)"), ("cycle_per_period", "cycle_period", "cycle_unit",
                                                       "cycle_cycles", "cycle_window_days", "cycle_label")),
        (_("What each occurrence makes"), ("makes", "channel", "message_purpose", "script", "client_series",
                                           "move_off_nonworking", "priority")),
    )

    def __init__(self, *args: Any, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if editing:
            del self.fields["code"]

    def groups(self) -> list[tuple[Any, list[forms.BoundField]]]:
        return [(title, [self[n] for n in names]) for title, names in self.GROUPS]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        some_repeat = any(data.get(n) not in (None, "") for n in ("repeat_every", "repeat_count"))
        if some_repeat:
            for name in ("repeat_every", "repeat_count"):
                if data.get(name) is None:
                    self.add_error(name, _("Give both how often and how many times to repeat."))
        some_cycle = any(data.get(n) is not None for n in ("cycle_per_period", "cycle_period", "cycle_cycles"))
        if some_cycle:
            for name in ("cycle_per_period", "cycle_period"):
                if data.get(name) is None:
                    self.add_error(name, _("A cycle needs follow-ups per period and the period length."))
        return data


class StepForm(forms.Form):
    offset = forms.IntegerField(label=_("Offset"))
    unit = forms.ChoiceField(label=_("Unit of the offset"), choices=STEP_UNIT_CHOICES, initial="day")
    anchor = forms.ChoiceField(label=_("Counted from"), choices=ANCHOR_CHOICES, initial="encounter")
    window_days = forms.IntegerField(label=_("Window (days)"), required=False, min_value=0)
    last = forms.BooleanField(label=_("Closes the series"), required=False)
    if_after_end = forms.IntegerField(label=_("If after the prescription ends: days from its end"), required=False)
    label = forms.CharField(label=_("Timing text"), required=False, max_length=60)


StepFormSet = forms.formset_factory(StepForm, extra=0, can_delete=True)


def rule_initial(data: dict[str, Any]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Form and formset initial values from the stored rule data."""
    initial = {k: v for k, v in data.items() if k not in ("steps", "repeat", "cycle", "action")}
    initial["makes"] = data.get("action") or RuleAction.TASK
    for prefix in ("repeat", "cycle"):
        for key, value in (data.get(prefix) or {}).items():
            initial[f"{prefix}_{key}"] = value
    steps = [{"anchor": "encounter", "unit": "day", **step} for step in data.get("steps") or []]
    return initial, steps


def rule_data(form: RuleForm, formset: Any, *, code: str) -> dict[str, Any]:
    """The rule's JSON shape (as the API takes it) from a valid form and formset."""
    c = form.cleaned_data
    steps = []
    for step in formset.cleaned_data:
        if not step or step.get("DELETE"):
            continue
        row: dict[str, Any] = {"anchor": step["anchor"], "offset": step["offset"], "unit": step["unit"]}
        for key in ("window_days", "if_after_end"):
            if step.get(key) is not None:
                row[key] = step[key]
        if step.get("last"):
            row["last"] = True
        if step.get("label"):
            row["label"] = step["label"]
        steps.append(row)
    repeat = None
    if c.get("repeat_every") is not None:
        repeat = {"every": c["repeat_every"], "unit": c["repeat_unit"], "count": c["repeat_count"] or 0}
        if c.get("repeat_window_days") is not None:
            repeat["window_days"] = c["repeat_window_days"]
        if c.get("repeat_label"):
            repeat["label"] = c["repeat_label"]
    cycle = None
    if c.get("cycle_per_period") is not None:
        cycle = {"per_period": c["cycle_per_period"], "period": c["cycle_period"], "unit": c["cycle_unit"],
                 "cycles": c.get("cycle_cycles") or 1}
        if c.get("cycle_window_days") is not None:
            cycle["window_days"] = c["cycle_window_days"]
        if c.get("cycle_label"):
            cycle["label"] = c["cycle_label"]
    return {
        "code": code, "name": c["name"], "active": c["active"], "kinds": c["kinds"],
        "min_days": c.get("min_days"), "max_days": c.get("max_days"),
        "health_statuses": c.get("health_statuses") or [], "tiers": c.get("tiers") or [],
        "first_only": c["first_only"], "steps": steps, "repeat": repeat, "cycle": cycle,
        "channel": c["channel"], "move_off_nonworking": c.get("move_off_nonworking") or "",
        "priority": c.get("priority") or 0, "script": c.get("script") or "",
        "client_series": c.get("client_series") or "", "action": c["makes"],
        "message_purpose": c.get("message_purpose") or "",
    }


# Where a service error about a JSON field is shown on the structured form.
ERROR_FIELD = {"repeat": "repeat_every", "cycle": "cycle_per_period", "steps": None, "unit": None, "rule": None,
               "action": "makes"}
