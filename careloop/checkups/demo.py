"""Demo checkups: realistic reports and results with plausible distributions by age and sex.

Values are drawn around Chinese adult population means (rough figures in the spirit of the China
Chronic Disease and Risk Factor Surveillance; good enough to look real, not for research), with a
per-person offset so that one client's yearly results are correlated and trend over time.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.utils import timezone

from careloop.checkups.grading import derive_health_status, worst
from careloop.checkups.importing import age_on, current_rulebook, item_catalogue
from careloop.checkups.models import Checkup, CheckupPackage, ReportDelivery, ResultItem
from careloop.checkups.validation import parse_reference_range
from careloop.org.models import User

# code: (male mean, female mean, sd (log-scale when lognormal), slope per year of age over 30, lognormal?, decimals,
#        reference male, reference female)
NUMERIC = {
    "SBP": (121, 114, 14, 0.55, False, 0, "90-139", "90-139"),
    "DBP": (78, 72, 9, 0.2, False, 0, "60-89", "60-89"),
    "BMI": (24.3, 23.4, 3.0, 0.03, False, 1, "18.5-23.9", "18.5-23.9"),
    "WAIST": (86, 78, 9, 0.12, False, 0, "<85", "<80"),
    "GLU": (5.1, 4.9, 0.11, 0.012, True, 2, "3.9-6.1", "3.9-6.1"),
    "HBA1C": (5.5, 5.4, 0.07, 0.008, True, 1, "4.0-6.0", "4.0-6.0"),
    "TC": (4.7, 4.6, 0.85, 0.015, False, 2, "<5.2", "<5.2"),
    "TG": (1.5, 1.2, 0.45, 0.005, True, 2, "<1.7", "<1.7"),
    "LDL-C": (2.8, 2.7, 0.75, 0.012, False, 2, "<3.4", "<3.4"),
    "HDL-C": (1.2, 1.45, 0.28, 0.0, False, 2, ">1.0", ">1.0"),
    "UA": (385, 290, 75, 0.3, False, 0, "208-428", "155-357"),
    "ALT": (25, 17, 0.45, 0.0, True, 0, "9-50", "7-40"),
    "AST": (24, 21, 0.3, 0.05, True, 0, "15-40", "13-35"),
    "GGT": (30, 17, 0.55, 0.05, True, 0, "10-60", "7-45"),
    "CREA": (80, 60, 12, 0.25, False, 0, "57-97", "41-73"),
    "UREA": (5.3, 4.8, 1.2, 0.02, False, 1, "3.1-8.0", "2.6-7.5"),
    "K": (4.2, 4.1, 0.3, 0.0, False, 1, "3.5-5.3", "3.5-5.3"),
    "WBC": (6.4, 6.0, 1.5, 0.0, False, 1, "3.5-9.5", "3.5-9.5"),
    "RBC": (5.0, 4.4, 0.35, -0.005, False, 2, "4.3-5.8", "3.8-5.1"),
    "HGB": (150, 130, 11, -0.1, False, 0, "130-175", "115-150"),
    "PLT": (230, 245, 50, -0.3, False, 0, "125-350", "125-350"),
}
TEXT = {
    "U-PRO": [("阴性", "", 0.95), ("+", "A", 0.04), ("++", "A", 0.01)],
    "ECG": [("窦性心律", "", 0.84), ("窦性心动过缓", "A", 0.08), ("ST-T 改变", "A", 0.05), ("房性早搏", "A", 0.03)],
    "US-ABD": [("肝胆胰脾未见明显异常", "", 0.68), ("脂肪肝（轻度）", "A", 0.24), ("胆囊结石", "A", 0.05), ("肝囊肿", "A", 0.03)],
}
UNITS_FALLBACK = {"U-PRO": "", "ECG": "", "US-ABD": ""}
PACKAGE_BY_TIER = {"A": ("luxury", "comprehensive"), "B": ("comprehensive", "standard"), "C": ("standard", "economy")}


def _person_offsets(rng: random.Random) -> dict[str, float]:
    offsets = {code: rng.gauss(0, 0.6) for code in NUMERIC}
    # Metabolic clustering: heavier people run higher pressure, glucose, lipids and uric acid.
    metabolic = rng.gauss(0, 0.5)
    for code in ("BMI", "WAIST", "SBP", "DBP", "GLU", "HBA1C", "TG", "UA", "ALT"):
        offsets[code] += metabolic
    offsets["HDL-C"] -= metabolic * 0.6
    return offsets


def _value(code: str, sex: str, age: int, z: float) -> float:
    male_mean, female_mean, sd, slope, lognormal, decimals, _rm, _rf = NUMERIC[code]
    mean = (male_mean if sex == "male" else female_mean) + slope * max(0, age - 30)
    # For lognormal items sd is the spread on the log scale.
    value = mean * math.exp(sd * z) if lognormal else mean + sd * z
    return round(max(value, 0.1), decimals)


def _flag(value: float, reference: str) -> str:
    low, high = parse_reference_range(reference)
    if high is not None and value > high:
        return "H"
    if low is not None and value < low:
        return "L"
    return ""


def _pick(options: list[tuple[str, str, float]], rng: random.Random) -> tuple[str, str]:
    roll, total = rng.random(), 0.0
    for text, flag, weight in options:
        total += weight
        if roll < total:
            return text, flag
    return options[0][0], options[0][1]


def generate_checkups(
    clients: Iterable[Any],
    rng: random.Random,
    *,
    years: int = 3,
    today: dt.date | None = None,
    acting_user: User | None = None,
    with_followups: bool = True,
) -> list[Checkup]:
    """One checkup a year (up to ``years``) per client, graded by the current rules.

    The latest checkup of each client gets its checkup encounter (so follow-ups are scheduled)
    unless ``with_followups`` is False; older reports are delivered, recent ones may still be due.
    """
    from careloop.workdays.calendar import add_working_days

    today = today or timezone.localdate()
    rules, catalogue = current_rulebook(), item_catalogue()
    packages = {p.code: p for p in CheckupPackage.objects.all()}
    created: list[Checkup] = []
    with transaction.atomic():
        plans = []
        for client in clients:
            offsets = _person_offsets(rng)
            count = rng.randint(1, years)
            last = today - dt.timedelta(days=rng.randint(3, 75))
            for k in range(count):
                day = last - dt.timedelta(days=365 * (count - 1 - k) + rng.randint(-20, 20))
                if day >= today:
                    day = today - dt.timedelta(days=1)
                tier_packages = PACKAGE_BY_TIER.get(client.tier, PACKAGE_BY_TIER["C"])
                package = packages.get(tier_packages[0] if rng.random() < 0.7 else tier_packages[1])
                checkup = Checkup(
                    client=client, exam_no=f"D{client.pk:06d}{day:%y%m%d}", institution="演示体检中心", date=day,
                    package=package, results_at=timezone.make_aware(dt.datetime.combine(day + dt.timedelta(days=2), dt.time(16, 0))),
                )
                plans.append((checkup, client, offsets, k == count - 1))
        Checkup.objects.bulk_create([p[0] for p in plans], batch_size=500)
        items, deliveries = [], []
        for checkup, client, offsets, latest in plans:
            sex, age = client.sex, age_on(client.birth_date, checkup.date)
            drift = (checkup.date.year - today.year) * 0.08  # values creep up over the years
            codes = checkup.package.item_codes if checkup.package else list(NUMERIC)
            findings = []
            for code in codes:
                spec = catalogue.get(code, {"name": code, "unit": UNITS_FALLBACK.get(code, ""), "category": "other"})
                if code in NUMERIC:
                    value = _value(code, sex, age, offsets[code] + drift + rng.gauss(0, 0.45))
                    reference = str(NUMERIC[code][6 if sex == "male" else 7])
                    low, high = parse_reference_range(reference)
                    flag = _flag(value, reference)
                    text = f"{value:g}"
                    grade = rules.grade(code, value, sex=sex, age=age, flag=flag, ref_low=low, ref_high=high)
                else:
                    text, flag = _pick(TEXT[code], rng)
                    value, reference, low, high = None, "", None, None
                    grade = rules.grade(code, None, sex=sex, age=age, flag=flag)
                if grade.severity:
                    findings.append((grade.severity, spec["category"]))
                items.append(ResultItem(
                    checkup=checkup, code=code, name=spec["name"], value_text=text, value_num=value, unit=spec["unit"],
                    reference_range=reference, ref_low=low, ref_high=high, flag=flag, severity=grade.severity,
                    finding=grade.finding, category=spec["category"], further_exam=grade.severity in {"major", "critical"},
                ))
            checkup.health_status = derive_health_status(findings)
            checkup.worst_severity = worst(s for s, _c in findings)
            checkup.abnormal_count = len(findings)
            checkup.needs_further_exam = any(s in {"major", "critical"} for s, _c in findings)
            checkup.conclusions = "；".join(sorted({i.finding for i in items[-len(codes):] if i.finding})) or "本次体检未见明显异常。"
            checkup.recommendations = "建议保持健康生活方式，一年后复查。" if not findings else "请按健康管理师建议复查异常项目，注意饮食和运动。"
            due = add_working_days(checkup.date, 5)
            delivered = not latest or rng.random() < 0.6
            deliveries.append(ReportDelivery(
                checkup=checkup, due_date=due, method=rng.choice(["post", "email", "sms_notice", "electronic"]),
                status="collected" if delivered else "pending",
                delivered_on=min(due, today) if delivered else None,
                tracking_no=f"SF{rng.randint(10**11, 10**12 - 1)}" if delivered else "",
            ))
        ResultItem.objects.bulk_create(items, batch_size=2000)
        for delivery in deliveries:
            if delivery.method != "post":
                delivery.tracking_no = ""
        ReportDelivery.objects.bulk_create(deliveries, batch_size=500)
        Checkup.objects.bulk_update(
            [p[0] for p in plans],
            ["health_status", "worst_severity", "abnormal_count", "needs_further_exam", "conclusions", "recommendations"],
            batch_size=500,
        )
        if with_followups:
            from careloop.followups.services.planning import encounter_create

            for checkup, client, _offsets, latest in plans:
                if latest:
                    delivery = next(d for d in deliveries if d.checkup_id == checkup.pk)
                    encounter = encounter_create(
                        client=client, kind="checkup", date=checkup.date, health_status=checkup.health_status,
                        source=f"checkup:{checkup.exam_no}", acting_user=acting_user, report_delivered_on=delivery.delivered_on,
                    )
                    checkup.encounter_id = encounter.pk
            Checkup.objects.bulk_update([p[0] for p in plans if p[3]], ["encounter_id"], batch_size=500)
        created = [p[0] for p in plans]
    return created
