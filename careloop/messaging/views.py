"""Pages of careloop.messaging: operations and dead letters, templates, the letter print batch."""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

from django.conf import settings
from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from careloop.core import events
from careloop.messaging import selectors, services, webhooks
from careloop.messaging.models import Message, MessageTemplate, Webhook
from careloop.messaging.providers import provider_config
from careloop.messaging.providers.letter import letter_batch
from careloop.org.models import OrgUnit, User
from careloop.org.permissions import Cap, user_can
from careloop.org.selectors import units_visible_to

MAX_ID = 2**63 - 1


def _require(request: HttpRequest, cap: Cap) -> None:
    if not user_can(request.user, cap):
        raise PermissionDenied


@login_required
def operations(request: HttpRequest) -> HttpResponse:
    """Worker health (queue depth, oldest queued, dead count) and the dead-letter list."""
    _require(request, Cap.MANAGE_MESSAGES)
    page = Paginator(selectors.dead_letters(), 50).get_page(request.GET.get("page"))
    context = {"health": selectors.queue_health(), "page": page, "today": timezone.localdate()}
    if getattr(request, "htmx", False):
        return render(request, "messaging/_dead_letters.html", context)
    return render(request, "messaging/operations.html", context)


@login_required
@require_POST
def message_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    _require(request, Cap.MANAGE_MESSAGES)
    if pk > MAX_ID or action not in {"resend", "cancel"}:
        raise Http404
    message = get_object_or_404(Message, pk=pk)
    reason = request.POST.get("reason", "")
    try:
        if action == "resend":
            services.message_resend(message=message, reason=reason, acting_user=cast(User, request.user))
            flash.success(request, _("Message #%(id)s is queued again.") % {"id": pk})
        else:
            services.message_cancel(message=message, reason=reason, acting_user=cast(User, request.user))
            flash.success(request, _("Message #%(id)s is cancelled.") % {"id": pk})
    except ValidationError as exc:
        for text in exc.messages:
            flash.error(request, text)
    return redirect("messaging:operations")


@login_required
def template_list(request: HttpRequest) -> HttpResponse:
    _require(request, Cap.MANAGE_RULES)
    return render(request, "messaging/templates.html", {"templates": selectors.templates_current()})


@login_required
def template_edit(request: HttpRequest, pk: int) -> HttpResponse:
    _require(request, Cap.MANAGE_RULES)
    if pk > MAX_ID:
        raise Http404
    template = get_object_or_404(MessageTemplate, pk=pk)
    form = {"subject": template.subject, "body": template.body, "sms_signature": template.sms_signature, "note": ""}
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        form = {key: request.POST.get(key, "") for key in form}
        if request.POST.get("preview") or getattr(request, "htmx", False):
            preview = services.template_preview(template=template, subject=form["subject"], body=form["body"],
                                                sms_signature=form["sms_signature"])
            return render(request, "messaging/_preview.html", {"preview": preview, "template": template})
        try:
            created = services.template_publish(template=template, subject=form["subject"], body=form["body"],
                                                sms_signature=form["sms_signature"], note=form["note"],
                                                acting_user=cast(User, request.user))
        except ValidationError as exc:
            errors = exc.message_dict
        else:
            flash.success(request, _("Version %(v)s is now in use.") % {"v": created.version})
            return redirect("messaging:template-edit", pk=created.pk)
    history = MessageTemplate.objects.filter(purpose=template.purpose, channel=template.channel).order_by("-version")
    return render(request, "messaging/template_edit.html", {
        "template": template, "form": form, "errors": errors, "history": history,
        "preview": services.template_preview(template=template),
    })


@login_required
def letters(request: HttpRequest, day: str) -> HttpResponse:
    """The printable batch of one day's letters."""
    _require(request, Cap.MANAGE_MESSAGES)
    try:
        date = dt.date.fromisoformat(day)
    except ValueError:
        raise PermissionDenied from None
    directory = provider_config("letter").get("directory", str(settings.DATA_DIR / "letters"))
    return render(request, "messaging/letters.html", {"day": date, "letters": letter_batch(directory, date)})


