"""Reads of careloop.followups: the worklist (FU-10), the preparation view (FU-11), rule previews."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from careloop.followups import policy
from careloop.followups.models import OPEN_STATUSES, FollowupRecord, FollowupRule, FollowupTask
from careloop.followups.permissions import led_team_ids, task_scope_q, user_team_ids


@dataclass
class WorklistFilters:
    channel: str = ""
    rule: str = ""  # rule code
    team: int | None = None
    scope: str = "mine"  # mine | team (team: the queues of the teams the user leads or belongs to)
    assignee: int | None = None


def worklist_queryset(user: Any, filters: WorklistFilters | None = None, *, today: date | None = None) -> QuerySet:
    """Open tasks due today or overdue, by priority then the oldest due first."""
    filters = filters or WorklistFilters()
    today = today or timezone.localdate()
    q = task_scope_q(user)
    if q is None:
        return FollowupTask.objects.none()
    qs = FollowupTask.objects.filter(status__in=OPEN_STATUSES, due_date__lte=today)
    if filters.scope == "team":
        teams = set(led_team_ids(user)) | set(user_team_ids(user))
        if filters.team is not None:
            teams &= {filters.team}
        qs = qs.filter(team_id__in=teams)
        if filters.assignee is not None:
            qs = qs.filter(assignee_id=filters.assignee)
    else:
        qs = qs.filter(assignee_id=user.pk)
        if filters.team is not None:
            qs = qs.filter(team_id=filters.team)
    # Both branches above already lie inside task_scope_q (her own tasks, her teams' queues); adding
    # that OR filter again only confuses the planner (SQLite then scans clients).
    if filters.channel:
        qs = qs.filter(channel=filters.channel)
    if filters.rule:
        qs = qs.filter(rule__code=filters.rule)
    return qs.order_by("-priority", "due_date", "id")


RULE_DEFERRED = ("rule__steps", "rule__repeat", "rule__cycle", "rule__kinds", "rule__health_statuses", "rule__tiers")


def worklist_page_queryset(user: Any, filters: WorklistFilters | None = None, *, today: date | None = None) -> QuerySet:
    """The worklist with what one row shows: client name and tier, rule, encounter (for the reason).

    Clients come by a second query for the page's ids rather than a join: joined, PostgreSQL may
    hash-join the whole client table for a 25-row page. Encrypted contact details are never loaded.
    """
    from django.db.models import Prefetch

    from careloop.clients.models import Client

    return (
        worklist_queryset(user, filters, today=today)
        .select_related("rule", "encounter")
        .defer(*RULE_DEFERRED)
        .prefetch_related(Prefetch("client", queryset=Client.objects.only("id", "name", "tier", "is_vip", "status")))
    )


@dataclass
class WorklistCall:
    """One call to one client covering every purpose due within a few days (each keeps its date)."""

    task: FollowupTask
    also: list[FollowupTask] = field(default_factory=list)
    today: date | None = None  # the day the page is for (one clock read per page, not per row)
    channel_label: str = ""  # the task's channel in the reader's language, looked up once per page

    @property
    def client(self) -> Any:
        return self.task.client

    @property
    def days_overdue(self) -> int:
        return max(0, ((self.today or timezone.localdate()) - self.task.due_date).days)


def worklist_calls(tasks: list[FollowupTask], *, today: date | None = None) -> list[WorklistCall]:
    """Group a worklist page by client; add the client's other open tasks due within the next days.

    Two queries at most (the page is already fetched): one for the companion tasks.
    """
    from careloop.clients.models import Channel

    today = today or timezone.localdate()
    channels = {value: str(label) for value, label in Channel.choices}
    calls: dict[int, WorklistCall] = {}
    for task in tasks:
        call = calls.get(task.client_id)
        if call is None:
            calls[task.client_id] = WorklistCall(task, today=today,
                                                 channel_label=channels.get(task.channel, task.channel))
        else:
            call.also.append(task)
    if not calls:
        return []
    horizon = today + timedelta(days=policy.group_call_days())
    seen = {t.pk for t in tasks}
    companions = (
        FollowupTask.objects.filter(
            client_id__in=list(calls), status__in=OPEN_STATUSES, due_date__gt=today, due_date__lte=horizon
        )
        .exclude(pk__in=seen)
        .select_related("rule", "encounter")
        .defer("rule__steps", "rule__repeat", "rule__cycle", "rule__kinds", "rule__health_statuses", "rule__tiers")
        .order_by("due_date", "id")
    )
    for extra in companions:
        calls[extra.client_id].also.append(extra)
    return list(calls.values())


def client_open_tasks(client_id: int) -> QuerySet:
    return FollowupTask.objects.filter(client_id=client_id, status__in=OPEN_STATUSES).order_by("due_date")


def preparation(task: FollowupTask) -> dict[str, Any]:
    """FU-11 on one screen: archive summary, latest checkup's abnormal items, earlier records, plan, script."""
    from careloop.followups.services.records import questionnaire_for

    client = task.client
    records = list(
        FollowupRecord.objects.filter(client_id=client.pk)
        .select_related("performed_by", "task__rule")
        .prefetch_related("addenda")
        .order_by("-performed_at")[:10]
    )
    from careloop.followups import preparation as prep

    return {
        "task": task,
        "client": client,
        "encounters": list(client.encounters.order_by("-date")[:5]),
        "abnormal": prep.latest_abnormal(client),
        "records": records,
        "plan": prep.current_plan(client),
        "questionnaire": questionnaire_for(task),
        "attempts": list(task.attempts.order_by("at")),
        "open_tasks": list(client_open_tasks(client.pk).select_related("rule")[:10]),
    }


