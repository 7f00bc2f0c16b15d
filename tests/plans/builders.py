"""Builders for the plans tests."""

from __future__ import annotations

import datetime as dt

from careloop.plans import services
from careloop.plans.models import Department, DoctorKind, FamilyDoctor, PartnerHospital, Plan


def enrol(world, client, code: str = "maintenance", start: dt.date = dt.date(2026, 3, 1)):
    return services.enrolment_create(client=client, plan=Plan.objects.get(code=code), start_date=start,
                                     acting_user=world.service)


def hospital_with_department(name: str = "北京协和医院") -> Department:
    hospital = PartnerHospital.objects.create(name=name, grade="三级甲等")
    return Department.objects.create(hospital=hospital, name="心内科", specialty="高血压 冠心病")


def family_doctor(world, kind: str = DoctorKind.PARTTIME, user=None) -> FamilyDoctor:
    user = user or world.doctor
    hospital = PartnerHospital.objects.first() if kind == DoctorKind.PARTTIME else None
    return FamilyDoctor.objects.create(user=user, kind=kind, hospital=hospital)
