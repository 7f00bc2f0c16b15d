"""Writes of the service desk: one atomic, audited function per action (SVC-1…4)."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from careloop.audit.services import audit_record
from careloop.core import events
from careloop.org.models import OrgUnit, Role, TeamMembership, User
from careloop.org.permissions import Cap, user_can

from .models import (
    OPEN_STATUSES,
    Survey,
    SurveyAbout,
    Ticket,
    TicketChannel,
    TicketEvent,
    TicketKind,
    TicketStatus,
)

URGENT_MINUTES = 30  # seed 002: 服务响应时间≤30分钟(紧急需求)
Action = TicketEvent.Action


def _require(user: Any, cap: Cap) -> None:
    if not user_can(user, cap):
        raise PermissionDenied(_("Your role does not allow this."))


def _event(ticket: Ticket, action: str, actor: Any, note: str = "", at: datetime | None = None) -> None:
    TicketEvent.objects.create(ticket=ticket, at=at or timezone.now(), actor=actor if getattr(actor, "pk", None) else None,
                               action=action, note=note)


def _audit(actor: Any, action: str, ticket: Ticket, **detail: Any) -> None:
    audit_record(actor=actor, action=f"ticket.{action}", obj=ticket, client=ticket.client, detail=detail or None)


def _locked(ticket: Ticket) -> Ticket:
    return Ticket.objects.select_for_update(of=("self",)).select_related("client").get(pk=ticket.pk)


def _text(errors: dict[str, str], name: str, value: Any, *, required: bool = True, limit: int = 5000) -> str:
    text = value.strip() if isinstance(value, str) else ""
    if required and not text:
        errors[name] = _("This field is required.")
    elif len(text) > limit:
        errors[name] = _("At most %(n)d characters.") % {"n": limit}
    return text


def _create(*, kind: str, channel: str, subject: str, body: str, client: Any, staff: Any, urgent: bool,
            followup_requested: bool, record: Any, branch: OrgUnit | None, acting_user: User) -> Ticket:
    errors: dict[str, str] = {}
    if kind not in TicketKind.values:
        errors["kind"] = _("Choose consultation, complaint, suggestion or commendation.")
    if channel not in TicketChannel.values:
        errors["channel"] = _("Choose phone, letter, web, walk-in or follow-up call.")
    subject = _text(errors, "subject", subject, limit=200)
    body = _text(errors, "body", body)
    if kind == TicketKind.COMMENDATION and staff is None:
        errors["staff"] = _("A commendation names the staff member it praises.")
    branch = client.branch if client is not None else (branch or getattr(acting_user, "org_unit", None))
    if branch is None:
        errors["client"] = _("Name the client, or record the ticket as a member of a unit.")
    if errors or branch is None:
        raise ValidationError(errors)
    now = timezone.now()
    ticket = Ticket.objects.create(
        kind=kind, channel=channel, subject=subject, body=body, client=client, staff=staff, branch=branch,
        urgent=urgent, due_at=now + timedelta(minutes=URGENT_MINUTES) if urgent else None,
        followup_requested=followup_requested, record=record, created_by=acting_user, created_at=now,
    )
    _event(ticket, Action.CREATED, acting_user, at=now)
    _audit(acting_user, "create", ticket, kind=kind, channel=channel, urgent=urgent)
    events.emit("servicedesk.ticket_opened", lambda: {
        "ticket": ticket.pk, "kind": ticket.kind, "channel": ticket.channel, "urgent": ticket.urgent,
        "client": ticket.client_id, "record": ticket.record_id,
        "due_at": timezone.localtime(ticket.due_at).isoformat(timespec="seconds") if ticket.due_at else None,
    }, branch_id=ticket.branch_id)
    return ticket


@transaction.atomic
def ticket_create(*, kind: str, channel: str, subject: str, body: str, client: Any = None, staff: Any = None,
                  urgent: bool = False, followup_requested: bool = False, acting_user: User) -> Ticket:
    """Record a consultation, complaint, suggestion or commendation in full (SVC-1…3).

    The caller resolves ``client`` through the client scope (``clients.selectors.client_for``)."""
    _require(acting_user, Cap.HANDLE_TICKETS)
    return _create(kind=kind, channel=channel, subject=subject, body=body, client=client, staff=staff,
                   urgent=urgent, followup_requested=followup_requested, record=None, branch=None,
                   acting_user=acting_user)


def ticket_from_followup(*, client: Any, kind: str, text: str, record: Any, acting_user: User) -> Ticket:
    """The complaint sink of careloop.followups (FU-14): a complaint or suggestion heard on a follow-up
    call becomes a desk ticket. Runs inside followup_record_submit's transaction, which has checked that
    ``acting_user`` works this follow-up."""
    if record is None or record.performed_by_id != getattr(acting_user, "pk", None):
        raise PermissionDenied(_("Only the person who made the follow-up reports what was said on it."))
    subject = text.strip().splitlines()[0][:60] if text.strip() else str(TicketKind(kind).label)
    return _create(kind=kind, channel=TicketChannel.FOLLOWUP, subject=subject, body=text, client=client,
                   staff=None, urgent=False, followup_requested=False, record=record, branch=None,
                   acting_user=acting_user)


def _require_open(ticket: Ticket) -> None:
    if ticket.status not in OPEN_STATUSES:
        raise ValidationError({"status": _("The ticket is already answered.")})


@transaction.atomic
def ticket_assign(*, ticket: Ticket, assignee: User | None, acting_user: User) -> Ticket:
    _require(acting_user, Cap.HANDLE_TICKETS)
    ticket = _locked(ticket)
    if assignee is not None and not user_can(assignee, Cap.HANDLE_TICKETS):
        raise ValidationError({"assignee": _("Assign the ticket to a customer-service member.")})
    ticket.assignee = assignee
    ticket.save(update_fields=["assignee"])
    _event(ticket, Action.ASSIGNED, acting_user, str(assignee or _("nobody")))
    _audit(acting_user, "assign", ticket, assignee=getattr(assignee, "pk", None))
    return ticket


@transaction.atomic
def ticket_investigate(*, ticket: Ticket, note: str, acting_user: User) -> Ticket:
    """Record what the investigation found so far (a complaint or suggestion is investigated)."""
    _require(acting_user, Cap.HANDLE_TICKETS)
    ticket = _locked(ticket)
    _require_open(ticket)
    errors: dict[str, str] = {}
    note = _text(errors, "note", note)
    if errors:
        raise ValidationError(errors)
    ticket.investigation = f"{ticket.investigation}\n{note}".strip()
    ticket.status = TicketStatus.INVESTIGATING
    ticket.save(update_fields=["investigation", "status"])
    _event(ticket, Action.INVESTIGATING, acting_user, note)
    _audit(acting_user, "investigate", ticket)
    return ticket


@transaction.atomic
def ticket_resolve(*, ticket: Ticket, resolution: str, acting_user: User) -> Ticket:
    """Record how the matter was put right (before the client is answered)."""
    _require(acting_user, Cap.HANDLE_TICKETS)
    ticket = _locked(ticket)
    _require_open(ticket)
    errors: dict[str, str] = {}
    resolution = _text(errors, "resolution", resolution)
    if errors:
        raise ValidationError(errors)
    ticket.resolution, ticket.resolved_at = resolution, timezone.now()
    ticket.status = TicketStatus.INVESTIGATING
    ticket.save(update_fields=["resolution", "resolved_at", "status"])
    _event(ticket, Action.RESOLVED, acting_user, resolution)
    _audit(acting_user, "resolve", ticket)
    return ticket


@transaction.atomic
def ticket_answer(*, ticket: Ticket, answer: str, acting_user: User, send_survey: bool = True) -> Ticket:
    """Answer the client; keeps the response time for the KPI and, with a client, sends a survey."""
    _require(acting_user, Cap.HANDLE_TICKETS)
    ticket = _locked(ticket)
    _require_open(ticket)
    errors: dict[str, str] = {}
    answer = _text(errors, "answer", answer)
    if errors:
        raise ValidationError(errors)
    now = timezone.now()
    ticket.answer, ticket.answered_at, ticket.answered_by = answer, now, acting_user
    ticket.response_minutes = max(0, int((now - ticket.created_at).total_seconds() // 60))
    ticket.status = TicketStatus.ANSWERED
    ticket.save(update_fields=["answer", "answered_at", "answered_by", "response_minutes", "status"])
    _event(ticket, Action.ANSWERED, acting_user, answer, at=now)
    _audit(acting_user, "answer", ticket, response_minutes=ticket.response_minutes)
    if send_survey and ticket.client is not None and ticket.kind != TicketKind.COMMENDATION:
        sent = _survey_create(client=ticket.client, about=SurveyAbout.TICKET, object_id=ticket.pk,
                              staff=acting_user, acting_user=acting_user)
        if sent is not None:
            _event(ticket, Action.SURVEY, acting_user, sent.refused_reason)
    return ticket


@transaction.atomic
def ticket_satisfaction(*, ticket: Ticket, score: Any, comment: str = "", acting_user: User) -> Ticket:
    """The client's satisfaction with the answer (1–5), as told to customer service."""
    _require(acting_user, Cap.HANDLE_TICKETS)
    ticket = _locked(ticket)
    errors: dict[str, str] = {}
    if ticket.status != TicketStatus.ANSWERED:
        errors["status"] = _("Satisfaction is recorded once the ticket is answered and before it is closed.")
    if isinstance(score, bool) or not isinstance(score, int) or not 1 <= score <= 5:
        errors["score"] = _("Give a whole number from 1 to 5.")
    comment = _text(errors, "comment", comment, required=False, limit=2000)
    if errors:
        raise ValidationError(errors)
    ticket.satisfaction, ticket.satisfaction_comment, ticket.satisfaction_at = score, comment, timezone.now()
    ticket.save(update_fields=["satisfaction", "satisfaction_comment", "satisfaction_at"])
    _event(ticket, Action.SATISFACTION, acting_user, f"{score}/5 {comment}".strip())
    _audit(acting_user, "satisfaction", ticket, score=score)
    return ticket


