"""Writes of careloop.chronic: monitoring plans, logs with their readings, reminders (SPEC PLN-3).

A reading past its alarm threshold opens an urgent follow-up task for the client's team in the same
transaction (``followup_task_create``); past the critical threshold the task goes to the lead at the
top of the worklist, as for a critical checkup value. Messages are outbox rows.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, Max
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from careloop.audit.services import audit_record
from careloop.chronic.models import (
    FREQUENCY_DAYS,
    Condition,
    ConditionTemplate,
    Frequency,
    IndicatorDefault,
    LogSource,
    MonitoringLog,
    MonitoringPlan,
    PlanIndicator,
    Reading,
)
from careloop.chronic.permissions import can_write
from careloop.chronic.rules import judge
from careloop.clients.models import Client
from careloop.followups.owners import OwnerChain
from careloop.followups.services.tasks import followup_task_create
from careloop.org.models import Role, Team, User

ALARM_TASK_PRIORITY = 5_000  # urgent: above routine follow-ups
CRITICAL_TASK_PRIORITY = 10_000  # as a critical checkup value
BOUND_FIELDS = ("target_low", "target_high", "alarm_low", "alarm_high", "critical_low", "critical_high")
MAX_VALUE = 100_000.0


def _require_writer(user: Any) -> None:
    if not can_write(user):
        raise PermissionDenied(_("Your role does not allow recording monitoring."))


def _number(value: Any, field_name: str) -> float | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ValidationError({field_name: _("Give a number.")})
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValidationError({field_name: _("Give a number.")}) from None
    if number != number or abs(number) > MAX_VALUE:
        raise ValidationError({field_name: _("Give a number between -100000 and 100000.")})
    return number


@transaction.atomic
def monitoring_plan_create(
    *, client: Client, condition: str, acting_user: User, indicators: list[dict[str, Any]] | None = None,
) -> MonitoringPlan:
    """A client's monitoring plan for one condition; indicators omitted, or their targets omitted, take the
    condition's guideline defaults. Replaces the client's active plan for the same condition."""
    _require_writer(acting_user)
    if condition not in Condition.values:
        raise ValidationError({"condition": _("Choose one of: %(c)s.") % {"c": ", ".join(Condition.values)}})
    # Seed 004: a VIP client's chronic care belongs to the family-doctor service, not to this plan.
    if getattr(client, "is_vip", False) and getattr(acting_user, "pk", None) != client.family_doctor_id:
        raise ValidationError({"client": _("A VIP client's chronic care is managed by the family doctor (%(doctor)s).")
                               % {"doctor": client.family_doctor or _("not assigned yet")}})
    template = ConditionTemplate.objects.filter(condition=condition).first()
    defaults = {d.code: d for d in IndicatorDefault.objects.filter(template=template)} if template else {}
    if indicators is None or len(indicators) == 0:
        indicators = [{"code": code} for code in defaults]
    if not indicators:
        raise ValidationError({"indicators": _("Name at least one indicator.")})
    rows: list[PlanIndicator] = []
    seen: set[str] = set()
    for i, spec in enumerate(indicators):
        code = str(spec.get("code") or "").strip()
        where = f"indicators[{i}]"
        if not code:
            raise ValidationError({f"{where}.code": _("Name the indicator.")})
        if code in seen:
            raise ValidationError({f"{where}.code": _("%(code)s is listed twice.") % {"code": code}})
        seen.add(code)
        base = defaults.get(code) or IndicatorDefault.objects.filter(code=code).order_by("template_id").first()
        if base is None and not spec.get("name"):
            raise ValidationError({f"{where}.code": _("Unknown indicator %(code)s: give its name and targets.") % {
                "code": code}})
        frequency = spec.get("frequency") or (base.frequency if base else Frequency.WEEKLY)
        if frequency not in Frequency.values:
            raise ValidationError({f"{where}.frequency": _("Choose one of: %(c)s.") % {"c": ", ".join(Frequency.values)}})
        row = PlanIndicator(
            code=code[:40], name=str(spec.get("name") or (base.name if base else code))[:60],
            unit=str(spec.get("unit") or (base.unit if base else ""))[:20],
            method=str(spec.get("method") or (base.method if base else ""))[:200],
            frequency=frequency, order=i,
        )
        for name in BOUND_FIELDS:
            given = _number(spec.get(name), f"{where}.{name}") if name in spec else None
            setattr(row, name, given if name in spec and given is not None else getattr(base, name, None))
        if row.target_low is not None and row.target_high is not None and row.target_low > row.target_high:
            raise ValidationError({f"{where}.target_low": _("The target's low end is above its high end.")})
        rows.append(row)
    replaced = list(MonitoringPlan.objects.select_for_update().filter(client=client, condition=condition, active=True))
    if replaced:
        MonitoringPlan.objects.filter(pk__in=[p.pk for p in replaced]).update(active=False)
    plan = MonitoringPlan.objects.create(client=client, condition=condition, created_by=acting_user)
    for row in rows:
        row.plan = plan
    PlanIndicator.objects.bulk_create(rows)
    audit_record(actor=acting_user, action="chronic.plan_create", obj=plan, client=client,
                 detail={"condition": condition, "indicators": [r.code for r in rows],
                         "replaced": [p.pk for p in replaced]})
    return plan


def bounds_for(client_id: int, codes: set[str]) -> dict[str, Any]:
    """Each indicator's bounds: the client's active plans first, else the guideline default."""
    found: dict[str, Any] = {}
    for ind in PlanIndicator.objects.filter(plan__client_id=client_id, plan__active=True, code__in=codes).order_by(
            "plan_id", "order"):
        found.setdefault(ind.code, ind)
    missing = codes - found.keys()
    if missing:
        for default in IndicatorDefault.objects.filter(code__in=missing).select_related("template").order_by(
                "template__condition", "order"):
            found.setdefault(default.code, default)
    return found


def lead_of(client: Client) -> User | None:
    """The lead of the health manager's team, else a lead of the client's branch or its parents."""
    if client.health_manager_id:
        team = Team.objects.filter(memberships__user_id=client.health_manager_id, lead__isnull=False).select_related(
            "lead").first()
        if team is not None:
            return team.lead
    branch = client.branch
    units = [branch.pk, *[int(p) for p in str(branch.path or "").strip("/").split("/") if p.isdigit()]]
    team = Team.objects.filter(org_unit_id__in=units, lead__isnull=False).select_related("lead").order_by(
        "-org_unit__path").first()
    if team is not None:
        return team.lead
    return User.objects.filter(role_grants__role=Role.LEAD, org_unit_id__in=units, is_active=True).order_by("pk").first()


@dataclass
class LogResult:
    log: MonitoringLog
    readings: list[Reading] = field(default_factory=list)
    flags: list[dict[str, Any]] = field(default_factory=list)
    tasks: list[int] = field(default_factory=list)


def _parse_readings(readings: Any) -> dict[str, float]:
    if readings is None:
        return {}
    if not isinstance(readings, dict):
        raise ValidationError({"readings": _("Give the readings as indicator: value pairs.")})
    parsed: dict[str, float] = {}
    for code, raw in readings.items():
        key = str(code).strip()
        if not key or len(key) > 40:
            raise ValidationError({"readings": _("An indicator code is empty or too long.")})
        value = _number(raw, f"readings.{key}")
        if value is None:
            raise ValidationError({f"readings.{key}": _("Give a number.")})
        parsed[key] = value
    return parsed


@dataclass
class LogInput:
    """One log to write (already parsed by the caller's serializer or reader)."""

    client: Client
    at: dt.datetime
    readings: dict[str, Any] | None = None
    diet: str = ""
    exercise: str = ""
    medication: str = ""


def _validated(item: LogInput, now: dt.datetime) -> tuple[dict[str, float], str, str, str]:
    if item.at is None or timezone.is_naive(item.at):
        raise ValidationError({"at": _("Give a time with its UTC offset.")})
    if item.at > now + dt.timedelta(minutes=10):
        raise ValidationError({"at": _("The measurement time is in the future.")})
    values = _parse_readings(item.readings)
    texts = tuple(str(t or "").strip() for t in (item.diet, item.exercise, item.medication))
    if not values and not any(texts):
        raise ValidationError({"readings": _("Record at least one reading, or the diet, exercise or medication.")})
    for name, text in zip(("diet", "exercise", "medication"), texts, strict=True):
        if len(text) > 2000:
            raise ValidationError({name: _("Keep it under 2000 characters.")})
    return values, texts[0], texts[1], texts[2]


def _bounds_for_clients(client_ids: set[int], codes: set[str]) -> tuple[dict[tuple[int, str], Any], dict[str, Any]]:
    """Bounds per (client, code) from the active plans, and the guideline default per code (two queries)."""
    planned: dict[tuple[int, str], Any] = {}
    for ind in PlanIndicator.objects.filter(plan__client_id__in=client_ids, plan__active=True, code__in=codes).annotate(
            client_id=F("plan__client_id")).order_by("plan_id", "order"):
        planned.setdefault((ind.client_id, ind.code), ind)  # type: ignore[attr-defined]
    defaults: dict[str, Any] = {}
    for default in IndicatorDefault.objects.filter(code__in=codes).order_by("template__condition", "order"):
        defaults.setdefault(default.code, default)
    return planned, defaults


@transaction.atomic
def monitoring_logs_ingest(*, items: list[LogInput], acting_user: User | None, source: str = LogSource.STAFF) -> list[LogResult]:
    """Write many logs at once (one transaction, all or nothing): judge each reading against the client's plan
    (else the guideline), open one urgent task per alarming log (the lead's for a critical one), and write one
    audit row per client. Errors name the item: ``ValidationError`` with keys ``[index].field`` for batches.

    ``acting_user`` is None only for the client's own entry through a personal link (checked by the caller).
    """
    if source != LogSource.CLIENT:
        _require_writer(acting_user)
    now = timezone.now()
    parsed = []
    for i, item in enumerate(items):
        try:
            parsed.append(_validated(item, now))
        except ValidationError as exc:
            if len(items) == 1:
                raise
            raise ValidationError({f"[{i}].{k}": v for k, v in exc.message_dict.items()}) from exc
    logs = [MonitoringLog(client=item.client, at=item.at, diet=diet, exercise=exercise, medication=medication,
                          source=source, entered_by=acting_user)
            for item, (_values, diet, exercise, medication) in zip(items, parsed, strict=True)]
    MonitoringLog.objects.bulk_create(logs)
    planned, defaults = _bounds_for_clients({item.client.pk for item in items},
                                            {code for values, *_rest in parsed for code in values})
    results: list[LogResult] = []
    alarming_logs: list[tuple[LogResult, list[tuple[Reading, Any, bool]]]] = []
    for item, log, (values, *_rest) in zip(items, logs, parsed, strict=True):
        result = LogResult(log=log)
        alarming: list[tuple[Reading, Any, bool]] = []
        for code, value in values.items():
            bounds = planned.get((item.client.pk, code)) or defaults.get(code)
            verdict = judge(value, bounds)
            reading = Reading(log=log, client=item.client, code=code, value=value, at=item.at,
                              in_target=verdict.in_target, flag=verdict.flag)
            result.readings.append(reading)
            if verdict.flag:
                result.flags.append({"code": code, "value": value, "flag": verdict.flag, "critical": verdict.critical})
            if verdict.flag.startswith("alarm"):
                alarming.append((reading, bounds, verdict.critical))
        if alarming:
            alarming_logs.append((result, alarming))
        results.append(result)
    if alarming_logs:
        owners = OwnerChain()
        for result, alarming in alarming_logs:
            _open_alarm_task(result.log.client, result.log, alarming, acting_user, owners)
            result.tasks = sorted({r.task_id for r, _b, _c in alarming if r.task_id})
    Reading.objects.bulk_create([r for result in results for r in result.readings], batch_size=2000)
    by_client: dict[int, list[LogResult]] = {}
    for result in results:
        by_client.setdefault(result.log.client_id, []).append(result)
    for client_id, client_results in by_client.items():
        detail: dict[str, Any] = {"source": source, "logs": [r.log.pk for r in client_results][:500],
                                  "flags": sum(len(r.flags) for r in client_results),
                                  "tasks": [t for r in client_results for t in r.tasks]}
        if len(client_results) == 1:
            detail["readings"] = {r.code: r.value for r in client_results[0].readings}
        audit_record(actor=acting_user, action="chronic.log_create", obj=client_results[0].log if len(
            client_results) == 1 else None, object_type="chronic.monitoringlog", client=client_id, detail=detail)
    return results


def monitoring_log_create(
    *,
    client: Client,
    at: dt.datetime,
    acting_user: User | None,
    readings: dict[str, Any] | None = None,
    diet: str = "",
    exercise: str = "",
    medication: str = "",
    source: str = LogSource.STAFF,
) -> LogResult:
    """One log (readings, diet, exercise, medication); flags the readings out of target and opens an urgent
    task for the team for an alarming one, in this transaction (``monitoring_logs_ingest`` of one)."""
    item = LogInput(client=client, at=at, readings=readings, diet=diet, exercise=exercise, medication=medication)
    return monitoring_logs_ingest(items=[item], acting_user=acting_user, source=source)[0]


def _open_alarm_task(client: Client, log: MonitoringLog, alarming: list[tuple[Reading, Any, bool]],
                     acting_user: User | None, owners: OwnerChain | None = None) -> None:
    """One urgent task per log (all its alarming readings named in the reason)."""
    critical = any(c for _r, _b, c in alarming)
    parts = [f"{getattr(b, 'name', r.code)} {r.value:g}{getattr(b, 'unit', '')}" for r, b, _c in alarming]
    today = timezone.localdate()
    with translation.override(settings.LANGUAGE_CODE):  # stored text: the system language
        _open_task(client, log, alarming, parts, critical, today, acting_user, owners)


def _open_task(client: Client, log: MonitoringLog, alarming: list[tuple[Reading, Any, bool]], parts: list[str],
               critical: bool, today: dt.date, acting_user: User | None, owners: OwnerChain | None) -> None:
    if critical:
        reason = _("Dangerous monitoring reading: %(items)s — contact the client now") % {"items": "、".join(parts)}
        lead = lead_of(client)
        task = followup_task_create(client=client, due_date=today, window_end=today, reason=reason,
                                    priority=CRITICAL_TASK_PRIORITY, assignee_id=getattr(lead, "pk", None),
                                    acting_user=acting_user, origin="monitoring_critical", owners=owners)
        audit_record(actor=acting_user, action="chronic.critical_alert", obj=log, client=client,
                     detail={"task": task.pk, "lead": getattr(lead, "pk", None), "readings": parts})
    else:
        reason = _("Monitoring reading past the alarm threshold: %(items)s") % {"items": "、".join(parts)}
        task = followup_task_create(client=client, due_date=today, window_end=today, reason=reason,
                                    priority=ALARM_TASK_PRIORITY, acting_user=acting_user, origin="monitoring_alarm",
                                    owners=owners)
    for reading, _b, _c in alarming:
        reading.task_id = task.pk


def monitoring_reminders_send(*, today: dt.date | None = None, acting_user: User | None = None) -> int:
    """Daily: each active plan whose most frequent indicator has had no reading for longer than its
    frequency (plus a day) sends one ``monitoring_reminder`` (consent and quiet hours are the outbox's)."""
    from careloop.messaging.services import message_enqueue

    today = today or timezone.localdate()
    sent = 0
    plans = (MonitoringPlan.objects.filter(active=True, client__status="active")
             .select_related("client").prefetch_related("indicators"))
    for plan in plans.iterator(chunk_size=500):
        indicators = list(plan.indicators.all())
        if not indicators:
            continue
        codes = [i.code for i in indicators]
        days = min(FREQUENCY_DAYS.get(i.frequency, 7) for i in indicators)
        if plan.last_reminded_on and (today - plan.last_reminded_on).days < days:
            continue
        last = Reading.objects.filter(client_id=plan.client_id, code__in=codes).aggregate(m=Max("at"))["m"]
        since = timezone.localtime(last).date() if last else timezone.localtime(plan.created_at).date()
        if (today - since).days <= days:
            continue
        names = "、".join(i.name for i in indicators[:3])
        with transaction.atomic():
            outcome = message_enqueue(client=plan.client, purpose="monitoring_reminder", context={"indicator": names},
                                      cause=f"chronic.plan:{plan.pk}", acting_user=acting_user)
            MonitoringPlan.objects.filter(pk=plan.pk).update(last_reminded_on=today)
            audit_record(actor=acting_user, action="chronic.reminder", obj=plan, client=plan.client,
                         result="ok" if outcome.message else "refused",
                         detail={"since": since.isoformat(), "refused": outcome.refused or ""})
        sent += 1 if outcome.message else 0
    return sent


def _parse_choice(value: object) -> int | None:
    """A form or API id as an int; None when empty; -1 (never an id) when it is no number."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return -1
    if isinstance(value, int):
        return value
    text = str(value).strip()
    return int(text) if text.isdigit() and len(text) < 12 else -1


@transaction.atomic
def referral_create(*, client: Client, hospital: object, reason: str, acting_user: User, department: object = None,
                    expert: str = "", clinic_time: str = "") -> Any:
    """Refer the client to an expert of a partner hospital (the plans app's data, for the client's branch) at a
    clinic time; recorded, audited and shown on the timeline. ``hospital`` and ``department`` are ids."""
    from careloop.chronic.models import Referral
    from careloop.plans.selectors import partner_hospitals  # published read of the plans app

    _require_writer(acting_user)
    errors = {}
    offered = {h.id: h for h in partner_hospitals(branch=client.branch)}
    hospital_id, department_id = _parse_choice(hospital), _parse_choice(department)
    chosen = offered.get(hospital_id) if hospital_id is not None else None
    if hospital_id is None:
        errors["hospital"] = _("Choose the partner hospital.")
    elif chosen is None:
        errors["hospital"] = _("Choose one of the partner hospitals of the client's branch.")
    if chosen is not None and department_id is not None and department_id not in {d.id for d in chosen.departments}:
        errors["department"] = _("Choose a department of %(hospital)s.") % {"hospital": chosen.name}
    if not (reason or "").strip():
        errors["reason"] = _("Say why the client is referred.")
    if errors:
        raise ValidationError(errors)
    assert chosen is not None and hospital_id is not None
    referral = Referral.objects.create(client=client, hospital_id=hospital_id, department_id=department_id,
                                       expert=(expert or "").strip()[:60],
                                       clinic_time=(clinic_time or "").strip()[:100],
                                       reason=reason.strip()[:2000], created_by=acting_user)
    dept_name = next((d.name for d in chosen.departments if d.id == department_id), "")
    audit_record(actor=acting_user, action="chronic.referral_create", obj=referral, client=client,
                 detail={"hospital": hospital_id, "hospital_name": chosen.name, "department": department_id,
                         "department_name": dept_name})
    return referral
