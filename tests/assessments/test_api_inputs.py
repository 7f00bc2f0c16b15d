"""POST /api/v1/assessments/ with inputs, and /api/v1/assessments/tcm-constitution/ (CONTRACT)."""

import pytest

from careloop.assessments.models import Assessment, ConstitutionRecord

URL = "/api/v1/assessments/"
TCM_URL = "/api/v1/assessments/tcm-constitution/"

GUIDELINE_MAN = {
    "sex": "male",
    "age": 40,
    "region": "north",
    "residence": "urban",
    "waist_cm": 80,
    "total_cholesterol_mmol": 5.2,
    "hdl_mmol": 1.3,
    "sbp": 145,
    "dbp": 80,
    "on_bp_treatment": False,
    "diabetes": False,
    "smoking": "never",
    "family_history_ascvd": True,
}


@pytest.fixture
def nurse(world):
    return world.nurse


def test_inputs_give_models_and_risk_factors(api, nurse):
    response = api(nurse).post(URL, {"inputs": GUIDELINE_MAN}, format="json")
    assert response.status_code == 200
    body = response.json()
    models = {m["code"]: m for m in body["models"]}
    assert list(models) == ["china_par", "cdrs", "plcom2012", "lung_screening_cn"]
    par = models["china_par"]
    assert (par["value"], par["unit"], par["category"], par["missing"]) == (4.9, "%", "low", [])
    assert "Circulation 2016" in par["source"]
    assert models["cdrs"]["value"] is None
    assert models["cdrs"]["missing"] == ["bmi", "family_history_diabetes"]
    assert models["plcom2012"]["value"] is None and models["plcom2012"]["missing"] == []  # never-smoker
    factors = {f["code"]: f for f in body["risk_factors"]}
    assert factors["sbp"]["category"] == "grade_1"
    assert factors["waist"]["category"] == "normal"
    assert factors["bmi"]["missing"] == ["bmi"]
    assert Assessment.objects.count() == 0  # nothing stored for a stateless computation


def test_names_follow_the_request_language(api, nurse):
    body = api(nurse, lang="en").post(URL, {"inputs": GUIDELINE_MAN}, format="json").json()
    assert body["models"][0]["name"] == "China-PAR 10-year ASCVD risk"
    body = api(nurse).post(URL, {"inputs": GUIDELINE_MAN}, format="json").json()
    assert body["models"][0]["name"].startswith("China-PAR 10年")


@pytest.mark.parametrize(
    ("inputs", "field"),
    [({"sex": "x"}, "sex"), ({"age": "old"}, "age"), ({"sbp": 900}, "sbp"), ({"nonsense": 1}, "nonsense")],
)
def test_bad_inputs_are_a_400_naming_the_field(api, nurse, inputs, field):
    response = api(nurse, lang="en").post(URL, {"inputs": inputs}, format="json")
    assert response.status_code == 400
    assert list(response.json()["inputs"]) == [field]


def test_error_messages_are_chinese_by_default(api, nurse):
    response = api(nurse).post(URL, {"inputs": {"age": "old"}}, format="json")
    assert response.json() == {"inputs": {"age": ["必须是数字。"]}}
    response = api(nurse, lang="en").post(URL, {"inputs": {"age": "old"}}, format="json")
    assert response.json() == {"inputs": {"age": ["Must be a number."]}}


@pytest.mark.parametrize("body", [{}, {"client": 1, "inputs": {}}, {"inputs": []}])
def test_exactly_one_of_client_or_inputs(api, nurse, body):
    response = api(nurse).post(URL, body, format="json")
    assert response.status_code == 400


def test_authentication_is_required(api, db):
    assert api().post(URL, {"inputs": {}}, format="json").status_code in (401, 403)
    assert api().post(TCM_URL, {"answers": [1] * 33}, format="json").status_code in (401, 403)


def test_tcm_constitution(api, nurse):
    answers = [1] * 33
    for item in (2, 3, 4, 14):  # 气虚质 16
        answers[item - 1] = 4
    response = api(nurse).post(TCM_URL, {"answers": answers}, format="json")
    assert response.status_code == 200
    body = response.json()
    types = {t["code"]: t for t in body["types"]}
    assert list(types) == ["pinghe", "qixu", "yangxu", "yinxu", "tanshi", "shire", "xueyu", "qiyu", "tebing"]
    assert types["qixu"] == {"code": "qixu", "name": "气虚质", "score": 16, "result": "yes"}
    assert types["pinghe"]["result"] == "no"
    assert body["primary"] == "qixu"
    assert [g["code"] for g in body["guidance"]] == ["qixu"]
    assert [s["title_zh"] for s in body["guidance"][0]["sections"]] == [
        "情志调摄",
        "饮食调养",
        "起居调摄",
        "运动保健",
        "穴位保健",
    ]
    assert ConstitutionRecord.objects.count() == 0


@pytest.mark.parametrize("answers", [[1] * 32, [1] * 32 + [6], None, "1" * 33])
def test_tcm_bad_answers(api, nurse, answers):
    response = api(nurse).post(TCM_URL, {"answers": answers}, format="json")
    assert response.status_code == 400
    assert list(response.json()) == ["answers"]
