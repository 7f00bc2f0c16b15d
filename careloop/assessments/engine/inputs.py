"""Validation and normalisation of assessment inputs (CONTRACT "Assessment inputs and outputs").

All inputs are optional. A bad value is an error naming the field; a missing value is fine and
is reported by each model that needs it.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

# name -> (kind, min, max) for numbers; (kind, choices) for choices.
NUMBER_INPUTS: dict[str, tuple[float, float]] = {
    "age": (0, 130),
    "height_cm": (40, 250),
    "weight_kg": (2, 400),
    "bmi": (8, 90),
    "waist_cm": (30, 250),
    "sbp": (50, 300),
    "dbp": (20, 200),
    "total_cholesterol_mmol": (0.5, 30),
    "hdl_mmol": (0.1, 10),
    "ldl_mmol": (0.1, 25),
    "triglycerides_mmol": (0.1, 60),
    "fasting_glucose_mmol": (1, 50),
    "hba1c_percent": (2, 25),
    "uric_acid_umol": (30, 1500),
    "cigarettes_per_day": (0, 200),
    "smoking_years": (0, 90),
    "years_since_quit": (0, 90),
    "passive_smoking_years": (0, 90),
    "occupational_exposure_years": (0, 70),
}
INTEGER_INPUTS: dict[str, tuple[int, int]] = {"education_level": (1, 6)}
BOOL_INPUTS = (
    "on_bp_treatment",
    "diabetes",
    "family_history_ascvd",
    "family_history_diabetes",
    "family_history_lung_cancer",
    "copd",
    "personal_cancer_history",
)
CHOICE_INPUTS: dict[str, tuple[str, ...]] = {
    "sex": ("male", "female"),
    "smoking": ("current", "former", "never"),
    "region": ("north", "south"),
    "residence": ("urban", "rural"),
    "race": (
        "white",
        "black",
        "hispanic",
        "asian",
        "american_indian_alaskan_native",
        "native_hawaiian_pacific_islander",
    ),
}
ALL_INPUTS = (*NUMBER_INPUTS, *INTEGER_INPUTS, *BOOL_INPUTS, *CHOICE_INPUTS)


class InputError(ValueError):
    """Bad assessment input; `errors` maps each field to its reason."""

    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


def _number(value: Any) -> float:
    if isinstance(value, bool):
        raise TypeError
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str) and value.strip():
        return float(value)
    raise TypeError


def normalize_inputs(raw: dict[str, Any]) -> dict[str, Any]:
    """Return a clean dict (every known input present, None when absent) or raise InputError."""
    if not isinstance(raw, dict):
        raise InputError({"inputs": _("Must be an object.")})
    errors: dict[str, str] = {}
    clean: dict[str, Any] = dict.fromkeys(ALL_INPUTS)
    for key, value in raw.items():
        if key not in ALL_INPUTS:
            errors[key] = _("Unknown input.")
            continue
        if value is None or value == "":
            continue
        if key in NUMBER_INPUTS:
            low, high = NUMBER_INPUTS[key]
            try:
                number = _number(value)
            except (TypeError, ValueError):
                errors[key] = _("Must be a number.")
                continue
            if number != number or not low <= number <= high:  # NaN or out of range
                errors[key] = _("Must be between %(low)s and %(high)s.") % {"low": low, "high": high}
                continue
            clean[key] = number
        elif key in INTEGER_INPUTS:
            low_i, high_i = INTEGER_INPUTS[key]
            if isinstance(value, bool) or not isinstance(value, int | str):
                errors[key] = _("Must be a whole number.")
                continue
            try:
                integer = int(value)
            except ValueError:
                errors[key] = _("Must be a whole number.")
                continue
            if not low_i <= integer <= high_i:
                errors[key] = _("Must be between %(low)s and %(high)s.") % {"low": low_i, "high": high_i}
                continue
            clean[key] = integer
        elif key in BOOL_INPUTS:
            if isinstance(value, bool):
                clean[key] = value
            elif value in ("true", "false"):
                clean[key] = value == "true"
            else:
                errors[key] = _("Must be true or false.")
        else:
            if value not in CHOICE_INPUTS[key]:
                errors[key] = _("Must be one of: %(choices)s.") % {"choices": ", ".join(CHOICE_INPUTS[key])}
                continue
            clean[key] = value
    if errors:
        raise InputError(errors)
    return clean


def effective_bmi(inputs: dict[str, Any]) -> float | None:
    """BMI as given, else weight / height² when both are known."""
    if inputs.get("bmi") is not None:
        return float(inputs["bmi"])
    height, weight = inputs.get("height_cm"), inputs.get("weight_kg")
    if height and weight:
        return weight / (height / 100) ** 2
    return None