# --- webhooks (administrators) ---------------------------------------------------------------------
def _webhook_form(request: HttpRequest, hook: Webhook | None) -> dict[str, Any]:
    if request.method == "POST":
        return {"name": request.POST.get("name", ""), "url": request.POST.get("url", ""),
                "events": request.POST.getlist("events"), "branch": request.POST.get("branch", ""),
                "active": request.POST.get("active") == "on"}
    if hook is None:
        unit = getattr(request.user, "org_unit", None)
        return {"name": "", "url": "", "events": [], "branch": str(getattr(unit, "pk", "")), "active": True}
    return {"name": hook.name, "url": hook.url, "events": list(hook.events), "branch": str(hook.branch_id),
            "active": hook.active}


def _webhook_page(request: HttpRequest, hook: Webhook | None, form: dict[str, Any], errors: dict[str, Any],
                  secret: str = "") -> HttpResponse:
    context: dict[str, Any] = {
        "hook": hook, "form": form, "errors": errors, "secret": secret,
        "event_types": events.types(), "units": units_visible_to(cast(User, request.user)),
    }
    if hook is not None:
        context["page"] = Paginator(selectors.webhook_deliveries(hook), 25).get_page(request.GET.get("page"))
        if getattr(request, "htmx", False) and request.method == "GET":
            return render(request, "messaging/_webhook_deliveries.html", context)
    return render(request, "messaging/webhook.html", context, status=400 if errors else 200)


def _unit(value: str) -> Any:
    return OrgUnit.objects.filter(pk=int(value)).first() if value.isdigit() and int(value) <= MAX_ID else None


@login_required
def webhook_list(request: HttpRequest) -> HttpResponse:
    _require(request, Cap.MANAGE_INTEGRATIONS)
    return render(request, "messaging/webhooks.html", {
        "hooks": selectors.webhooks_visible_to(request.user), "event_labels": {t.name: t.label for t in events.types()}})


@login_required
def webhook_new(request: HttpRequest) -> HttpResponse:
    _require(request, Cap.MANAGE_INTEGRATIONS)
    form = _webhook_form(request, None)
    if request.method == "POST":
        try:
            hook, secret = webhooks.webhook_create(name=form["name"], url=form["url"], events_=form["events"],
                                                   branch=_unit(form["branch"]), active=form["active"],
                                                   acting_user=cast(User, request.user))
        except ValidationError as exc:
            return _webhook_page(request, None, form, exc.message_dict)
        flash.success(request, _("Webhook created. Copy the signing secret now: it is not shown again."))
        return _webhook_page(request, hook, _webhook_form_of(hook), {}, secret=secret)
    return _webhook_page(request, None, form, {})


def _webhook_form_of(hook: Webhook) -> dict[str, Any]:
    return {"name": hook.name, "url": hook.url, "events": list(hook.events), "branch": str(hook.branch_id),
            "active": hook.active}


@login_required
def webhook_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Edit a subscription and read its delivery log."""
    hook = selectors.webhook_for(request.user, pk)
    form = _webhook_form(request, hook)
    if request.method == "POST":
        try:
            hook = webhooks.webhook_update(webhook=hook, name=form["name"], url=form["url"], events_=form["events"],
                                           branch=_unit(form["branch"]), active=form["active"],
                                           acting_user=cast(User, request.user))
        except ValidationError as exc:
            return _webhook_page(request, hook, form, exc.message_dict)
        flash.success(request, _("Webhook saved."))
        return redirect("messaging:webhook", pk=hook.pk)
    return _webhook_page(request, hook, form, {})


@login_required
@require_POST
def webhook_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    hook = selectors.webhook_for(request.user, pk)
    user = cast(User, request.user)
    if action == "test":
        message = webhooks.webhook_send_test(webhook=hook, acting_user=user)
        flash.success(request, _("Test event queued as delivery #%(id)s.") % {"id": message.pk})
    elif action == "deactivate":
        webhooks.webhook_deactivate(webhook=hook, acting_user=user)
        flash.success(request, _("Webhook deactivated; deliveries still waiting are cancelled."))
    elif action == "rotate":
        hook, secret = webhooks.webhook_rotate_secret(webhook=hook, acting_user=user)
        flash.success(request, _("New signing secret made. Copy it now: it is not shown again."))
        return _webhook_page(request, hook, _webhook_form_of(hook), {}, secret=secret)
    else:
        raise Http404
    return redirect("messaging:webhook", pk=hook.pk)
