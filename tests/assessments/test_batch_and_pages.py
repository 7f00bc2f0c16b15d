"""Background runs for a list of clients (with progress), questionnaire input, and the pages."""

import pytest

from careloop.assessments import services
from careloop.assessments.models import Assessment, AssessmentBatch, QuestionnaireResponse
from tests.factories import make_client

from .helpers import FULL_ANSWERS, consent

pytestmark = pytest.mark.django_db


@pytest.fixture
def immediate_huey():
    # settings are imported before tests/conftest.py sets CARELOOP_TESTING, so force immediate mode here
    from huey.contrib.djhuey import HUEY

    before = HUEY.immediate
    HUEY.immediate = True
    yield HUEY
    HUEY.immediate = before


def test_batch_runs_each_client_and_records_failures(
    api, world, django_capture_on_commit_callbacks, immediate_huey
):
    consent(world.own)
    no_consent = make_client(branch=world.bj, health_manager=world.nurse)
    with django_capture_on_commit_callbacks(execute=True):
        response = api(world.lead).post(
            "/api/v1/assessments/batches/", {"clients": [world.own.pk, no_consent.pk]}, format="json"
        )
    assert response.status_code == 201
    batch = AssessmentBatch.objects.get()
    assert (batch.status, batch.total, batch.done, batch.percent) == ("done", 2, 1, 100)
    assert [f["client"] for f in batch.failed] == [no_consent.pk]
    assert Assessment.objects.filter(client=world.own).count() == 1
    progress = api(world.lead).get(f"/api/v1/assessments/batches/{batch.pk}/").json()
    assert (progress["done"], progress["percent"]) == (1, 100)
    assert api(world.nurse).get(f"/api/v1/assessments/batches/{batch.pk}/").status_code == 404


def test_batch_refuses_clients_out_of_scope(api, world):
    response = api(world.nurse).post(
        "/api/v1/assessments/batches/", {"clients": [world.other_branch.pk]}, format="json"
    )
    assert response.status_code == 400
    assert list(response.json()) == ["clients"]
    assert AssessmentBatch.objects.count() == 0


def test_questionnaire_answers_are_validated(api, world):
    consent(world.own)
    url = "/api/v1/assessments/questionnaire-responses/"
    bad = api(world.nurse).post(
        url, {"client": world.own.pk, "answers": {"smoking": "often", "salt_g": -1}}, format="json"
    )
    assert bad.status_code == 400
    assert sorted(bad.json()) == ["answers.salt_g", "answers.smoking"]
    assert QuestionnaireResponse.objects.count() == 0
    ok = api(world.nurse).post(url, {"client": world.own.pk, "answers": FULL_ANSWERS}, format="json")
    assert ok.status_code == 201
    assert ok.json()["version"] == "2026.1"


def test_detail_page_shows_the_six_sections(client, world):
    consent(world.own)
    assessment = services.assessment_run_for_client(client=world.own, acting_user=world.nurse)
    client.force_login(world.expert)
    html = client.get(f"/assessments/{assessment.pk}/").content.decode()
    for title in (
        "一、个人健康信息清单",
        "二、健康危险因素重点提示",
        "四、健康改善重点提示",
        "六、个人健康管理处方",
    ):
        assert title in html
    assert "客户档案（出生日期 1970-05-17）" in html
    pdf = client.get(f"/assessments/{assessment.pk}/pdf/")
    assert pdf.content.startswith(b"%PDF")
    client.force_login(world.nurse2)
    assert client.get(f"/assessments/{assessment.pk}/").status_code == 404


def test_index_page(client, world):
    client.force_login(world.nurse)
    assert client.get("/assessments/").status_code == 200
    client.force_login(world.service)
    assert client.get("/assessments/").status_code == 403


def test_assessments_appear_on_the_client_timeline(world):
    from careloop.clients.timeline import timeline_for

    consent(world.own)
    services.assessment_run_for_client(client=world.own, acting_user=world.nurse)
    entries = [e for e in timeline_for(world.own, world.nurse) if e.kind == "assessment"]
    assert [e.title for e in entries] == ["健康评估（草稿）"]
    assert [e for e in timeline_for(world.own, world.service) if e.kind == "assessment"] == []


def test_questionnaire_page_saves_typed_answers(client, world):
    consent(world.own)
    client.force_login(world.nurse)
    url = f"/assessments/client/{world.own.pk}/questionnaire/"
    page = client.get(url).content.decode()
    assert "父母、同胞、子女中是否有人患糖尿病？" in page
    bad = client.post(url, {"smoking_years": "many"}).content.decode()
    assert "answers.smoking_years" in bad
    assert QuestionnaireResponse.objects.count() == 0
    response = client.post(
        url, {"smoking": "current", "cigarettes_per_day": "20", "diabetes": "false", "education_level": "3"}
    )
    assert response.status_code == 302
    saved = QuestionnaireResponse.objects.get()
    assert saved.answers == {
        "smoking": "current",
        "cigarettes_per_day": 20,
        "diabetes": False,
        "education_level": 3,
    }
    assert saved.entered_by == world.nurse


def test_expert_edits_and_issues_on_the_page(client, world):
    consent(world.own)
    assessment = services.assessment_run_for_client(client=world.own, acting_user=world.nurse)
    client.force_login(world.expert)
    client.post(
        f"/assessments/{assessment.pk}/prescription/", {"prescription": "每天步行六千步。\n少吃咸菜。\n"}
    )
    assessment.refresh_from_db()
    assert [i["text"] for i in assessment.prescription] == ["每天步行六千步。", "少吃咸菜。"]
    client.post(f"/assessments/{assessment.pk}/issue/")
    assessment.refresh_from_db()
    assert assessment.status == "issued" and assessment.issued_by == world.expert
    assert services.assessment_signature_valid(assessment)
    html = client.get(f"/assessments/{assessment.pk}/").content.decode()
    assert "签名有效" in html
    assert 'name="prescription"' not in html  # frozen
