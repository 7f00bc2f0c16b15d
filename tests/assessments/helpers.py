"""Small builders for assessment tests."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from careloop.clients.models import Consent, ConsentPurpose


def consent(client, granted: bool = True) -> None:
    Consent.objects.create(
        client=client, purpose=ConsentPurpose.HEALTH_DATA, granted=granted, given_at=timezone.now()
    )


FULL_ANSWERS = {
    "diabetes": False,
    "on_bp_treatment": False,
    "copd": False,
    "personal_cancer_history": False,
    "family_history_ascvd": False,
    "family_history_diabetes": True,
    "family_history_lung_cancer": False,
    "region": "north",
    "residence": "urban",
    "education_level": 3,
    "smoking": "current",
    "cigarettes_per_day": 20,
    "smoking_years": 30,
    "passive_smoking_years": 0,
    "occupational_exposure_years": 0,
    "exercise_days_week": 2,
    "exercise_minutes": 30,
    "salt_g": 9,
    "stress": "high",
}

CHECKUP_VALUES = {
    "height_cm": 165.0,
    "weight_kg": 70.0,
    "waist_cm": 88.0,
    "sbp": 146.0,
    "dbp": 92.0,
    "total_cholesterol_mmol": 5.6,
    "hdl_mmol": 1.1,
    "fasting_glucose_mmol": 6.3,
}

DAY = dt.date(2026, 11, 20)
