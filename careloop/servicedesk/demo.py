"""`careloop demo`: a few hundred desk tickets over the last 90 days and survey answers whose NPS is known.

The survey answers of each branch come in blocks of 20 recommend scores with 13 promoters, 4 passives and
3 detractors, so the NPS of every branch and of the whole demo is exactly 50.0 (DEMO_NPS)."""

from __future__ import annotations

import datetime as dt
import hashlib
import random
from typing import Any

from django.db import transaction
from django.utils import timezone

from careloop.org.models import User

from .models import Survey, SurveyAbout, Ticket, TicketEvent, TicketKind, TicketStatus

DEMO_NPS = 50.0
BLOCK = [10, 10, 10, 10, 10, 9, 9, 9, 9, 9, 9, 9, 10, 8, 8, 7, 7, 6, 5, 3]  # 13 promoters, 4 passives, 3 detractors

TEXTS = {
    TicketKind.CONSULTATION: [
        ("体检报告什么时候能出", "客户来电询问上周体检报告的出具时间和领取方式。"),
        ("复查需要空腹吗", "客户咨询血脂复查是否需要空腹，前一天饮食有何注意。"),
        ("会员卡权益咨询", "客户咨询金卡会员包含哪些增值服务，能否转给家人使用。"),
        ("预约中医体质辨识", "客户希望预约中医体质辨识，询问可预约的时间段。"),
        ("降压药服用时间", "客户咨询降压药早上还是晚上服用更好，家庭医生建议是否需要调整。"),
    ],
    TicketKind.COMPLAINT: [
        ("体检排队等候时间太长", "客户反映上午体检排队等候超过一个小时，现场没有人解释原因。"),
        ("前台态度冷淡", "客户反映前台接待态度冷淡，询问问题时不耐烦。"),
        ("报告解读不够详细", "客户认为报告解读时医生讲解太快，不够详细，没听明白。"),
        ("回访电话太频繁", "客户反映一周内接到三次回访电话，影响工作。"),
        ("停车位不足", "客户反映中心门口停车位太少，找车位用了二十分钟。"),
    ],
    TicketKind.SUGGESTION: [
        ("建议增加周末体检时段", "客户建议周六下午也开放体检，方便上班族。"),
        ("建议报告提供电子版", "客户建议体检报告同时提供电子版，方便保存和给医生看。"),
        ("建议候诊区增加座椅", "客户建议候诊区增加座椅，老人站着等候比较辛苦。"),
    ],
    TicketKind.COMMENDATION: [
        ("表扬信：随访护士耐心细致", "客户来信表扬随访护士每次电话都很耐心，提醒复查很及时。"),
        ("锦旗：感谢及时发现病情", "客户送来锦旗，感谢随访中及时发现血压异常并安排专家会诊。"),
        ("表扬信：服务热情周到", "客户来信表扬工作人员服务热情，全程陪同检查。"),
    ],
}
ANSWERS = {
    TicketKind.CONSULTATION: "已电话答复客户，并告知相关注意事项。",
    TicketKind.COMPLAINT: "已向客户致歉，说明原因及整改措施，客户表示理解。",
    TicketKind.SUGGESTION: "已感谢客户建议，转相关部门评估，并告知客户处理进展。",
    TicketKind.COMMENDATION: "已向客户致谢，并转达给被表扬的同事。",
}
COMMENTS = [
    "护士很耐心，讲解很详细", "排队等候时间太长了", "环境干净整洁，服务热情", "报告解读很专业",
    "预约流程有点繁琐", "回访电话很关心，提醒及时", "停车太难，车位不够", "收费有点贵",
    "医生态度很好，非常耐心", "等待时间长，希望改进", "整体满意，流程方便", "前台态度冷淡",
    "", "", "", "",
]
KINDS = [TicketKind.CONSULTATION] * 8 + [TicketKind.COMPLAINT] * 4 + [TicketKind.SUGGESTION] * 3 + \
        [TicketKind.COMMENDATION] * 5
CHANNELS = ["phone", "phone", "phone", "letter", "web", "walk_in", "followup"]


def _hash(rng: random.Random) -> str:
    return hashlib.sha256(rng.randbytes(24)).hexdigest()


