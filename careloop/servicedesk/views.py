"""Pages of the service desk and the public survey page. Thin: parse, call a service or selector, render."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any, cast

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from careloop.clients.selectors import client_for
from careloop.org.models import User
from careloop.org.permissions import Cap, user_can
from careloop.org.selectors import led_team_ids, subtree_q

from . import selectors, services
from .models import OPEN_STATUSES, Survey, SurveyAbout, TicketChannel, TicketKind, TicketStatus
from .permissions import require, ticket_for


def _user(request: HttpRequest) -> User:
    return cast(User, request.user)


def _errors(exc: ValidationError) -> list[str]:
    if hasattr(exc, "error_dict"):
        return [str(m) for errs in exc.message_dict.values() for m in errs]
    return [str(m) for m in exc.messages]


def _worklist_page(request: HttpRequest, *, title: str, url_name: str, include_answered: bool,
                   awaiting_approval: bool = False) -> HttpResponse:
    user = _user(request)
    kind = request.GET.get("kind", "")
    kind = kind if kind in TicketKind.values else ""
    mine = request.GET.get("mine") == "1"
    answered = include_answered or request.GET.get("answered") == "1"
    page = Paginator(selectors.desk_worklist(user, kind=kind, mine=mine, include_answered=answered,
                                             awaiting_approval=awaiting_approval), 50).get_page(
        request.GET.get("page"))
    now = timezone.now()
    rows = [{"t": t, "overdue": t.due_at is not None and t.due_at < now and t.status in OPEN_STATUSES}
            for t in page.object_list]
    context = {"title": title, "url_name": url_name, "rows": rows, "page": page, "kinds": TicketKind.choices,
               "filters": {"kind": kind, "mine": mine, "answered": answered},
               "can_handle": user_can(user, Cap.HANDLE_TICKETS), "approvals": awaiting_approval}
    template = "servicedesk/_rows.html" if request.headers.get("HX-Request") else "servicedesk/worklist.html"
    return render(request, template, context)


@login_required
def worklist(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    require(user, Cap.HANDLE_TICKETS)
    return _worklist_page(request, title=_("Service desk"), url_name="servicedesk:worklist", include_answered=False)


@login_required
def approvals(request: HttpRequest) -> HttpResponse:
    """The general manager's list: commendations waiting for approval before they count toward a reward."""
    require(_user(request), Cap.APPROVE_REWARDS)
    return _worklist_page(request, title=_("Commendations to approve"), url_name="servicedesk:approvals",
                          include_answered=False, awaiting_approval=True)


@login_required
def team(request: HttpRequest) -> HttpResponse:
    """A team lead's view: the tickets that name a member of a team he or she leads."""
    if not led_team_ids(_user(request)):
        raise PermissionDenied
    return _worklist_page(request, title=_("Complaints about my team"), url_name="servicedesk:team",
                          include_answered=True)


def _staff_choices(user: User) -> list[tuple[int, str]]:
    return [(u.pk, str(u)) for u in User.objects.filter(subtree_q(user, field="org_unit"), is_active=True)
            .only("pk", "username", "display_name").order_by("username")[:500]]


