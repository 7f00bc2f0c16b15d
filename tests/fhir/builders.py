"""A client with something in every area the FHIR export covers."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from careloop.checkups.models import Checkup, ResultItem
from careloop.crm.models import Appointment
from careloop.followups.models import CallAttempt, Encounter, FollowupRecord, FollowupTask, Questionnaire
from careloop.messaging.models import Message
from tests.crm.builders import slot
from tests.plans.builders import enrol


def full_record(world, client=None, exam_no: str = "TJ2026-0001", day: int = 1):
    client = client or world.own
    now = timezone.now()
    enc = Encounter.objects.create(client=client, kind="checkup", date=dt.date(2026, 3, 2))
    checkup = Checkup.objects.create(client=client, exam_no=exam_no, institution="北京朝阳体检中心",
                                     date=dt.date(2026, 3, 2), encounter_id=enc.pk, results_at=now,
                                     conclusions="血糖偏高")
    ResultItem.objects.create(checkup=checkup, code="GLU", name="空腹血糖", value_text="7.2", value_num=7.2,
                              unit="mmol/L", reference_range="3.9-6.1", ref_low=3.9, ref_high=6.1, flag="H")
    ResultItem.objects.create(checkup=checkup, code="ECG", name="心电图", value_text="窦性心律")
    task = FollowupTask.objects.create(client=client, encounter=enc, due_date=dt.date(2026, 3, 9), reason="血糖复查提醒",
                                       status="done", closed_at=now)
    CallAttempt.objects.create(task=task, client=client, outcome="reached", at=now, by=world.nurse)
    q = Questionnaire.objects.first() or Questionnaire.objects.create(
        code="fhir-test", series="general", name="随访问卷",
        questions=[{"key": "advice_given", "text": "已给予的健康建议", "type": "text", "required": True}])
    FollowupRecord.objects.create(task=task, client=client, questionnaire=q, channel="phone", performed_at=now,
                                  performed_by=world.nurse, answers={"advice_given": "控制饮食"},
                                  guidance="三个月后复查", signed_by=world.nurse, signed_at=now)
    Message.objects.create(client=client, channel="sms", purpose="report_ready", consent_purpose="reminders",
                           body="您的体检报告已出", requested_at=now, scheduled_at=now, next_attempt_at=now,
                           status="sent", sent_at=now)
    enrol(world, client)
    Appointment.objects.create(client=client, slot=slot(world.bj_site, dt.date(2026, 4, day)), booked_by=world.service)
    return client
