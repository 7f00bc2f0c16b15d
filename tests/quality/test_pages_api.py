"""Supervision pages and API: who sees what, Chinese labels, pinned query counts, 4xx naming fields."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from careloop.audit.models import AuditEvent
from careloop.quality import services
from careloop.quality.models import ChecklistItem, Finding, SampledRecord
from tests.quality.builders import records_for, signed_record

pytestmark = pytest.mark.django_db
Q_START, Q_END = dt.date(2026, 10, 1), dt.date(2026, 12, 31)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(dt.datetime(2026, 11, 20, 9, 0, tzinfo=dt.UTC), tick=False):
        yield


@pytest.fixture
def drawn(world):
    records_for(world.own, world.nurse, 40, start=Q_START)
    records_for(world.other_team, world.nurse_b, 20, start=Q_START)
    return services.supervision_period_draw(branch=world.bj, start=Q_START, end=Q_END, acting_user=world.inspector)


def test_inspector_home_lists_samples_to_score_in_chinese(world, client, drawn, django_assert_num_queries):
    client.force_login(world.inspector)
    client.get(reverse("quality:home"))  # warm the session and caches
    with django_assert_num_queries(12):
        page = client.get(reverse("quality:home"), HTTP_ACCEPT_LANGUAGE="zh-hans")
    html = page.content.decode()
    assert page.status_code == 200
    assert "质控督导" in html and "待评分记录 (4)" in html
    assert html.count(reverse("quality:record", args=[drawn.samples.first().record_id])) == 1


def test_home_and_record_pages_are_for_inspectors_only(world, client, drawn):
    sample = drawn.samples.first()
    for user in (world.nurse, world.lead, world.admin, world.manager):
        client.force_login(user)
        assert client.get(reverse("quality:home")).status_code == 403
        assert client.get(reverse("quality:record", args=[sample.record_id])).status_code == 403
    assert not AuditEvent.objects.filter(action="quality.sample.read").exists()


def test_record_page_scores_and_records_findings(world, client, drawn):
    sample = drawn.samples.first()
    client.force_login(world.inspector)
    page = client.get(reverse("quality:record", args=[sample.record_id]), HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert page.status_code == 200 and "评分表" in page.content.decode()
    assert AuditEvent.objects.filter(action="quality.sample.read", client_id=world.own.pk).count() == 1
    marks = {f"mark_{c}": "1" for c in ChecklistItem.objects.values_list("code", flat=True)}
    client.post(reverse("quality:score", args=[sample.pk]), {**marks, "comment": "好"})
    sample.refresh_from_db()
    assert sample.total == 100
    client.post(reverse("quality:finding_create", args=[sample.pk]), {
        "description": "未询问生活方式", "action": "补问", "owner": world.nurse.pk, "due_date": "2026-11-27"})
    assert Finding.objects.get().owner_id == world.nurse.pk


def test_unsampled_record_is_not_found(world, client, drawn):
    unsampled = signed_record(world.own, world.nurse, on=dt.date(2026, 9, 1))
    client.force_login(world.inspector)
    assert client.get(reverse("quality:record", args=[unsampled.pk])).status_code == 404
    assert not AuditEvent.objects.filter(action="quality.sample.read").exists()


def test_staff_member_sees_findings_on_own_records_and_closes_them(world, client, drawn):
    sample = drawn.samples.filter(staff=world.nurse).first()
    finding = services.finding_record(sample=sample, description="记录不完整", action="补记", owner=world.nurse,
                                      due_date=dt.date(2026, 11, 27), acting_user=world.inspector)
    client.force_login(world.nurse_b)
    assert "记录不完整" not in client.get(reverse("quality:findings")).content.decode()
    assert client.post(reverse("quality:finding_close", args=[finding.pk]), {"closure_note": "x"}).status_code == 404
    client.force_login(world.nurse)
    assert "记录不完整" in client.get(reverse("quality:findings"), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    client.post(reverse("quality:finding_close", args=[finding.pk]), {"closure_note": "已补记"})
    finding.refresh_from_db()
    assert finding.status == "closed"


def test_api_draw_score_and_findings(world, api):
    records_for(world.own, world.nurse, 3, start=Q_START)
    inspector = api(world.inspector)
    bad = inspector.post("/api/v1/supervision/periods/", {"branch": world.bj.pk, "start": "2026-12-31",
                                                          "end": "2026-10-01"}, format="json")
    assert bad.status_code == 400 and "end" in bad.json()
    other = inspector.post("/api/v1/supervision/periods/", {"branch": world.sh.pk, "start": "2026-10-01",
                                                            "end": "2026-12-31"}, format="json")
    assert other.status_code == 400 and "branch" in other.json()
    made = inspector.post("/api/v1/supervision/periods/", {"branch": world.bj.pk, "start": "2026-10-01",
                                                           "end": "2026-12-31"}, format="json")
    assert made.status_code == 201 and made.json()["samples"] == 2
    samples = inspector.get(f"/api/v1/supervision/periods/{made.json()['id']}/samples/").json()
    rows = samples["results"] if isinstance(samples, dict) else samples
    sample_id = rows[0]["id"]
    missing = inspector.post(f"/api/v1/supervision/samples/{sample_id}/score/", {"marks": {"t_due": True}},
                             format="json")
    assert missing.status_code == 400 and "c_health" in missing.json()
    assert SampledRecord.objects.get(pk=sample_id).status == "pending"
    marks = {c: True for c in ChecklistItem.objects.values_list("code", flat=True)}
    scored = inspector.post(f"/api/v1/supervision/samples/{sample_id}/score/", {"marks": marks}, format="json")
    assert scored.status_code == 200 and scored.json()["total"] == "100.0"
    assert api(world.nurse).post(f"/api/v1/supervision/samples/{sample_id}/score/", {"marks": marks},
                                 format="json").status_code == 403
    found = inspector.post(f"/api/v1/supervision/samples/{sample_id}/findings/", {
        "description": "a", "action": "b", "owner": world.nurse.pk, "due_date": "2026-11-30"}, format="json")
    assert found.status_code == 201
    listed = api(world.nurse).get("/api/v1/supervision/findings/?status=open").json()
    assert [f["id"] for f in (listed["results"] if isinstance(listed, dict) else listed)] == [found.json()["id"]]
    assert api(world.nurse2).get("/api/v1/supervision/findings/").json() in ([], {"count": 0, "next": None,
                                                                               "previous": None, "results": []})


def test_findings_list_offers_closing_only_to_who_may_and_keeps_its_queries(world, client, drawn,
                                                                            django_assert_max_num_queries):
    samples = list(drawn.samples.filter(staff=world.nurse))
    for sample in samples:
        services.finding_record(sample=sample, description="记录不完整", action="补记", owner=world.nurse,
                                due_date=dt.date(2026, 11, 27), acting_user=world.inspector)
    client.force_login(world.lead)
    client.get(reverse("quality:findings"))
    # 9, plus the session's save when the idle clock has moved on to the next second (accounts.middleware).
    with django_assert_max_num_queries(10):
        html = client.get(reverse("quality:findings"), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert html.count("记录不完整") == len(samples) and 'name="closure_note"' not in html
    client.force_login(world.nurse)
    client.get(reverse("quality:findings"))
    with django_assert_max_num_queries(10):  # the same with rows in both lists: no query per row
        html = client.get(reverse("quality:findings")).content.decode()
    assert html.count('name="closure_note"') == len(samples)


def test_period_page_shows_strata_by_their_chinese_labels(world, client, drawn):
    client.force_login(world.inspector)
    html = client.get(reverse("quality:period", args=[drawn.pk]), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "督导抽查样本" in html and "<td>phone</td>" not in html and "电话" in html
