import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine

from careloop.crm.models import Appointment, TierOverride
from tests.crm.builders import consent, slot

TODAY = dt.date(2026, 11, 23)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(dt.datetime(2026, 11, 23, 8, 0, tzinfo=ZoneInfo("Asia/Shanghai")), tick=False) as t:
        yield t


def test_tier_override_and_history(world, api):
    url = f"/api/v1/clients/{world.own.pk}/tier/"
    bad = api(world.lead).post(url, {"tier": "A"}, format="json")
    assert bad.status_code == 400 and "reason" in bad.json()
    assert api(world.nurse).post(url, {"tier": "A", "reason": "x"}, format="json").status_code == 403
    assert not TierOverride.objects.exists()
    body = api(world.lead).post(url, {"tier": "A", "reason": "长期慢病管理"}, format="json").json()
    assert (body["tier"], body["source"], body["override"]["reason"]) == ("A", "override", "长期慢病管理")
    assert [(h["previous"], h["tier"], h["by"]) for h in body["history"]] == [("C", "A", "lead")]
    got = api(world.nurse).get(url).json()
    assert got["tier"] == "A" and got["source"] == "override"
    lifted = api(world.lead).delete(url, {"reason": "核实后撤销"}, format="json").json()
    assert (lifted["tier"], lifted["source"]) == ("C", "computed")
    assert api(world.nurse2).get(url).status_code == 404


def test_slots_and_booking_flow(world, api):
    consent(world.own)
    s = slot(world.bj_site, TODAY + dt.timedelta(days=1), "09:00", capacity=1)
    listing = api(world.service).get(f"/api/v1/appointment-slots/?site={world.bj_site.pk}&date=2026-11-24").json()
    assert [(r["id"], r["capacity"], r["booked"], r["service"]) for r in listing["results"]] == [(s.pk, 1, 0, "checkup")]
    created = api(world.service).post("/api/v1/appointments/", {"client": world.own.pk, "slot": s.pk}, format="json")
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["status"] == "booked" and body["confirmation_message"] is not None
    full = api(world.service).post("/api/v1/appointments/", {"client": world.other_team.pk, "slot": s.pk}, format="json")
    assert full.status_code == 409 and full.json()["conflict"] == "full"
    far = slot(world.bj_site, TODAY + dt.timedelta(days=6))
    window = api(world.service).post("/api/v1/appointments/", {"client": world.other_team.pk, "slot": far.pk}, format="json")
    assert window.status_code == 409 and "3" in window.json()["slot"][0]
    cancelled = api(world.service).patch(f"/api/v1/appointments/{body['id']}/", {"status": "cancelled", "reason": "改天"},
                                         format="json")
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    again = api(world.service).patch(f"/api/v1/appointments/{body['id']}/", {"status": "cancelled"}, format="json")
    assert again.status_code == 409
    mine = api(world.nurse).get(f"/api/v1/appointments/?client={world.own.pk}").json()
    assert mine["count"] == 1


def test_booking_refusals(world, api):
    s = slot(world.bj_site, TODAY + dt.timedelta(days=1))
    assert api(world.nurse).post("/api/v1/appointments/", {"client": world.own.pk, "slot": s.pk}, format="json").status_code == 403
    assert api(world.service).post("/api/v1/appointments/", {"client": world.other_branch.pk, "slot": s.pk},
                                   format="json").status_code == 404
    bad = api(world.service).post("/api/v1/appointments/", {"client": "x", "slot": s.pk}, format="json")
    assert bad.status_code == 400 and list(bad.json()) == ["client"]
    assert api(world.manager).get("/api/v1/appointment-slots/").status_code == 403
    assert api(world.service).get("/api/v1/appointment-slots/?date=2026-13-01").status_code == 400
    assert not Appointment.objects.exists()
