"""Issue 10, finding 5 (SEC-1): customer service reads contact details, not health status — also not through
encounters (API and pages)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client as WebClient

from careloop.followups.services.planning import encounter_create


@pytest.fixture
def encounter(world):
    return encounter_create(client=world.own, kind="tcm_first_visit", date=dt.date(2026, 11, 2), prescription_days=30,
                            acting_user=world.nurse)


@pytest.mark.parametrize("role", ["service", "admin"])
def test_roles_without_results_read_no_encounter(world, encounter, api, role):
    client = api(getattr(world, role), lang="en")
    listing = client.get("/api/v1/encounters/")
    assert listing.status_code == 200 and listing.json()["results"] == []
    assert client.get(f"/api/v1/encounters/{encounter.pk}/").status_code == 404
    assert client.get(f"/api/v1/encounters/?client={world.own.pk}").json()["results"] == []
    browser = WebClient()
    browser.force_login(getattr(world, role))
    assert browser.get(f"/followups/encounters/{encounter.pk}/").status_code == 404


def test_roles_with_results_still_read_encounters(world, encounter, api):
    for role in ("nurse", "expert", "clerk"):
        client = api(getattr(world, role), lang="en")
        assert client.get(f"/api/v1/encounters/{encounter.pk}/").status_code == 200, role
