"""Demo data of careloop.crm (`careloop demo`): a skewed ledger, the first tier recompute, a week of appointments.

Ledger rows are written in bulk (demo arrangement, like the other apps' bulk demo paths); tiers move
through ``tiers_recompute`` and appointments through the booking services, so history, audit rows,
messages and no-show follow-ups are the real ones.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import F
from django.utils import timezone

from careloop.clients.models import Client, ClientStatus
from careloop.crm.engagement import (
    event_invite,
    event_register,
    event_save,
    offer_send,
    offers_fitting,
    offers_send_due,
)
from careloop.crm.models import (
    Appointment,
    AppointmentService,
    AppointmentStatus,
    CommunityEvent,
    EventKind,
    EventRegistration,
    LedgerEntry,
    LedgerKind,
    Offer,
    RegistrationStatus,
    Slot,
    SlotTemplate,
)
from careloop.crm.services import appointment_book, appointment_no_show, slots_publish, tiers_recompute
from careloop.org.models import OrgUnit, UnitKind, User

# Typical yearly spending per tier in yuan (the median; each client varies around it). With the demo's
# 20/30/50 split this gives the top fifth of clients about 60% of the revenue (seed 002).
MEDIAN_VALUE = {"A": 8000, "B": 2500, "C": 350}
VISITS = {"A": (4, 14), "B": (3, 6), "C": (0, 2)}
PURCHASES = {
    "A": ["全程健康管理计划", "高端体检套餐", "慢病管理年卡", "家庭医生服务"],
    "B": ["年度体检套餐", "健康维护计划", "中医调理疗程"],
    "C": ["单次挂号诊疗", "基础体检", "义诊后复查"],
}
TEMPLATES = [  # service, weekdays, from, until, capacity
    ("checkup", range(0, 6), dt.time(8, 0), dt.time(11, 30), 6),
    ("interpretation", range(0, 5), dt.time(14, 0), dt.time(16, 0), 2),
    ("consultation", range(0, 5), dt.time(9, 0), dt.time(11, 0), 3),
    ("tcm", (1, 3, 5), dt.time(14, 0), dt.time(17, 0), 2),
]


def _ledger(clients: list[Client], rng: random.Random, today: dt.date) -> list[LedgerEntry]:
    rows: list[LedgerEntry] = []
    for client in clients:
        tier = client.tier or "C"
        value = Decimal(MEDIAN_VALUE[tier] * rng.lognormvariate(0, 0.45)).quantize(Decimal("1"))
        purchases = rng.randint(1, 3)
        for _p in range(purchases):
            part = (value / purchases).quantize(Decimal("0.01"))
            rows.append(LedgerEntry(client=client, date=today - dt.timedelta(days=rng.randint(1, 330)),
                                    kind=LedgerKind.PURCHASE, amount=part, note=rng.choice(PURCHASES[tier]),
                                    source="demo"))
        low, high = VISITS[tier]
        recent = tier == "A" and rng.random() < 0.4  # some tier-A clients come twice a month or more
        for _i in range(rng.randint(low, high)):
            days = rng.randint(1, 85) if recent else rng.randint(1, 360)
            kind = LedgerKind.CHECKUP if rng.random() < 0.25 else LedgerKind.VISIT
            fee = Decimal(rng.choice([0, 50, 120, 300]) if kind == LedgerKind.VISIT else rng.choice([380, 680]))
            rows.append(LedgerEntry(client=client, date=today - dt.timedelta(days=days), kind=kind, amount=fee,
                                    source="demo"))
        if rng.random() < 0.04:
            rows.append(LedgerEntry(client=client, date=today - dt.timedelta(days=rng.randint(1, 200)),
                                    kind=LedgerKind.REFUND, amount=-Decimal(rng.choice([100, 200, 380])),
                                    note="项目未做退费", source="demo"))
    LedgerEntry.objects.bulk_create(rows, batch_size=1000)
    return rows


def _templates(sites: list[OrgUnit]) -> None:
    services = {s.code: s for s in AppointmentService.objects.all()}
    rows = [SlotTemplate(site=site, service=services[code], weekday=day, start=start, end=end, capacity=capacity)
            for site in sites for code, days, start, end, capacity in TEMPLATES if code in services for day in days]
    SlotTemplate.objects.bulk_create(rows)


def _past_appointment(client: Client, slot: Slot, status: str, desk: User) -> Appointment:
    """An appointment of the last few days (booking in the past is not possible through the service)."""
    Slot.objects.filter(pk=slot.pk).update(booked=F("booked") + 1)
    at = slot.start - dt.timedelta(days=2)
    appointment = Appointment.objects.create(client=client, slot=slot, booked_by=desk, status=AppointmentStatus.BOOKED)
    Appointment.objects.filter(pk=appointment.pk).update(booked_at=at)
    if status == AppointmentStatus.CHECKED_IN:
        Appointment.objects.filter(pk=appointment.pk).update(status=status, status_at=slot.start)
        LedgerEntry.objects.create(client=client, date=timezone.localtime(slot.start).date(), kind=LedgerKind.VISIT,
                                   amount=Decimal("0.00"), note=slot.service.name, source=f"appointment:{appointment.pk}",
                                   created_by=desk)
    elif status == AppointmentStatus.NO_SHOW:
        appointment_no_show(appointment=appointment, acting_user=desk)
    return appointment


def _appointments(clients: list[Client], rng: random.Random, today: dt.date) -> dict[str, int]:
    counts = {"booked": 0, "checked_in": 0, "no_show": 0}
    desks = {"bj": User.objects.filter(username="service").first(), "sh": User.objects.filter(username="lead_sh").first()}
    now = timezone.now()
    for code, desk in desks.items():
        if desk is None:
            continue
        site = OrgUnit.objects.filter(kind=UnitKind.SITE, path__startswith=OrgUnit.objects.get(code=code).path).first()
        if site is None:
            continue
        local = [c for c in clients if c.status == ClientStatus.ACTIVE and c.branch.path.startswith(
            OrgUnit.objects.get(code=code).path)]
        rng.shuffle(local)
        pool = iter(local)
        for slot in Slot.objects.filter(site=site, start__gte=now - dt.timedelta(days=4)).select_related("service"):
            wanted = rng.randint(0, max(slot.capacity - 1, 1)) if rng.random() < 0.6 else 0
            for _i in range(wanted):
                client = next(pool, None)
                if client is None:
                    break
                if slot.start < now:
                    status = AppointmentStatus.NO_SHOW if rng.random() < 0.12 else AppointmentStatus.CHECKED_IN
                    _past_appointment(client, slot, status, desk)
                    counts[str(status)] += 1
                    continue
                days_ahead = (timezone.localtime(slot.start).date() - today).days
                if days_ahead > (7 if client.tier == "A" else 3):
                    continue
                try:
                    appointment_book(client=client, slot=slot, acting_user=desk)
                    counts["booked"] += 1
                except ValidationError:  # a full slot or a place held for tier A: the demo moves on
                    pass
    return counts


def _engagement(clients: list[Client], rng: random.Random, today: dt.date) -> dict[str, int]:
    """Offers and salons (seed 002): a branch offer, last month's salon with attendance, next month's salon and a
    community event with invitations and registrations (through the services), the due tier C offers sent."""
    counts = {"attended": 0, "invited": 0, "registered": 0, "offers": 0}
    lead = User.objects.filter(username="lead").first()
    desk = User.objects.filter(username="service").first()
    bj = OrgUnit.objects.filter(code="bj").first()
    if lead is None or desk is None or bj is None:
        return counts
    Offer.objects.get_or_create(name="体检套餐满额赠送", branch=bj, defaults={
        "description": "年度消费满3000元，赠送基础检查一项（血常规或心电图）。", "tiers": "B",
        "valid_from": today.replace(day=1), "valid_until": today + dt.timedelta(days=60), "created_by": lead})
    at = dt.time(14, 30)
    last = CommunityEvent.objects.create(  # in the past: written directly, as a record of what happened
        kind=EventKind.SALON, title="慢病管理健康沙龙（高血压专题）", place="北京分公司三楼报告厅",
        starts_at=timezone.make_aware(dt.datetime.combine(today - dt.timedelta(days=30), at)), capacity=20,
        tiers="A", branch=bj, created_by=lead)
    tier_a = [c for c in clients if c.tier == "A" and c.status == ClientStatus.ACTIVE and c.branch.path.startswith(bj.path)]
    came = tier_a[:12]
    for i, client in enumerate(came):
        status = RegistrationStatus.NO_SHOW if i % 5 == 4 else RegistrationStatus.ATTENDED
        EventRegistration.objects.create(event=last, client=client, status=status, status_at=last.starts_at,
                                         invited_at=last.starts_at - dt.timedelta(days=14), changed_by=desk)
        counts["attended"] += status == RegistrationStatus.ATTENDED
    CommunityEvent.objects.filter(pk=last.pk).update(registered=len(came))
    salon = event_save(data={"kind": EventKind.SALON, "title": "冬季养生健康沙龙", "place": "北京分公司三楼报告厅",
                             "starts_at": timezone.make_aware(dt.datetime.combine(today + dt.timedelta(days=24), at)),
                             "capacity": 25, "tiers": "A", "branch": bj.pk}, acting_user=lead)
    community = event_save(data={"kind": EventKind.COMMUNITY, "title": "社区义诊（血压血糖免费检测）",
                                 "place": "朝阳区和平社区服务中心", "capacity": 60, "tiers": "C", "branch": bj.pk,
                                 "starts_at": timezone.make_aware(dt.datetime.combine(today + dt.timedelta(days=12),
                                                                                      dt.time(9, 0)))},
                           acting_user=lead)
    for event in (salon, community):
        counts["invited"] += event_invite(event=event, acting_user=desk).invited
        invited = list(EventRegistration.objects.filter(event=event).select_related("client").order_by("id"))
        for row in invited[: max(len(invited) // 3, 1)]:
            event_register(event=event, client=row.client, acting_user=desk)
            counts["registered"] += 1
    counts["offers"] = offers_send_due(today=today).sent
    # The desk sends fitting offers by hand (tier B "offers that fit"; tier C clients past the automatic window).
    local = [c for c in clients if c.status == ClientStatus.ACTIVE and c.tier in "BC" and c.branch.path.startswith(bj.path)
             and c.consents.filter(purpose="marketing", granted=True).exists()]
    for client in [c for c in local if c.tier == "C"] + [c for c in local if c.tier == "B"][:5]:
        fitting = offers_fitting(client, today=today)
        if fitting:
            sent = offer_send(offer=fitting[0], client=client, acting_user=desk)
            counts["offers"] += sent.status == "sent"
    return counts


def generate(clients: list[Any], rng: random.Random) -> str:
    today = timezone.localdate()
    rows = _ledger(clients, rng, today)
    result = tiers_recompute()
    sites = list(OrgUnit.objects.filter(kind=UnitKind.SITE))
    _templates(sites)
    for site in sites:
        slots_publish(site=site, start_date=today - dt.timedelta(days=3), end_date=today + dt.timedelta(days=7),
                      acting_user=None, automatic=True)
    counts = _appointments(clients, rng, today)
    upkeep = _engagement([c for c in Client.objects.filter(pk__in=[c.pk for c in clients]).select_related("branch")
                          .order_by("id")], rng, today)
    return (f"{len(rows)} ledger rows for {len(clients)} clients; first recompute moved {len(result.moves)}; "
            f"appointments booked {counts['booked']}, checked in {counts['checked_in']}, no-shows {counts['no_show']}; "
            f"salon attended {upkeep['attended']}, invited {upkeep['invited']}, registered {upkeep['registered']}, "
            f"tier C offers sent {upkeep['offers']}")
