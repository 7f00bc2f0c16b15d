"""The issued report is signed with the person's name and Beijing time (issue 9, item 9)."""

import datetime as dt

import pytest
import time_machine

from careloop.assessments import services
from careloop.assessments.api import report_document_for

from .helpers import consent

pytestmark = pytest.mark.django_db


def test_signature_line_names_the_person_in_beijing_time(world):
    world.expert.display_name = "赵医生"
    world.expert.save(update_fields=["display_name"])
    consent(world.own)
    with time_machine.travel(dt.datetime(2026, 3, 1, 2, 30, tzinfo=dt.UTC), tick=False):
        assessment = services.assessment_run_for_client(client=world.own, acting_user=world.nurse)
        assessment = services.assessment_issue(assessment=assessment, acting_user=world.expert)
    line = report_document_for(assessment)["issued"]
    assert line.startswith("签发：赵医生  2026-03-01 10:30（北京时间）")
    assert "expert" not in line
