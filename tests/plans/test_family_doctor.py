"""Family doctor (seed 004), consultations with the part-time monthly quota, the green channel (PLN-6)."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError

from careloop.clients.models import Assignment
from careloop.clients.services import consent_record
from careloop.messaging.models import Message
from careloop.plans import selectors, services
from careloop.plans.models import BookingStatus, ClinicSession, Consultation, DoctorKind, GreenChannelBooking
from tests.factories import make_user
from tests.plans.builders import enrol, family_doctor, hospital_with_department

pytestmark = pytest.mark.django_db
NOW = dt.datetime(2026, 6, 1, 9, tzinfo=dt.UTC)


@time_machine.travel(NOW, tick=False)
def test_a_client_chooses_one_family_doctor_from_the_roster_and_history_is_kept(world, api):
    hospital_with_department()
    family_doctor(world)
    other = make_user("doctor2", roles=["doctor"], unit=world.bj)
    not_on_roster = api(world.service).post(f"/api/v1/clients/{world.own.pk}/family-doctor/", {"doctor": other.pk},
                                            format="json")
    assert not_on_roster.status_code == 400 and "doctor" in not_on_roster.json()
    family_doctor(world, DoctorKind.FULLTIME, user=other)
    ok = api(world.service).post(f"/api/v1/clients/{world.own.pk}/family-doctor/", {"doctor": other.pk},
                                 format="json")
    assert ok.status_code == 200
    world.own.refresh_from_db()
    assert world.own.family_doctor == other
    assert Assignment.objects.filter(client=world.own, kind="family_doctor", ended_at__isnull=True).get().staff == other


@time_machine.travel(NOW, tick=False)
def test_part_time_consultations_at_most_n_per_month(world, api):
    hospital_with_department()
    family_doctor(world, DoctorKind.PARTTIME)
    enrol(world, world.own, "comprehensive", start=dt.date(2026, 5, 20))
    url = f"/api/v1/clients/{world.own.pk}/consultations/"
    body = {"at": "2026-06-01T10:00:00+08:00", "complaint": "头晕三天", "advice": "监测血压，低盐饮食",
            "referral": "心内科"}
    for _ in range(4):
        assert api(world.doctor).post(url, body, format="json").status_code == 201
    refused = api(world.doctor).post(url, body, format="json")
    assert refused.status_code == 409
    assert "家庭保健医生（兼职）" in refused.json()["service"][0] and "2026-05-20" in refused.json()["service"][0]
    assert Consultation.objects.count() == 4
    listed = api(world.nurse).get(url).json()
    assert listed[0]["complaint"] == "头晕三天" and listed[0]["doctor_kind"] == "parttime"


@time_machine.travel(NOW, tick=False)
def test_only_the_clients_family_doctor_records_consultations(world):
    hospital_with_department()
    family_doctor(world)
    enrol(world, world.other_team, "comprehensive")
    with pytest.raises(PermissionDenied):
        services.consultation_record(client=world.other_team, at=NOW, complaint="x", advice="y",
                                     acting_user=world.doctor)
    with pytest.raises(ValidationError) as missing:
        services.consultation_record(client=world.own, at=NOW, complaint="", advice="", acting_user=world.doctor)
    assert set(missing.value.message_dict) == {"complaint", "advice"}
    assert not Consultation.objects.exists()


@time_machine.travel(NOW, tick=False)
def test_consultation_needs_a_plan_with_the_family_doctor(world, api):
    hospital_with_department()
    family_doctor(world)
    enrol(world, world.own, "maintenance")
    response = api(world.doctor).post(f"/api/v1/clients/{world.own.pk}/consultations/", {
        "at": "2026-06-01T10:00:00+08:00", "complaint": "咳嗽", "advice": "多饮水"}, format="json")
    assert response.status_code == 409 and response.json()["code"] == "not_included"


@time_machine.travel(NOW, tick=False)
def test_green_channel_booking_confirmed_tells_the_client_through_the_outbox(world, api):
    department = hospital_with_department()
    session = ClinicSession.objects.create(department=department, weekday=3, start=dt.time(8), end=dt.time(12),
                                           doctor_name="李主任", title="主任医师")
    family_doctor(world)
    enrol(world, world.own, "comprehensive")
    consent_record(acting_user=world.service, client=world.own, purpose="reminders", granted=True)
    created = api(world.doctor).post(f"/api/v1/clients/{world.own.pk}/green-channel/", {
        "kind": "appointment", "department": department.pk, "session": session.pk,
        "wanted_at": "2026-06-03T09:00:00+08:00"}, format="json")
    assert created.status_code == 201, created.json()
    assert created.json()["status"] == "requested"
    pk = created.json()["id"]
    confirmed = api(world.service).patch(f"/api/v1/green-channel/{pk}/", {"status": "confirmed"}, format="json")
    assert confirmed.status_code == 200
    message = Message.objects.get(pk=confirmed.json()["message_id"])
    assert message.purpose == "appointment_confirmation" and message.client_id == world.own.pk
    assert "北京协和医院心内科" in message.body
    bad = api(world.service).patch(f"/api/v1/green-channel/{pk}/", {"status": "requested"}, format="json")
    assert bad.status_code == 400
    assert api(world.service).patch(f"/api/v1/green-channel/{pk}/", {"status": "done"},
                                    format="json").json()["status"] == "done"
    assert GreenChannelBooking.objects.get().status == BookingStatus.DONE


@time_machine.travel(NOW, tick=False)
def test_green_channel_is_refused_without_the_comprehensive_plan(world, api):
    department = hospital_with_department()
    family_doctor(world)
    enrol(world, world.own, "chronic")
    response = api(world.doctor).post(f"/api/v1/clients/{world.own.pk}/green-channel/", {
        "kind": "admission", "department": department.pk, "wanted_at": "2026-06-03T09:00:00+08:00"}, format="json")
    assert response.status_code == 409
    assert not GreenChannelBooking.objects.exists()


def test_partner_hospitals_are_published_with_departments_and_clinic_times(world, api):
    department = hospital_with_department()
    ClinicSession.objects.create(department=department, weekday=1, start=dt.time(8), end=dt.time(11, 30),
                                 doctor_name="王医生")
    found = selectors.partner_hospitals(branch=world.bj_site, specialty="高血压")
    assert [(h.name, [d.name for d in h.departments]) for h in found] == [("北京协和医院", ["心内科"])]
    assert found[0].departments[0].clinic_times[0].doctor_name == "王医生"
    assert selectors.partner_hospitals(specialty="眼科") == []
    listed = api(world.nurse).get("/api/v1/partner-hospitals/").json()
    assert listed[0]["departments"][0]["clinic_times"][0]["start"] == "08:00:00"
