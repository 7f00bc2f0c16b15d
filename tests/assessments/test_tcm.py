"""Elderly TCM constitution: reversed items, judgement rules, mixed/primary, contradictions."""

import pytest

from careloop.assessments.engine import tcm
from careloop.assessments.engine.common import load_data

TYPE_ITEMS = {t["code"]: t["items"] for t in load_data("tcm_elderly_33")["types"]}


def answers_with(base: int = 1, **items: int) -> list[int]:
    answers = [base] * 33
    for key, value in items.items():
        answers[int(key[1:]) - 1] = value
    return answers


def by_code(result):
    return {t.code: (t.score, t.result) for t in result.types}


def test_item_groups_are_the_standards():
    assert TYPE_ITEMS == {
        "pinghe": [1, 2, 4, 5, 13],
        "qixu": [2, 3, 4, 14],
        "yangxu": [11, 12, 13, 29],
        "yinxu": [10, 21, 26, 31],
        "tanshi": [9, 16, 28, 32],
        "shire": [23, 25, 27, 30],
        "xueyu": [19, 22, 24, 33],
        "qiyu": [5, 6, 7, 8],
        "tebing": [15, 17, 18, 20],
    }


def test_balanced_person_is_pinghe_yes_with_reversed_items():
    # item 1 (精力充沛) = 5, everything else 1 → 平和 = 5 + (6-1)*4 = 25; others 4
    result = tcm.identify(answers_with(q1=5))
    scores = by_code(result)
    assert scores["pinghe"] == (25, "yes")
    assert all(scores[c] == (4, "no") for c in scores if c != "pinghe")
    assert result.primary == "pinghe"
    assert result.mixed == [] and result.needs_recheck is False


def test_pinghe_basically_when_a_biased_type_reaches_9_or_10():
    # 平和 17+ and qiyu 10 (items 6,7,8 → 3 each + item 5 = 1) → 基本是; qiyu 倾向是
    result = tcm.identify(answers_with(q1=5, q6=3, q7=3, q8=3))
    scores = by_code(result)
    assert scores["qiyu"] == (10, "tendency")
    assert scores["pinghe"] == (25, "basically")
    assert result.primary == "pinghe"
    assert result.mixed == ["qiyu"]


def test_pinghe_no_when_a_biased_type_is_yes():
    result = tcm.identify(answers_with(q1=5, q6=4, q7=4, q8=4))  # qiyu 13
    scores = by_code(result)
    assert scores["qiyu"] == (13, "yes")
    assert scores["pinghe"][1] == "no"
    assert result.primary == "qiyu"


@pytest.mark.parametrize(("total", "expected"), [(8, "no"), (9, "tendency"), (10, "tendency"), (11, "yes")])
def test_biased_thresholds(total, expected):
    # tebing items 15,17,18,20: start at 1 each (4) and add the rest to item 15
    result = tcm.identify(answers_with(q15=1 + min(4, total - 4), q17=1 + max(0, total - 8)))
    assert by_code(result)["tebing"] == (total, expected)


def test_pinghe_threshold_17():
    sixteen = answers_with(q1=1, q2=2, q4=3, q5=2, q13=2)  # 1 + 4 + 3 + 4 + 4 = 16
    seventeen = answers_with(q1=2, q2=2, q4=3, q5=2, q13=2)  # 17
    assert by_code(tcm.identify(sixteen))["pinghe"] == (16, "no")
    assert by_code(tcm.identify(seventeen))["pinghe"] == (17, "yes")


def test_mixed_constitution_primary_by_score():
    # qixu (2,3,4,14) = 4*4 = 16 ; yinxu (10,21,26,31) = 3*4 = 12
    result = tcm.identify(answers_with(q2=4, q3=4, q4=4, q14=4, q10=3, q21=3, q26=3, q31=3))
    scores = by_code(result)
    assert scores["qixu"] == (16, "yes") and scores["yinxu"] == (12, "yes")
    assert result.primary == "qixu"
    assert result.mixed == ["yinxu"]


def test_tie_leaves_primary_to_the_tcm_doctor():
    result = tcm.identify(answers_with(q23=3, q25=3, q27=3, q30=3, q19=3, q22=3, q24=3, q33=3))
    assert result.primary is None
    assert result.tie == ["shire", "xueyu"]


def test_yin_and_yang_deficiency_together_is_flagged_for_recheck():
    result = tcm.identify(answers_with(q10=3, q21=3, q26=3, q31=3, q11=4, q12=4, q13=4, q29=4))
    assert result.contradictions == [["yinxu", "yangxu"]]
    assert result.needs_recheck is True
    assert result.primary == "yangxu"


def test_no_constitution_at_all_asks_for_recheck():
    # 平和 16 (below 17) while every biased type is ≤ 8: nothing can be judged
    result = tcm.identify(answers_with(q1=1, q2=2, q4=3, q5=2, q13=2))
    assert result.primary is None
    assert result.needs_recheck is True


@pytest.mark.parametrize(
    "answers", [[1] * 32, [1] * 34, [0] + [1] * 32, [6] + [1] * 32, ["1"] + [1] * 32, [True] + [1] * 32, "x"]
)
def test_bad_answers_are_refused(answers):
    with pytest.raises(tcm.AnswersError) as exc:
        tcm.identify(answers)
    assert list(exc.value.errors) == ["answers"]


@pytest.mark.parametrize(("bmi", "answer"), [(23.9, 1), (24, 2), (25.5, 3), (27.9, 4), (28, 5)])
def test_item_9_from_bmi(bmi, answer):
    assert tcm.anchor_answer(9, bmi) == answer


@pytest.mark.parametrize(
    ("waist", "answer"), [(79, 1), (80, 2), (85, 2), (86, 3), (90, 3), (91, 4), (105, 4), (105.5, 5)]
)
def test_item_28_from_waist(waist, answer):
    assert tcm.anchor_answer(28, waist) == answer


def test_guidance_has_five_sections_for_every_type():
    for code in TYPE_ITEMS:
        sections = tcm.guidance(code)["sections"]
        assert [s["code"] for s in sections] == ["emotion", "diet", "routine", "exercise", "acupoints"]
        assert all(s["paragraphs"] for s in sections)


def test_guidance_transcription_defects_are_corrected():
    tebing = {s["code"]: s["paragraphs"] for s in tcm.guidance("tebing")["sections"]}
    assert tebing["diet"][0].startswith("饮食宜均衡")
    assert not any("理气解郁" in p for p in tebing["diet"])
    assert len(tebing["emotion"]) == 1
    shire = {s["code"]: s["paragraphs"] for s in tcm.guidance("shire")["sections"]}
    assert not any("打羽毛球" in p for p in shire["exercise"])
