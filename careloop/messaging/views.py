"""Pages of careloop.messaging: operations and dead letters, templates, the letter print batch."""

from __future__ import annotations

import datetime as dt
from typing import cast

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

from careloop.messaging import selectors, services
from careloop.messaging.models import Message, MessageTemplate
from careloop.messaging.providers import provider_config
from careloop.messaging.providers.letter import letter_batch
from careloop.org.models import User
from careloop.org.permissions import Cap, user_can

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