@transaction.atomic
def generate_desk(clients: list[Any], rng: random.Random, *, n_tickets: int = 300) -> str:
    """Tickets (open ones among them, urgent and overdue included) and survey answers; returns a summary."""
    staff = {u.username: u for u in User.objects.filter(
        username__in=["service", "manager", "nurse", "nurse3", "nurse4", "nurse5", "lead", "lead2", "nurse2",
                      "nurse6", "doctor"])}
    service = staff.get("service")
    if service is None or service.org_unit is None or not clients:
        return "servicedesk: no demo staff or clients, nothing added"
    named = [staff[n] for n in ("nurse", "nurse3", "nurse4", "nurse5", "doctor") if n in staff]
    home = service.org_unit.path
    bj_clients = [c for c in clients if c.branch.path.startswith(home)] or clients
    now = timezone.now()
    tickets: list[Ticket] = []
    for i in range(n_tickets):
        kind = rng.choice(KINDS)
        subject, body = rng.choice(TEXTS[kind])
        created = now - dt.timedelta(days=rng.uniform(0, 88), minutes=rng.randint(0, 600))
        # most complaints come in anonymously by phone or letter; the few tied to a client set the rate
        client = rng.choice(bj_clients) if rng.random() < (0.12 if kind == TicketKind.COMPLAINT else 0.9) else None
        urgent = kind == TicketKind.COMPLAINT and rng.random() < 0.3
        t = Ticket(kind=kind, channel=rng.choice(CHANNELS), subject=subject, body=body, client=client,
                   staff=rng.choice(named) if kind == TicketKind.COMMENDATION or
                   (kind == TicketKind.COMPLAINT and rng.random() < 0.5) else None,
                   branch=client.branch if client else service.org_unit, urgent=urgent,
                   due_at=created + dt.timedelta(minutes=30) if urgent else None,
                   followup_requested=kind == TicketKind.CONSULTATION and rng.random() < 0.3,
                   created_by=service, created_at=created, assignee=service)
        if i >= 20:  # the 20 newest stay open; the rest were answered, most closed
            minutes = rng.randint(8, 28) if urgent else rng.randint(30, 60 * 48)
            t.answer, t.answered_by = ANSWERS[kind], service
            t.answered_at = created + dt.timedelta(minutes=minutes)
            t.response_minutes = minutes
            t.status = TicketStatus.CLOSED if rng.random() < 0.85 else TicketStatus.ANSWERED
            t.closed_at = t.answered_at + dt.timedelta(hours=2) if t.status == TicketStatus.CLOSED else None
            if kind in (TicketKind.COMPLAINT, TicketKind.SUGGESTION):
                t.investigation = "已调取当日记录并与相关人员核实。"
                t.resolution = "已与相关科室沟通整改。"
                t.satisfaction = rng.choice([3, 4, 4, 5, 5])
                t.satisfaction_at = t.answered_at + dt.timedelta(hours=1)
            if kind == TicketKind.COMMENDATION and rng.random() < 0.7:
                t.approved_at, t.approved_by = t.answered_at + dt.timedelta(days=1), staff.get("manager")
        else:
            t.created_at = now - dt.timedelta(minutes=rng.randint(5, 600))
            if urgent:
                t.due_at = t.created_at + dt.timedelta(minutes=30)
        tickets.append(t)
    # One urgent complaint just in and one overdue, so that the desk shows both.
    for offset, subject in ((10, "客户候诊时晕倒，家属情绪激动"), (45, "检查结果被他人领取")):
        tickets.append(Ticket(kind=TicketKind.COMPLAINT, channel="phone", subject=subject, body=subject + "，要求立即答复。",
                              client=bj_clients[offset % len(bj_clients)], branch=bj_clients[offset % len(bj_clients)].branch,
                              urgent=True, created_at=now - dt.timedelta(minutes=offset),
                              due_at=now - dt.timedelta(minutes=offset - 30), created_by=service))
    Ticket.objects.bulk_create(tickets)
    events = []
    for t in tickets:
        events.append(TicketEvent(ticket=t, at=t.created_at, actor=service, action="created"))
        if t.answered_at:
            events.append(TicketEvent(ticket=t, at=t.answered_at, actor=service, action="answered", note=t.answer))
        if t.closed_at:
            events.append(TicketEvent(ticket=t, at=t.closed_at, actor=service, action="closed"))
    TicketEvent.objects.bulk_create(events)
    n_answers = _demo_surveys(clients, tickets, rng, now)
    return (f"servicedesk: {len(tickets)} tickets ({sum(1 for t in tickets if t.status in ('open', 'investigating'))} open), "
            f"{n_answers} survey answers, NPS {DEMO_NPS}")


def _demo_surveys(clients: list[Any], tickets: list[Ticket], rng: random.Random, now: dt.datetime) -> int:
    from careloop.followups.models import Encounter

    targets: list[tuple[Any, str, int, int | None]] = [
        (t.client, SurveyAbout.TICKET, t.pk, t.answered_by_id) for t in tickets
        if t.client is not None and t.answered_at is not None and t.kind != TicketKind.COMMENDATION]
    by_pk = {c.pk: c for c in clients}
    for enc in Encounter.objects.filter(client_id__in=list(by_pk)).only("pk", "client_id").order_by("pk")[:400]:
        client = by_pk[enc.client_id]
        targets.append((client, SurveyAbout.VISIT, enc.pk, client.health_manager_id))
    by_branch: dict[int, list[tuple[Any, str, int, int | None]]] = {}
    for target in targets:  # a site counts with its branch
        by_branch.setdefault(target[0].branch.branch().pk, []).append(target)
    surveys = []
    for group in by_branch.values():
        rng.shuffle(group)
        group = group[: len(group) - len(group) % len(BLOCK)]
        for i, (client, about, object_id, staff_id) in enumerate(group):
            answered = now - dt.timedelta(days=rng.uniform(0.1, 80))
            surveys.append(Survey(
                token_hash=_hash(rng), client=client, branch=client.branch, about=about, object_id=object_id,
                staff_id=staff_id, created_at=answered - dt.timedelta(hours=rng.randint(1, 48)),
                expires_at=answered + dt.timedelta(days=14), answered_at=answered,
                recommend=BLOCK[i % len(BLOCK)], satisfaction=min(5, max(1, BLOCK[i % len(BLOCK)] // 2)),
                comment=rng.choice(COMMENTS)))
    Survey.objects.bulk_create(surveys)
    return len(surveys)
