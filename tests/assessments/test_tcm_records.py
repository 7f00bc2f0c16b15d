"""TCM constitution records for clients 65+, children's guidance, and their place in the assessment."""

import datetime as dt

import pytest

from careloop.assessments import services
from careloop.assessments.models import ChildTcmGuidance, ConstitutionRecord
from tests.factories import make_client

from .helpers import consent

pytestmark = pytest.mark.django_db
TCM_URL = "/api/v1/assessments/tcm-constitution/"
CHILD_URL = "/api/v1/assessments/child-tcm-guidance/"


@pytest.fixture
def elder(world):
    client = make_client(branch=world.bj, birth_date=dt.date(1955, 3, 1), health_manager=world.nurse)
    consent(client)
    return client


def yinxu_answers():
    answers = [1] * 33
    for item in (10, 21, 26, 31):
        answers[item - 1] = 3
    return answers


def test_record_for_a_client_and_it_joins_the_assessment(api, world, elder):
    response = api(world.nurse).post(TCM_URL, {"client": elder.pk, "answers": yinxu_answers()}, format="json")
    assert response.status_code == 201
    body = response.json()
    assert body["primary"] == "yinxu"
    assert [g["code"] for g in body["guidance"]] == ["yinxu"]
    record = ConstitutionRecord.objects.get()
    assert (record.primary, record.needs_recheck, record.recorded_by) == ("yinxu", False, world.nurse)
    assessment = services.assessment_run_for_client(client=elder, acting_user=world.nurse)
    assert assessment.tcm["primary"] == "yinxu"
    assert assessment.tcm["guidance_for"] == ["yinxu"]


def test_under_65_is_refused(api, world):
    consent(world.own)  # born 1970
    response = api(world.nurse).post(
        TCM_URL, {"client": world.own.pk, "answers": yinxu_answers()}, format="json"
    )
    assert response.status_code == 400
    assert list(response.json()) == ["client"]
    assert ConstitutionRecord.objects.count() == 0


def test_tcm_page_form_and_result(client, world, elder):
    client.force_login(world.nurse)
    url = f"/assessments/client/{elder.pk}/tcm/"
    page = client.get(url)
    assert page.status_code == 200
    assert "您精力充沛吗？（指精神头足，乐于做事）" in page.content.decode()
    incomplete = client.post(url, {"q1": "3"})
    assert "请回答所有问题" in incomplete.content.decode()
    assert ConstitutionRecord.objects.count() == 0
    data = {f"q{n}": str(v) for n, v in enumerate(yinxu_answers(), start=1)}
    done = client.post(url, data).content.decode()
    assert "阴虚质中医药保健指导" in done
    assert "太溪、三阴交" in done
    assert ConstitutionRecord.objects.get().primary == "yinxu"


def test_child_guidance(api, world):
    child = make_client(branch=world.bj, birth_date=dt.date(2025, 5, 1), health_manager=world.nurse)
    response = api(world.nurse).post(CHILD_URL, {"client": child.pk, "age_months": 18}, format="json")
    assert response.status_code == 201
    assert response.json()["massage"] == ["yingxiang", "zusanli"]
    wrong = api(world.nurse).post(
        CHILD_URL, {"client": child.pk, "age_months": 6, "massage": ["sishencong"]}, format="json"
    )
    assert wrong.status_code == 400 and list(wrong.json()) == ["massage"]
    again = api(world.nurse).post(CHILD_URL, {"client": child.pk, "age_months": 18}, format="json")
    assert again.status_code == 400 and list(again.json()) == ["age_months"]
    assert ChildTcmGuidance.objects.count() == 1