@transaction.atomic
def ticket_follow_up(*, ticket: Ticket, note: str, acting_user: User) -> Ticket:
    """A consultation that asked for it is followed up after the answer (SVC-1)."""
    _require(acting_user, Cap.HANDLE_TICKETS)
    ticket = _locked(ticket)
    errors: dict[str, str] = {}
    if ticket.status != TicketStatus.ANSWERED:
        errors["status"] = _("Follow up once the ticket is answered and before it is closed.")
    note = _text(errors, "note", note)
    if errors:
        raise ValidationError(errors)
    ticket.followed_up_at, ticket.followup_note = timezone.now(), note
    ticket.save(update_fields=["followed_up_at", "followup_note"])
    _event(ticket, Action.FOLLOWED_UP, acting_user, note)
    _audit(acting_user, "follow_up", ticket)
    return ticket


@transaction.atomic
def ticket_close(*, ticket: Ticket, acting_user: User) -> Ticket:
    _require(acting_user, Cap.HANDLE_TICKETS)
    ticket = _locked(ticket)
    if ticket.status != TicketStatus.ANSWERED:
        raise ValidationError({"status": _("A ticket is closed only once it is answered.")})
    ticket.status, ticket.closed_at = TicketStatus.CLOSED, timezone.now()
    ticket.save(update_fields=["status", "closed_at"])
    _event(ticket, Action.CLOSED, acting_user)
    _audit(acting_user, "close", ticket)
    return ticket