def record_answer_rows(record: FollowupRecord | None) -> list[tuple[str, str]]:
    """A signed record's answers as the questions read, with yes/no in words (never a key or True/False)."""
    from django.utils.translation import gettext as _

    if record is None:
        return []
    texts = {q["key"]: q["text"] for q in (record.questionnaire.questions if record.questionnaire else [])}
    rows = []
    for key, value in (record.answers or {}).items():
        if isinstance(value, bool):
            shown = _("Yes") if value else _("No")
        else:
            shown = str(value) if value not in (None, "") else "—"
        rows.append((texts.get(key, _("Answer")), shown))
    return rows


def rules_admin_list() -> QuerySet:
    return FollowupRule.objects.order_by("code")


def timeline_entries(client: Any, user: Any) -> list[Any]:
    """ARC-4: encounters, follow-up records and escalations on the client's timeline (health data)."""
    import datetime as dt

    from django.urls import reverse
    from django.utils.translation import gettext as _

    from careloop.clients.timeline import TimelineEntry
    from careloop.followups.models import Encounter, Escalation
    from careloop.org.permissions import Cap, user_can

    if not user_can(user, Cap.VIEW_RESULTS):
        return []
    kinds = {"checkup": "checkup", "discharge": "visit", "purchase": "archive"}
    entries = []
    zone = timezone.get_current_timezone()
    for encounter in Encounter.objects.filter(client=client).order_by("-date")[:100]:
        at = dt.datetime.combine(encounter.date, dt.time(9), tzinfo=zone)
        detail = _("%(days)s-day prescription") % {"days": encounter.prescription_days} if encounter.prescription_days else ""
        entries.append(TimelineEntry(at, kinds.get(encounter.kind, "visit"), str(encounter.get_kind_display()), detail,
                                     reverse("followups:encounter", args=[encounter.pk])))
    for record in FollowupRecord.objects.filter(client=client).select_related("performed_by").order_by(
            "-performed_at")[:100]:
        entries.append(TimelineEntry(record.performed_at, "followup",
                                     _("Follow-up · %(channel)s") % {"channel": record.get_channel_display()},
                                     f"{record.guidance[:100]} · {record.performed_by}",
                                     reverse("followups:task", args=[record.task_id])))
    for escalation in Escalation.objects.filter(client=client).order_by("-created_at")[:50]:
        entries.append(TimelineEntry(escalation.created_at, "followup",
                                     _("Problem escalated · %(status)s") % {"status": escalation.get_status_display()},
                                     escalation.summary[:120]))
    entries.extend(planned_message_entries(client))
    return entries


def planned_message_entries(client: Any) -> list[Any]:
    """A message rule's occurrences (planned, sent, skipped, cancelled with the reason) beside the follow-ups.

    One query (the rule joined). Each stands at its due date, at the hour messages are asked to go out;
    a handed-over one links nowhere (the message itself is on the timeline under 消息).
    """
    import datetime as dt

    from django.urls import reverse
    from django.utils.translation import gettext as _

    from careloop.clients.models import Channel
    from careloop.clients.timeline import TimelineEntry
    from careloop.followups.labels import timing_text as timing
    from careloop.followups.models import PlannedMessage

    zone = timezone.get_current_timezone()
    hour = dt.time(policy.message_hour())
    entries = []
    rows = PlannedMessage.objects.filter(client=client).select_related("rule").order_by("-due_date", "-id")[:100]
    for row in rows:
        title = _("Rule message · %(purpose)s · %(status)s") % {
            "purpose": row.get_purpose_display(), "status": row.get_status_display()}
        parts = [f"{row.rule.name}（{row.rule.code}）",
                 str(Channel(row.channel).label) if row.channel in Channel.values else row.channel]
        if row.total > 1:
            parts.append(_("occurrence %(n)s of %(total)s") % {"n": row.sequence, "total": row.total})
        if row.labels:
            parts.append(timing(row.labels))
        if row.note:
            parts.append(_("reason: %(reason)s") % {"reason": row.note})
        url = reverse("followups:encounter", args=[row.encounter_id]) if row.encounter_id else ""
        entries.append(TimelineEntry(dt.datetime.combine(row.due_date, hour, tzinfo=zone), "followup", title,
                                     " · ".join(parts), url))
    return entries


