"""Demo data of careloop.plans: partner hospitals, family doctors, enrolments, uses near their quotas."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from django.utils import timezone

from careloop.clients.models import ClientStatus, Enterprise
from careloop.org.models import User
from careloop.plans import services
from careloop.plans.models import (
    BookingKind,
    BookingStatus,
    ClinicSession,
    Department,
    DoctorKind,
    FamilyDoctor,
    PartnerHospital,
    Plan,
)

HOSPITALS = [
    ("北京协和医院", "三级甲等", "北京市东城区帅府园1号", "bj",
     [("心内科", "高血压、冠心病", [(2, "08:00", "11:30", "李建国", "主任医师"), (4, "13:30", "16:30", "赵敏", "副主任医师")]),
      ("内分泌科", "糖尿病、甲状腺疾病", [(1, "08:00", "11:30", "孙丽", "主任医师")]),
      ("临床营养科", "肥胖、膳食指导", [(3, "08:30", "11:30", "周芳", "主治医师")])]),
    ("北京朝阳医院", "三级甲等", "北京市朝阳区工人体育场南路8号", "bj",
     [("呼吸与危重症医学科", "慢阻肺、肺结节", [(5, "08:00", "11:30", "王强", "主任医师")])]),
    ("上海交通大学医学院附属瑞金医院", "三级甲等", "上海市黄浦区瑞金二路197号", "sh",
     [("心血管内科", "高血压、心衰", [(1, "08:00", "11:30", "陈涛", "主任医师")]),
      ("内分泌代谢科", "糖尿病、肥胖", [(3, "13:30", "16:30", "吴敏", "主任医师")])]),
]


def _hospitals(units: dict[str, Any]) -> dict[str, list[Department]]:
    by_city: dict[str, list[Department]] = {"bj": [], "sh": []}
    for name, grade, address, city, departments in HOSPITALS:
        hospital = PartnerHospital.objects.create(name=name, grade=grade, address=address, branch=units.get(city))
        for dept_name, specialty, sessions in departments:
            dept = Department.objects.create(hospital=hospital, name=dept_name, specialty=specialty)
            for weekday, start, end, doctor, title in sessions:
                ClinicSession.objects.create(department=dept, weekday=weekday, start=dt.time.fromisoformat(start),
                                             end=dt.time.fromisoformat(end), doctor_name=doctor, title=title)
            by_city[city].append(dept)
    return by_city


def generate(clients: list[Any], rng: random.Random, stdout: Any) -> None:  # noqa: C901 (one demo story, step by step)
    staff = {u.username: u for u in User.objects.filter(
        username__in=["admin", "doctor", "doctor2", "lead", "lead_sh", "service"])}
    if len(staff) < 6:
        stdout.write("plans: demo staff missing, skipped\n")
        return
    today = timezone.localdate()
    admin = staff["admin"]
    branches = {c.pk: c.branch.branch() for c in clients}
    branch_of = {pk: ("sh" if unit.code == "sh" else "bj") for pk, unit in branches.items()}
    units = {unit.code: unit for unit in branches.values()}
    departments = _hospitals(units)
    FamilyDoctor.objects.create(user=staff["doctor"], kind=DoctorKind.FULLTIME, title="主治医师")
    FamilyDoctor.objects.create(user=staff["doctor2"], kind=DoctorKind.PARTTIME, title="副主任医师",
                                hospital=departments["sh"][0].hospital if departments["sh"] else None)
    plans = {p.code: p for p in Plan.objects.all()}
    user_for = {"bj": staff["lead"], "sh": staff["lead_sh"]}
    active = [c for c in clients if c.status == ClientStatus.ACTIVE]

    # One enterprise holds the group plan for its members.
    enterprise = Enterprise.objects.filter(memberships__client__in=active).distinct().order_by("id").first()
    group_members: set[int] = set()
    if enterprise is not None:
        members = [m.client for m in enterprise.memberships.select_related("client")
                   if m.client.status == ClientStatus.ACTIVE and m.client.family_doctor_id is None]
        if members:
            group = services.group_enrolment_create(
                enterprise=enterprise, plan=plans["maintenance_group"], start_date=today - dt.timedelta(days=120),
                members=members, lectures_per_year=2, newsletter_copies=len(members) + 5, acting_user=admin)
            group_members = {c.pk for c in members}
            services.group_entitlement_use(group=group, service="lecture", date=today - dt.timedelta(days=60),
                                           acting_user=staff["service"], note="高血压防治讲座")
            services.group_entitlement_use(group=group, service="newsletter", date=today - dt.timedelta(days=30),
                                           acting_user=staff["service"])

    enrolled = near = consults = bookings = 0
    for client in active:
        if client.pk in group_members or rng.random() < 0.2:
            continue
        city = branch_of[client.pk]
        if client.family_doctor_id is not None:
            code = "comprehensive"
        else:
            code = "chronic" if rng.random() < 0.3 else "maintenance"
        start = today - dt.timedelta(days=rng.randint(20, 330))
        services.enrolment_create(client=client, plan=plans[code], start_date=start, acting_user=admin)
        enrolled += 1
        actor = user_for[city]
        if rng.random() < 0.35:  # checkup used: 0 left
            services.entitlement_use(client=client, service="checkup", date=start + dt.timedelta(days=10),
                                     acting_user=actor, source="demo")
            near += 1
        if code == "maintenance" and rng.random() < 0.3:  # 3 of 4 newsletters sent
            for q in range(3):
                services.entitlement_use(client=client, service="newsletter",
                                         date=min(today, start + dt.timedelta(days=5 + 90 * q)), acting_user=actor,
                                         source="demo")
        if code == "comprehensive":
            doctor = User.objects.get(pk=client.family_doctor_id)
            profile = FamilyDoctor.objects.filter(user=doctor).first()
            if profile is None:
                continue
            n = 3 if profile.kind == DoctorKind.PARTTIME else rng.randint(1, 3)
            for i in range(n):
                at = timezone.now() - dt.timedelta(days=i + 1, hours=rng.randint(0, 6))
                if at.date() < start:
                    break
                services.consultation_record(
                    client=client, at=at, complaint=rng.choice(["近一周晨起头晕", "血糖波动，餐后偏高", "夜间睡眠差",
                                                                "体检提示血脂偏高，咨询饮食"]),
                    advice=rng.choice(["每日早晚测量血压并记录，低盐饮食", "控制主食量，餐后散步30分钟",
                                       "规律作息，必要时心内科就诊"]),
                    referral=rng.choice(["", "", "心内科专家门诊"]), acting_user=doctor)
                consults += 1
            depts = departments[city]
            if depts and rng.random() < 0.5:
                dept = rng.choice(depts)
                booking = services.green_channel_book(
                    client=client, kind=rng.choice([BookingKind.APPOINTMENT, BookingKind.APPOINTMENT,
                                                    BookingKind.ADMISSION]), department=dept,
                    wanted_at=timezone.now() + dt.timedelta(days=rng.randint(2, 10)), note="请携带既往病历",
                    acting_user=doctor)
                if rng.random() < 0.6:
                    services.green_channel_set_status(booking=booking, status=BookingStatus.CONFIRMED,
                                                      acting_user=doctor)
                bookings += 1
    stdout.write(f"plans: {enrolled} individual enrolments, {len(group_members)} enterprise members, "
                 f"{near} clients at a used-up checkup, {consults} consultations, {bookings} green-channel bookings\n")