@transaction.atomic
def ticket_route_out(*, ticket: Ticket, routed_to: str, note: str, acting_user: User) -> Ticket:
    """A malpractice dispute is not the desk's (seed 003: 除医疗纠纷之外): mark it, tell the client where
    it went (that is the desk's answer) and close it here."""
    _require(acting_user, Cap.HANDLE_TICKETS)
    ticket = _locked(ticket)
    _require_open(ticket)
    errors: dict[str, str] = {}
    routed_to = _text(errors, "routed_to", routed_to, limit=100)
    note = _text(errors, "note", note)
    if errors:
        raise ValidationError(errors)
    now = timezone.now()
    ticket.malpractice, ticket.routed_to = True, routed_to
    ticket.answer, ticket.answered_at, ticket.answered_by = note, now, acting_user
    ticket.response_minutes = max(0, int((now - ticket.created_at).total_seconds() // 60))
    ticket.status, ticket.closed_at = TicketStatus.CLOSED, now
    ticket.save(update_fields=["malpractice", "routed_to", "answer", "answered_at", "answered_by",
                               "response_minutes", "status", "closed_at"])
    _event(ticket, Action.ROUTED_OUT, acting_user, f"{routed_to}: {note}", at=now)
    _audit(acting_user, "route_out", ticket, routed_to=routed_to)
    return ticket


@transaction.atomic
def ticket_approve_reward(*, ticket: Ticket, acting_user: User) -> Ticket:
    """The manager approves a commendation before it counts toward the staff member's reward (seed 003)."""
    _require(acting_user, Cap.APPROVE_REWARDS)
    ticket = _locked(ticket)
    if ticket.kind != TicketKind.COMMENDATION:
        raise ValidationError({"kind": _("Only a commendation is approved for a reward.")})
    if ticket.approved_at is not None:
        raise ValidationError({"approved_at": _("Already approved.")})
    ticket.approved_at, ticket.approved_by = timezone.now(), acting_user
    ticket.save(update_fields=["approved_at", "approved_by"])
    _event(ticket, Action.APPROVED, acting_user)
    _audit(acting_user, "approve_reward", ticket, staff=ticket.staff_id)
    return ticket


def service_lead_for(ticket: Ticket) -> User | None:
    """Who an overdue urgent ticket goes to: the lead of a team of the person handling it (assignee, else
    whoever recorded it); failing that a general manager of the ticket's unit or above it."""
    for person_id in (ticket.assignee_id, ticket.created_by_id):
        if person_id is None:
            continue
        membership = (TeamMembership.objects.filter(user_id=person_id, team__lead__isnull=False)
                      .exclude(team__lead_id=person_id).select_related("team__lead").order_by("team_id").first())
        if membership is not None:
            return membership.team.lead
    path = ticket.branch.path
    managers = (User.objects.filter(is_active=True, role_grants__role=Role.MANAGER, org_unit__isnull=False)
                .select_related("org_unit"))
    best = [m for m in managers if m.org_unit and path.startswith(m.org_unit.path)]
    best.sort(key=lambda m: -len(m.org_unit.path) if m.org_unit else 0)
    return best[0] if best else None


def tickets_escalate_overdue(*, now: datetime | None = None, limit: int = 500) -> int:
    """Escalate every urgent ticket past its due time and still unanswered, once (Huey, each minute).

    Idempotent: a ticket is escalated in its own transaction only while ``escalated_at`` is empty."""
    now = now or timezone.now()
    ids = list(Ticket.objects.filter(urgent=True, status__in=OPEN_STATUSES, escalated_at__isnull=True,
                                     due_at__lt=now).order_by("due_at").values_list("pk", flat=True)[:limit])
    done = 0
    for pk in ids:
        with transaction.atomic():
            ticket = (Ticket.objects.select_for_update(of=("self",)).select_related("branch", "client")
                      .filter(pk=pk, escalated_at__isnull=True, status__in=OPEN_STATUSES).first())
            if ticket is None:
                continue
            lead = service_lead_for(ticket)
            ticket.escalated_at, ticket.escalated_to = now, lead
            ticket.save(update_fields=["escalated_at", "escalated_to"])
            _event(ticket, Action.ESCALATED, None, str(lead or _("no service lead found")), at=now)
            audit_record(actor=None, action="ticket.escalate", obj=ticket, client=ticket.client,
                         detail={"to": getattr(lead, "pk", None)})
            done += 1
    return done


# --- Surveys (SVC-4) -------------------------------------------------------------------------------

def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def survey_link(token: str) -> str:
    return f"{settings.PUBLIC_URL}/desk/s/{token}/"


@dataclass(frozen=True)
class SentSurvey:
    survey: Survey
    token: str
    link: str
    refused_reason: str = ""


def _survey_target(client: Any, about: str, object_id: int) -> Any:
    """The visit, follow-up record or ticket the survey is about, checked to be the client's; and who is rated."""
    from careloop.followups.models import Encounter, FollowupRecord

    if about == SurveyAbout.VISIT:
        enc = Encounter.objects.filter(pk=object_id, client=client).first()
        return None if enc is None else (enc, client.health_manager_id)
    if about == SurveyAbout.FOLLOWUP:
        rec = FollowupRecord.objects.filter(pk=object_id, client=client).first()
        return None if rec is None else (rec, rec.performed_by_id)
    ticket = Ticket.objects.filter(pk=object_id, client=client, status__in=(TicketStatus.ANSWERED,
                                                                            TicketStatus.CLOSED)).first()
    return None if ticket is None else (ticket, ticket.answered_by_id)


def _survey_create(*, client: Any, about: str, object_id: int, staff: Any, acting_user: User | None,
                   channel: str = "sms") -> SentSurvey | None:
    """Create the survey and its outbox message (consent is checked by the outbox); None when one exists."""
    if Survey.objects.filter(about=about, object_id=object_id).exists():
        return None
    token = secrets.token_urlsafe(24)
    now = timezone.now()
    survey = Survey.objects.create(
        token_hash=token_hash(token), client=client, branch=client.branch, about=about, object_id=object_id,
        staff_id=getattr(staff, "pk", staff), created_by=acting_user if getattr(acting_user, "pk", None) else None,
        created_at=now, expires_at=now + timedelta(days=settings.SURVEY_DAYS),
    )
    link = survey_link(token)
    from careloop.messaging.services import message_enqueue

    result = message_enqueue(client=client, purpose="satisfaction_survey", channel=channel,
                             context={"link": link}, cause=f"survey:{survey.pk}", acting_user=acting_user)
    reason = ""
    if result.message is None:
        survey.message_refused = (result.refused or "")[:40]
        survey.save(update_fields=["message_refused"])
        reason = str(result.reason or "")
    audit_record(actor=acting_user, action="survey.send", obj=survey, client=client,
                 detail={"about": about, "object": object_id, "refused": survey.message_refused})
    return SentSurvey(survey, token, link, reason)


@transaction.atomic
def survey_send(*, client: Any, about: str, object_id: Any, acting_user: User, channel: str = "sms") -> SentSurvey:
    """Send a scan-to-rate survey about a visit, a follow-up or an answered ticket (SVC-4).

    The link is returned once (only its hash is kept); the outbox refuses it without consent, and the
    survey is still there to be offered as a QR code on the spot."""
    if not (user_can(acting_user, Cap.HANDLE_TICKETS) or user_can(acting_user, Cap.WORK_FOLLOWUPS)):
        raise PermissionDenied(_("Your role does not allow this."))
    errors: dict[str, str] = {}
    if about not in SurveyAbout.values:
        errors["about"] = _("Choose visit, followup or ticket.")
    if isinstance(object_id, bool) or not isinstance(object_id, int) or not 0 < object_id < 2**31:
        errors["object"] = _("Give the number of the visit, follow-up record or ticket.")
    if errors:
        raise ValidationError(errors)
    target = _survey_target(client, about, object_id)
    if target is None:
        raise ValidationError({"object": _("No such %(about)s of this client.") % {"about": SurveyAbout(about).label}})
    sent = _survey_create(client=client, about=about, object_id=object_id, staff=target[1],
                          acting_user=acting_user, channel=channel)
    if sent is None:
        raise ValidationError({"object": _("A survey about this was already sent.")})
    return sent


class SurveyRefused(Exception):
    """The public page's refusals: a clear page, nothing stored."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def survey_by_token(token: str) -> Survey:
    if not isinstance(token, str) or not 20 <= len(token) <= 64:
        raise SurveyRefused("unknown", _("This survey link is not valid."))
    survey = Survey.objects.filter(token_hash=token_hash(token)).first()
    if survey is None:
        raise SurveyRefused("unknown", _("This survey link is not valid."))
    if survey.answered_at is not None:
        raise SurveyRefused("answered", _("This survey has already been answered. Thank you!"))
    if survey.expires_at <= timezone.now():
        raise SurveyRefused("expired", _("This survey link has expired."))
    return survey


def _score(raw: Any, low: int, high: int) -> int | None:
    if isinstance(raw, bool):
        return None
    if isinstance(raw, str) and raw.strip().isdigit():
        raw = int(raw.strip())
    if isinstance(raw, int) and low <= raw <= high:
        return raw
    return None


@transaction.atomic
def survey_answer(*, token: str, recommend: Any, satisfaction: Any, comment: str = "") -> Survey:
    """The client's one answer through the public page. No user: the token is the authority."""
    survey = survey_by_token(token)
    survey = Survey.objects.select_for_update().get(pk=survey.pk)
    if survey.answered_at is not None:
        raise SurveyRefused("answered", _("This survey has already been answered. Thank you!"))
    errors: dict[str, str] = {}
    rec = _score(recommend, 0, 10)
    if rec is None:
        errors["recommend"] = _("Choose a score from 0 to 10.")
    sat = _score(satisfaction, 1, 5)
    if sat is None:
        errors["satisfaction"] = _("Choose a score from 1 to 5.")
    comment = comment.strip() if isinstance(comment, str) else ""
    if len(comment) > 1000:
        errors["comment"] = _("At most %(n)d characters.") % {"n": 1000}
    if errors:
        raise ValidationError(errors)
    survey.recommend, survey.satisfaction, survey.comment = rec, sat, comment
    survey.answered_at = timezone.now()
    survey.save(update_fields=["recommend", "satisfaction", "comment", "answered_at"])
    audit_record(actor=None, action="survey.answer", obj=survey, client=survey.client,
                 detail={"recommend": rec, "satisfaction": sat})
    return survey


def surveys_send_due(*, day: Any, acting_user: User | None = None, limit: int = 2000) -> int:
    """After follow-ups and visits (SVC-4): one survey for each follow-up record signed and each active
    visit dated ``day`` that has none yet (Huey, daily; idempotent through the one-survey-per-object rule)."""
    from careloop.followups.models import Encounter, EncounterKind, FollowupRecord

    start = timezone.make_aware(datetime.combine(day, datetime.min.time()))
    end = start + timedelta(days=1)
    done = 0
    surveyed_records = Survey.objects.filter(about=SurveyAbout.FOLLOWUP).values("object_id")
    records = (FollowupRecord.objects.filter(signed_at__gte=start, signed_at__lt=end)
               .exclude(pk__in=surveyed_records).select_related("client__branch")[:limit])
    for rec in records:
        with transaction.atomic():
            if _survey_create(client=rec.client, about=SurveyAbout.FOLLOWUP, object_id=rec.pk,
                              staff=rec.performed_by_id, acting_user=acting_user):
                done += 1
    surveyed_visits = Survey.objects.filter(about=SurveyAbout.VISIT).values("object_id")
    visits = (Encounter.objects.filter(date=day, status=Encounter.Status.ACTIVE,
                                       kind__in=(EncounterKind.CHECKUP, EncounterKind.OUTPATIENT,
                                                 EncounterKind.TCM_FIRST_VISIT, EncounterKind.TCM_RETURN_VISIT))
              .exclude(pk__in=surveyed_visits).select_related("client__branch")[:limit])
    for enc in visits:
        with transaction.atomic():
            if _survey_create(client=enc.client, about=SurveyAbout.VISIT, object_id=enc.pk,
                              staff=enc.client.health_manager_id, acting_user=acting_user):
                done += 1
    return done