@login_required
def ticket_new(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    require(user, Cap.HANDLE_TICKETS)
    staff = _staff_choices(user)
    data: dict[str, Any] = {"kind": request.GET.get("kind", "consultation"), "channel": "phone",
                            "client": request.GET.get("client", "")}
    errors: list[str] = []
    if request.method == "POST":
        data = request.POST.dict()
        try:
            client = client_for(user, data["client"]) if data.get("client", "").strip() else None
            staff_id = data.get("staff", "")
            member = None
            if staff_id:
                if not staff_id.isdigit() or int(staff_id) not in dict(staff):
                    raise ValidationError({"staff": _("Choose a staff member of your unit.")})
                member = User.objects.get(pk=int(staff_id))
            ticket = services.ticket_create(
                kind=data.get("kind", ""), channel=data.get("channel", ""), subject=data.get("subject", ""),
                body=data.get("body", ""), client=client, staff=member, urgent=data.get("urgent") == "on",
                followup_requested=data.get("followup_requested") == "on", acting_user=user)
        except ValidationError as exc:
            errors = _errors(exc)
        except Http404:
            errors = [_("Client: no such client in your scope.")]
        else:
            messages.success(request, _("Ticket recorded."))
            return redirect("servicedesk:ticket", pk=ticket.pk)
    return render(request, "servicedesk/ticket_new.html", {
        "data": data, "errors": errors, "kinds": TicketKind.choices, "channels": TicketChannel.choices,
        "staff": staff}, status=400 if errors else 200)


@login_required
def ticket_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = _user(request)
    ticket = ticket_for(user, pk)
    from careloop.audit.services import audit_record

    audit_record(actor=user, action="ticket.view", obj=ticket, client=ticket.client)
    can = user_can(user, Cap.HANDLE_TICKETS)
    open_ = ticket.status in OPEN_STATUSES
    answered = ticket.status == TicketStatus.ANSWERED
    assignees = [(u.pk, str(u)) for u in User.objects.filter(subtree_q(user, field="org_unit"), is_active=True,
                                                              role_grants__role="service").distinct()[:100]] if can else []
    survey = Survey.objects.filter(about=SurveyAbout.TICKET, object_id=ticket.pk).first()
    return render(request, "servicedesk/ticket.html", {
        "t": ticket, "events": ticket.events.select_related("actor"),
        "overdue": open_ and ticket.due_at is not None and ticket.due_at < timezone.now(),
        "can": can, "open": open_, "answered": answered, "assignees": assignees, "survey": survey,
        "can_approve": user_can(user, Cap.APPROVE_REWARDS) and ticket.kind == TicketKind.COMMENDATION
        and ticket.approved_at is None,
        "sent": request.session.pop(f"survey-link-{ticket.pk}", None),
    })


@login_required
@require_POST
def ticket_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    user = _user(request)
    ticket = ticket_for(user, pk)
    post = request.POST
    try:
        if action == "assign":
            raw = post.get("assignee", "")
            assignee = User.objects.filter(pk=int(raw)).first() if raw.isdigit() else None
            services.ticket_assign(ticket=ticket, assignee=assignee, acting_user=user)
        elif action == "investigate":
            services.ticket_investigate(ticket=ticket, note=post.get("note", ""), acting_user=user)
        elif action == "resolve":
            services.ticket_resolve(ticket=ticket, resolution=post.get("resolution", ""), acting_user=user)
        elif action == "answer":
            services.ticket_answer(ticket=ticket, answer=post.get("answer", ""), acting_user=user)
        elif action == "satisfaction":
            raw = post.get("score", "")
            services.ticket_satisfaction(ticket=ticket, score=int(raw) if raw.isdigit() else raw,
                                         comment=post.get("comment", ""), acting_user=user)
        elif action == "follow_up":
            services.ticket_follow_up(ticket=ticket, note=post.get("note", ""), acting_user=user)
        elif action == "close":
            services.ticket_close(ticket=ticket, acting_user=user)
        elif action == "route_out":
            services.ticket_route_out(ticket=ticket, routed_to=post.get("routed_to", ""), note=post.get("note", ""),
                                      acting_user=user)
        elif action == "approve":
            services.ticket_approve_reward(ticket=ticket, acting_user=user)
        elif action == "survey":
            if ticket.client is None:
                raise ValidationError({"client": _("This ticket names no client.")})
            sent = services.survey_send(client=ticket.client, about=SurveyAbout.TICKET, object_id=ticket.pk,
                                        acting_user=user)
            request.session[f"survey-link-{ticket.pk}"] = sent.link
        else:
            raise Http404
    except ValidationError as exc:
        for m in _errors(exc):
            messages.error(request, m)
    else:
        messages.success(request, _("Saved."))
    return redirect("servicedesk:ticket", pk=ticket.pk)


@login_required
def survey_new(request: HttpRequest) -> HttpResponse:
    """Send a survey about a visit or a follow-up from the desk; the link and QR code are shown once."""
    user = _user(request)
    if not (user_can(user, Cap.HANDLE_TICKETS) or user_can(user, Cap.WORK_FOLLOWUPS)):
        raise PermissionDenied
    data = request.POST.dict() if request.method == "POST" else {"client": request.GET.get("client", ""),
                                                                  "about": request.GET.get("about", "visit"),
                                                                  "object": request.GET.get("object", "")}
    errors: list[str] = []
    sent = None
    if request.method == "POST":
        try:
            client = client_for(user, data.get("client", ""))
            raw = data.get("object", "")
            sent = services.survey_send(client=client, about=data.get("about", ""),
                                        object_id=int(raw) if raw.isdigit() else raw, acting_user=user)
        except ValidationError as exc:
            errors = _errors(exc)
        except Http404:
            errors = [_("Client: no such client in your scope.")]
    return render(request, "servicedesk/survey_new.html", {
        "data": data, "errors": errors, "sent": sent, "abouts": SurveyAbout.choices},
        status=400 if errors else 200)


def _period(request: HttpRequest) -> tuple[dt.date, dt.date, list[str]]:
    today = timezone.localdate()
    errors = []
    try:
        start = dt.date.fromisoformat(request.GET.get("from") or (today - dt.timedelta(days=89)).isoformat())
        end = dt.date.fromisoformat(request.GET.get("to") or today.isoformat())
    except ValueError:
        errors.append(_("Dates: use the format YYYY-MM-DD."))
        start, end = today - dt.timedelta(days=89), today
    if start > end:
        errors.append(_("The start of the period is after its end."))
        start, end = end, start
    return start, end, errors


@login_required
def nps_page(request: HttpRequest) -> HttpResponse:
    """NPS, complaint rate, urgent response, per-staff scores and feedback themes, for the user's units."""
    user = _user(request)
    if not (user_can(user, Cap.HANDLE_TICKETS) or user_can(user, Cap.VIEW_STATS)):
        raise PermissionDenied
    start, end, errors = _period(request)
    units = [user.org_unit] if user.org_unit else []
    return render(request, "servicedesk/nps.html", {
        "start": start, "end": end, "errors": errors,
        "nps": selectors.nps(start=start, end=end, units=units),
        "complaints": selectors.complaint_rate(start=start, end=end, units=units),
        "urgent": selectors.urgent_response_minutes(start=start, end=end, units=units),
        "staff": selectors.staff_scores(start=start, end=end, units=units)[:50],
        "themes": selectors.feedback_themes(start=start, end=end, units=units),
    })


# --- The public survey page (no login) -------------------------------------------------------------

def _rate_limited(request: HttpRequest) -> bool:
    """At most SURVEY_RATE_PER_MINUTE loads of the public page per address and minute."""
    addr = request.META.get("REMOTE_ADDR", "?")
    key = f"survey-rate:{addr}:{int(timezone.now().timestamp() // 60)}"
    if cache.add(key, 1, timeout=70):
        return False
    try:
        count = cache.incr(key)
    except ValueError:
        return False
    return count > settings.SURVEY_RATE_PER_MINUTE


def _refusal(request: HttpRequest, message: str, status: int) -> HttpResponse:
    return render(request, "servicedesk/survey_refused.html", {"message": message}, status=status)


@never_cache
def survey_public(request: HttpRequest, token: str) -> HttpResponse:
    if _rate_limited(request):
        return _refusal(request, _("Too many requests. Please wait a minute and try again."), 429)
    try:
        survey = services.survey_by_token(token)
    except services.SurveyRefused as exc:
        return _refusal(request, exc.message, 410 if exc.code in ("answered", "expired") else 404)
    data: dict[str, Any] = {}
    errors: dict[str, str] = {}
    if request.method == "POST":
        data = request.POST.dict()
        try:
            services.survey_answer(token=token, recommend=data.get("recommend", ""),
                                   satisfaction=data.get("satisfaction", ""), comment=data.get("comment", ""))
        except services.SurveyRefused as exc:
            return _refusal(request, exc.message, 410)
        except ValidationError as exc:
            errors = {k: " ".join(v) for k, v in exc.message_dict.items()}
        else:
            return render(request, "servicedesk/survey_thanks.html")
    return render(request, "servicedesk/survey_public.html", {
        "about": survey.get_about_display(), "data": data, "errors": errors,
        "recommend_range": [str(i) for i in range(11)], "satisfaction_range": [str(i) for i in range(1, 6)],
    }, status=400 if errors else 200)


def survey_qr(request: HttpRequest, token: str) -> HttpResponse:
    """The link as a QR code (scan-to-rate), for a printed slip or the desk's screen."""
    if _rate_limited(request):
        return HttpResponse(status=429)
    try:
        services.survey_by_token(token)
    except services.SurveyRefused:
        raise Http404 from None
    import qrcode
    import qrcode.image.svg

    image = qrcode.make(services.survey_link(token), image_factory=qrcode.image.svg.SvgPathImage, box_size=12)
    buf = io.BytesIO()
    image.save(buf)
    return HttpResponse(buf.getvalue(), content_type="image/svg+xml")
