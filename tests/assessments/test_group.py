"""Group report (ASM-5): prevalence by sex and age band, no cell under 5 people."""

import datetime as dt

import pytest

from careloop.assessments import services
from careloop.assessments.group import SUPPRESSED, MemberRow, group_report
from careloop.clients.models import Enterprise, EnterpriseMember
from tests.factories import make_client

from .helpers import consent


def row(sex: str, age: int, hypertension: bool) -> MemberRow:
    return MemberRow(sex=sex, age=age, summary={"hypertension": "present" if hypertension else "absent"})


def table(doc):
    return {r[0]: r[1:] for r in doc["tables"][0]["rows"]}


def test_counts_by_sex_and_age_band():
    rows = (
        [row("male", 40, True)] * 6
        + [row("male", 40, False)] * 4
        + [row("female", 50, True)] * 5
        + [row("female", 50, False)] * 5
    )
    doc = group_report(rows, enterprise_name="某公司", as_of="2026-11-23")
    total, male, female, lt35, a35, a45, a55, ge65 = table(doc)["高血压"]
    assert total == "11/20 (55.0%)"
    assert male == "6/10 (60.0%)"
    assert female == "5/10 (50.0%)"
    assert (a35, a45) == ("6/10 (60.0%)", "5/10 (50.0%)")
    assert (lt35, a55, ge65) == ("—", "—", "—")
    assert doc["main_problems"] == ["高血压：55.0%"]
    assert doc["lecture_topics"] == ["高血压的防治与家庭血压监测"]
    # items nobody could be judged on are empty, not zero
    assert table(doc)["血脂异常"][0] == "—"


def test_small_cells_are_suppressed_with_their_complement():
    # 3 men (2 hypertensive) and 7 women (5 hypertensive): the men's cell is under 5 people; the
    # women's cell must go too, or 7 - 5 = 2 would give the men away.
    rows = (
        [row("male", 40, True)] * 2
        + [row("male", 40, False)]
        + [row("female", 40, True)] * 5
        + [row("female", 40, False)] * 2
    )
    total, male, female, *_ = table(group_report(rows, enterprise_name="x", as_of="d"))["高血压"]
    assert total == "7/10 (70.0%)"
    assert (male, female) == (SUPPRESSED, SUPPRESSED)


def test_counts_of_one_to_four_are_hidden():
    rows = [row("male", 40, True)] * 3 + [row("male", 40, False)] * 7
    total, *_ = table(group_report(rows, enterprise_name="x", as_of="d"))["高血压"]
    assert total == SUPPRESSED


def test_a_group_under_five_shows_nothing():
    rows = [row("male", 40, True)] * 4
    doc = group_report(rows, enterprise_name="x", as_of="d")
    assert set(table(doc)["高血压"]) <= {SUPPRESSED, "—"}
    assert doc["main_problems"] == []


@pytest.mark.django_db
def test_group_report_api_and_scope(api, world):
    enterprise = Enterprise.objects.create(name="北京某科技公司", branch=world.bj)
    for n in range(6):
        member = make_client(
            branch=world.bj, sex="male", birth_date=dt.date(1980, 1, 1), health_manager=world.nurse
        )
        EnterpriseMember.objects.create(enterprise=enterprise, client=member, joined_on=dt.date(2020, 1, 1))
        consent(member)
        services.input_entry_record(
            client=member, values={"sbp": 150 if n < 5 else 118, "dbp": 85}, acting_user=world.nurse
        )
        services.assessment_run_for_client(client=member, acting_user=world.nurse)
    url = f"/api/v1/assessments/group-report/{enterprise.pk}/"
    body = api(world.manager).get(url).json()
    assert body["members"] == 6
    rows = {r[0]: r[1:] for r in body["tables"][0]["rows"]}
    assert rows["高血压"][:3] == ["5/6 (83.3%)", "5/6 (83.3%)", "—"]
    assert body["lecture_topics"][0] == "高血压的防治与家庭血压监测"
    pdf = api(world.manager).get(f"{url}pdf/")
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    assert api(world.nurse2).get(url).status_code == 404
    assert api(world.service).get(url).status_code == 403