def followups_health(*, today: date) -> dict[str, Any]:
    """Issue 9's measures: orphans, overlapping series, today's worklist per person against capacity."""
    from django.db.models import Count, Q

    from careloop.org.models import User

    open_tasks = FollowupTask.objects.filter(status__in=OPEN_STATUSES)
    orphans = open_tasks.filter(assignee__isnull=True, team__isnull=True).count()
    # the same per-client series from two encounters, or the same rule from two encounters of one client
    by_series = (open_tasks.filter(rule__client_series__gt="").values("client_id", "rule__client_series")
                 .annotate(n=Count("encounter_id", distinct=True)).filter(n__gt=1).values_list("client_id", flat=True))
    by_rule = (open_tasks.filter(rule__isnull=False, rule__client_series="").values("client_id", "rule_id")
               .annotate(n=Count("encounter_id", distinct=True)).filter(n__gt=1).values_list("client_id", flat=True))
    task_clients = set(by_series) | set(by_rule)
    message_clients = _overlapping_message_clients()
    due = open_tasks.filter(due_date__lte=today)
    counts: dict[int, dict[str, int]] = {
        row["assignee_id"]: {"today": row["today"], "overdue": row["overdue"]}
        for row in due.filter(assignee__isnull=False).values("assignee_id").annotate(
            today=Count("id"), overdue=Count("id", filter=Q(due_date__lt=today)))}
    people = User.objects.filter(Q(pk__in=list(counts)) | Q(role_grants__role="followup")).distinct().order_by("username")
    worklists = [{"username": u.username, "today": counts.get(u.pk, {}).get("today", 0),
                  "overdue": counts.get(u.pk, {}).get("overdue", 0), "capacity": u.daily_capacity} for u in people]
    return {"orphans": orphans, "overlapping_clients": len(task_clients | message_clients),
            "overlapping_task_clients": len(task_clients), "overlapping_message_clients": len(message_clients),
            "worklists": worklists, "queued": due.filter(assignee__isnull=True).count()}


def _overlapping_message_clients() -> set[int]:
    """Clients with planned (not yet sent) messages of the same series from two sources.

    A message series comes from one encounter, or from the client's status (no encounter): two sources
    of one per-client series (``rule.client_series``), or of one per-encounter rule, overlap. Planned
    messages have no owner to check: they go to the client through the outbox, not to a worklist.
    """
    from django.db.models import Count, Q

    from careloop.followups.models import PlannedMessage

    planned = PlannedMessage.objects.filter(status=PlannedMessage.Status.PLANNED)
    two_sources = Q(n__gt=1) | Q(n=1, loose__gt=0)
    counted = {"n": Count("encounter_id", distinct=True), "loose": Count("id", filter=Q(encounter__isnull=True))}
    by_series = (planned.filter(rule__client_series__gt="").values("client_id", "rule__client_series")
                 .annotate(**counted).filter(two_sources).values_list("client_id", flat=True))
    by_rule = (planned.filter(rule__client_series="").values("client_id", "rule_id")
               .annotate(**counted).filter(two_sources).values_list("client_id", flat=True))
    return set(by_series) | set(by_rule)


def rule_sample(data: dict[str, Any], *, today: date) -> Any:
    """A sample encounter that the rule matches: its first kind, status and tier, a prescription inside its range."""
    from careloop.followups.models import TCM_KINDS
    from careloop.followups.schedule import EncounterFacts

    kinds = list(data.get("kinds") or []) or ["tcm_first_visit"]
    low, high = data.get("min_days"), data.get("max_days")
    days: int | None
    if low is not None or high is not None:
        days = (int(low or 1) + int(high)) // 2 if high is not None else int(low or 1) + 15
    else:
        days = 30 if kinds[0] in TCM_KINDS else None
    return EncounterFacts(
        kind=kinds[0], date=today, prescription_days=days,
        health_status=(list(data.get("health_statuses") or []) or [""])[0],
        tier=(list(data.get("tiers") or []) or [""])[0],
        report_delivered_on=today + timedelta(days=5), is_first=True,
    )
