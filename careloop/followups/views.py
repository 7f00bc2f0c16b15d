"""Pages of careloop.followups: worklist, preparation + record, encounters, rules. Views stay thin."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_POST

from careloop.accounts.auth import request_user
from careloop.audit.services import audit_read
from careloop.clients.models import Channel
from careloop.clients.selectors import client_for
from careloop.followups.forms import ERROR_FIELD, RuleForm, StepFormSet, rule_data, rule_initial
from careloop.followups.models import (
    CallAttempt,
    EncounterKind,
    FollowupRecord,
    FollowupRule,
    HealthStatus,
)
from careloop.followups.permissions import (
    can_reassign,
    can_record_encounters,
    can_work_task,
    encounters_visible_to,
    led_team_ids,
    require_manage_rules,
    task_for,
    user_team_ids,
)
from careloop.followups.schedule import EncounterFacts, RuleDataError, plan_schedule, rule_from_data
from careloop.followups.selectors import (
    WorklistFilters,
    preparation,
    record_answer_rows,
    worklist_calls,
    worklist_page_queryset,
)
from careloop.followups.services import escalations as escalation_services
from careloop.followups.services import planning, records
from careloop.followups.services import rules as rule_services
from careloop.followups.services import tasks as task_services
from careloop.org.models import Role
from careloop.org.permissions import Cap, user_can
from careloop.org.selectors import staff_pool, team_pool
from careloop.workdays.calendar import is_working_day
from careloop.workdays.selectors import years_missing

PAGE_SIZE = 25


def _errors(exc: ValidationError) -> dict[str, list[str]]:
    if hasattr(exc, "error_dict"):
        return {k: [str(m) for e in v for m in e.messages] for k, v in exc.error_dict.items()}
    return {"__all__": [str(m) for m in exc.messages]}


# --- worklist (FU-10) ----------------------------------------------------------------------------


@login_required
def worklist(request: HttpRequest) -> HttpResponse:
    if not user_can(request.user, Cap.WORK_FOLLOWUPS):
        raise PermissionDenied(_("Your role has no follow-up worklist."))
    team_raw = request.GET.get("team", "")
    filters = WorklistFilters(
        channel=request.GET.get("channel", ""),
        rule=request.GET.get("rule", ""),
        team=int(team_raw) if team_raw.isdigit() else None,
        scope="team" if request.GET.get("scope") == "team" else "mine",
    )
    page = Paginator(worklist_page_queryset(request.user, filters), PAGE_SIZE).get_page(request.GET.get("page"))
    audit_read(actor=request.user, action="followup_task.worklist", detail={"count": page.paginator.count})
    from careloop.org.models import Team

    team_ids = sorted(set(user_team_ids(request.user)) | set(led_team_ids(request.user)))
    context = {
        "page": page,
        "calls": worklist_calls(list(page.object_list)),
        "filters": filters,
        "channels": Channel.choices,
        "rules": FollowupRule.objects.filter(active=True).values_list("code", "name"),
        "teams": Team.objects.filter(pk__in=team_ids).values_list("pk", "name"),
        "is_lead": bool(led_team_ids(request.user)),
        "query": request.GET.urlencode(),
    }
    if filters.scope == "team":
        context.update(_team_columns(request.user, team_ids))
    template = "followups/_worklist_rows.html" if getattr(request, "htmx", False) else "followups/worklist.html"
    return render(request, template, context)


# --- one task: preparation, attempts, record (FU-11…FU-13) --------------------------------------


def _team_columns(user: Any, team_ids: list[int]) -> dict[str, Any]:
    """The lead's view of the team list: who has each call, and whom she may hand it to (one query)."""
    from careloop.org.models import TeamMembership

    names: dict[int, str] = {}
    members: dict[int, list[tuple[int, str]]] = {}
    for team_id, user_id, display, username in TeamMembership.objects.filter(team_id__in=team_ids).values_list(
            "team_id", "user_id", "user__display_name", "user__username").order_by("user__username"):
        names[user_id] = display or username
        members.setdefault(team_id, []).append((user_id, display or username))
    led = set(led_team_ids(user))
    return {"show_assignee": True, "assignee_names": names,
            "reassign_members": {t: m for t, m in members.items() if t in led}}


@login_required
def task_detail(request: HttpRequest, pk: int) -> HttpResponse:
    task = task_for(request.user, pk)
    audit_read(actor=request.user, action="followup_task.view", obj=task)
    context = preparation(task)
    context.update({
        "can_work": can_work_task(request.user, task),
        "can_reassign": can_reassign(request.user, task),
        "outcomes": CallAttempt.Outcome.choices,
        "channels": Channel.choices,
        "problems": FollowupRecord.Problem.choices,
        "record": FollowupRecord.objects.filter(task=task).select_related("questionnaire").prefetch_related(
            "addenda").first(),
        "errors": {},
        "values": {},
    })
    context["answer_rows"] = record_answer_rows(context["record"])
    if context["can_reassign"] and task.team_id:

        context["members"] = team_pool(task.team_id)  # the pool followup_task_reassign checks against
    return render(request, "followups/task.html", context)


@login_required
@require_POST
def task_call(request: HttpRequest, pk: int) -> HttpResponse:
    """One click to call: the number is shown for this call only, audited as a reveal ("follow-up call")."""
    from careloop.clients.services import client_reveal_contact

    task = task_for(request.user, pk, work=True)
    number = client_reveal_contact(acting_user=request.user, client=task.client,  # type: ignore[arg-type]
                                   field="phone", reason="followup_call")
    return render(request, "followups/_call.html", {"task": task, "number": number})


@login_required
@require_POST
def task_attempt(request: HttpRequest, pk: int) -> HttpResponse:
    task = task_for(request.user, pk, work=True)
    try:
        result = task_services.attempt_record(task=task, outcome=request.POST.get("outcome", ""),
                                         note=request.POST.get("note", ""), acting_user=request_user(request))
    except ValidationError as exc:
        messages.error(request, "; ".join(m for ms in _errors(exc).values() for m in ms))
        return redirect("followups:task", pk=task.pk)
    if result.next_attempt_at:
        text = _("Next try at %(time)s.") % {"time": timezone.localtime(result.next_attempt_at).strftime("%m-%d %H:%M")}
        if result.message_ids:
            text += " " + _("A follow-up notice SMS was queued.")
        elif result.refused_reason:
            text += " " + _("The notice SMS was not sent: %(reason)s") % {"reason": result.refused_reason}
        messages.success(request, text)
    return redirect("followups:task", pk=task.pk)


def _record_input(post: Any, questionnaire: Any) -> dict[str, Any]:
    answers: dict[str, Any] = {}
    for question in questionnaire.questions if questionnaire else []:
        raw = post.get(f"q_{question['key']}", "")
        if question.get("type") == "yesno":
            answers[question["key"]] = {"yes": True, "no": False}.get(raw)
            if answers[question["key"]] is None:
                del answers[question["key"]]
        elif raw != "":
            answers[question["key"]] = raw
    return {
        "channel": post.get("channel") or None,
        "identity_confirmed": post.get("identity_confirmed") == "on",
        "answers": answers,
        "client_words": post.get("client_words", ""),
        "guidance": post.get("guidance", ""),
        "next_step": post.get("next_step", ""),
        "problem": post.get("problem", "none") or "none",
        "problem_note": post.get("problem_note", ""),
        "recheck_item": post.get("recheck_item", ""),
        "feedback_kind": post.get("feedback_kind", ""),
        "feedback_text": post.get("feedback_text", ""),
    }


RECORD_FIELD_LABELS = {
    "identity_confirmed": _lazy("Client identity confirmed"), "channel": _lazy("Channel"),
    "problem": _lazy("Problem found"), "problem_note": _lazy("Describe the problem"),
    "feedback_kind": _lazy("Complaint or suggestion"), "feedback_text": _lazy("What the client said"),
}


def _record_errors(errors: dict[str, list[str]], questionnaire: Any) -> dict[str, list[str]]:
    """Name each field as the form does: a question by its text, never by its key."""
    texts = {q["key"]: q["text"] for q in (questionnaire.questions if questionnaire else [])}
    named: dict[str, list[str]] = {}
    for key, msgs in errors.items():
        if key.startswith("answers."):
            label = texts.get(key.split(".", 1)[1], _("Answer"))
        else:
            label = str(RECORD_FIELD_LABELS.get(key, "")) or _("Record")
        named.setdefault(str(label), []).extend(msgs)
    return named


@login_required
@require_POST
def task_record(request: HttpRequest, pk: int) -> HttpResponse:
    task = task_for(request.user, pk, work=True)
    context = preparation(task)
    data = _record_input(request.POST, context["questionnaire"])
    try:
        records.followup_record_submit(task=task, acting_user=request_user(request), **data)
    except ValidationError as exc:
        context.update({
            "can_work": True, "can_reassign": can_reassign(request.user, task),
            "outcomes": CallAttempt.Outcome.choices, "channels": Channel.choices,
            "problems": FollowupRecord.Problem.choices, "record": None,
            "errors": _record_errors(_errors(exc), context["questionnaire"]), "values": request.POST,
        })
        return render(request, "followups/task.html", context, status=400)
    messages.success(request, _("Follow-up recorded and signed."))
    return redirect("followups:task", pk=task.pk)


@login_required
@require_POST
def record_addendum(request: HttpRequest, pk: int) -> HttpResponse:
    task = task_for(request.user, pk)
    record = get_object_or_404(FollowupRecord, task=task)
    try:
        records.followup_record_addendum(record=record, text=request.POST.get("text", ""), acting_user=request_user(request))
    except ValidationError as exc:
        messages.error(request, "; ".join(m for ms in _errors(exc).values() for m in ms))
    return redirect("followups:task", pk=task.pk)


@login_required
@require_POST
def task_reassign(request: HttpRequest, pk: int) -> HttpResponse:

    task = task_for(request.user, pk)
    try:  # the service checks the choice against the team (org.selectors.person_from_pool)
        task_services.followup_task_reassign(task=task, assignee=request.POST.get("assignee") or None,
                                        acting_user=request_user(request))
    except ValidationError:
        messages.error(request, _("Choose a member of the task's team."))
        return redirect("followups:task", pk=task.pk)
    messages.success(request, _("Reassigned."))
    back = request.POST.get("next", "")
    if back.startswith("/followups/") and "//" not in back:  # back to the lead's list, never off-site
        return redirect(back)
    return redirect("followups:task", pk=task.pk)


# --- encounters (RPT-1) --------------------------------------------------------------------------


def _encounter_form_values(post: Any) -> tuple[dict[str, Any], dict[str, list[str]]]:
    errors: dict[str, list[str]] = {}
    values: dict[str, Any] = {"kind": post.get("kind", ""), "health_status": post.get("health_status", "")}
    try:
        values["date"] = dt.date.fromisoformat(post.get("date", ""))
    except ValueError:
        errors["date"] = [_("Enter a date as YYYY-MM-DD.")]
    raw_days = post.get("prescription_days", "").strip()
    values["prescription_days"] = None
    if raw_days:
        if raw_days.isdigit():
            values["prescription_days"] = int(raw_days)
        else:
            errors["prescription_days"] = [_("A whole number of days.")]
    return values, errors


@login_required
def encounter_new(request: HttpRequest, client_pk: int) -> HttpResponse:
    client = client_for(request.user, client_pk)  # type: ignore[arg-type]
    if not can_record_encounters(request.user):
        raise PermissionDenied(_("Your role does not allow recording encounters."))
    if request.method == "GET":
        audit_read(actor=request.user, action="client.view", obj=client, detail={"page": "encounter_new"})
    errors: dict[str, list[str]] = {}
    values: dict[str, Any] = {}
    if request.method == "POST":
        values, errors = _encounter_form_values(request.POST)
        if not errors:
            try:
                encounter = planning.encounter_create(client=client, acting_user=request_user(request), source="web", **values)
            except ValidationError as exc:
                errors = _errors(exc)
            else:
                messages.success(request, _("Encounter saved; %(n)s follow-ups scheduled.") % {
                    "n": encounter.tasks.count()})
                if not user_can(request.user, Cap.VIEW_RESULTS):  # may record, not read health data (SEC-1)
                    return redirect("clients:detail", pk=client.pk)
                return redirect("followups:encounter", pk=encounter.pk)
    return render(request, "followups/encounter_form.html", {
        "client": client, "errors": errors, "values": values or request.POST,
        "kinds": EncounterKind.choices, "statuses": HealthStatus.choices,
    }, status=400 if errors else 200)


@login_required
def encounter_detail(request: HttpRequest, pk: int) -> HttpResponse:
    encounter = get_object_or_404(encounters_visible_to(request.user).select_related("client"), pk=pk)
    if request.method == "GET":
        audit_read(actor=request.user, action="encounter.view", obj=encounter)
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        if not can_record_encounters(request.user):
            raise PermissionDenied(_("Your role does not allow changing encounters."))
        try:
            if request.POST.get("action") == "cancel":
                planning.encounter_cancel(encounter=encounter, reason=request.POST.get("reason", ""),
                                          acting_user=request_user(request))
                messages.success(request, _("Encounter cancelled; pending follow-ups cancelled."))
            else:
                values, errors = _encounter_form_values(request.POST)
                values.pop("kind", None)
                raw_delivery = request.POST.get("report_delivered_on", "")
                if raw_delivery:
                    try:
                        values["report_delivered_on"] = dt.date.fromisoformat(raw_delivery)
                    except ValueError:
                        errors["report_delivered_on"] = [_("Enter a date as YYYY-MM-DD.")]
                if not errors:
                    planning.encounter_update(encounter=encounter, acting_user=request_user(request), **values)
                    messages.success(request, _("Encounter changed; pending follow-ups re-planned."))
        except ValidationError as exc:
            errors = _errors(exc)
        if not errors:
            return redirect("followups:encounter", pk=encounter.pk)
        encounter.refresh_from_db()
    return render(request, "followups/encounter.html", {
        "encounter": encounter, "tasks": encounter.tasks.select_related("rule", "assignee").order_by("due_date", "id"),
        "errors": errors, "statuses": HealthStatus.choices,
    }, status=400 if errors else 200)


# --- rules (admin) -------------------------------------------------------------------------------

def _rule_forms(post: Any, rule: FollowupRule | None) -> tuple[RuleForm, Any]:
    """The structured form and its steps formset, bound to the POST (an added step row when asked)."""
    if post.get("action") == "add_step":
        post = post.copy()
        post["steps-TOTAL_FORMS"] = str(int(post.get("steps-TOTAL_FORMS") or 0) + 1)
    return RuleForm(post, editing=rule is not None), StepFormSet(post, prefix="steps")


def _rule_data_from_forms(form: RuleForm, formset: Any, rule: FollowupRule | None) -> dict[str, Any] | None:
    if not (form.is_valid() and formset.is_valid()):
        return None
    return rule_data(form, formset, code=rule.code if rule else form.cleaned_data["code"])


def _service_errors_on_form(exc: ValidationError, form: RuleForm) -> None:
    """A service error names a data field; show it on the form field that edits it (else above the form)."""
    for name, messages_ in _errors(exc).items():
        target = ERROR_FIELD.get(name, name)
        for message in messages_:
            if target is not None and target in form.fields:
                form.add_error(target, message)
            else:
                form.add_error(None, message if name in ("__all__", "steps") else f"{name}: {message}")


def _form_errors(form: RuleForm, formset: Any) -> list[str]:
    """Every error with the label of the field it is about, e.g. "每步 2 · 单位：…"."""
    out = [f"{form[name].label}：{m}" if name in form.fields else str(m)
           for name, ms in form.errors.items() for m in ms]
    for i, errors in enumerate(formset.errors, start=1):
        for name, ms in errors.items():
            label = formset.forms[i - 1].fields[name].label if name in formset.forms[i - 1].fields else ""
            out.extend(_("Step %(n)s · %(field)s: %(message)s") % {"n": i, "field": label, "message": m} for m in ms)
    out.extend(str(m) for m in formset.non_form_errors())
    return out


def _sample(post: Any, data: dict[str, Any] | None = None) -> EncounterFacts:
    """The preview's sample encounter: built from the rule's own conditions, then what the form asks."""
    from careloop.followups.selectors import rule_sample

    base = rule_sample(data or {}, today=timezone.localdate())

    def day(name: str, default: dt.date | None) -> dt.date | None:
        try:
            return dt.date.fromisoformat(post.get(name, ""))
        except ValueError:
            return default

    raw_days = post.get("sample_days", "")
    return EncounterFacts(
        kind=post.get("sample_kind", "") or base.kind,
        date=day("sample_date", base.date) or base.date,
        prescription_days=int(raw_days) if raw_days.isdigit() else base.prescription_days,
        health_status=post.get("sample_status", "") or base.health_status,
        tier=post.get("sample_tier", "") or base.tier,
        report_delivered_on=day("sample_delivered", base.report_delivered_on),
        is_first=True,
    )


def _preview(data: dict[str, Any], sample: EncounterFacts) -> dict[str, Any]:
    try:
        spec = rule_from_data(data)
    except (RuleDataError, KeyError, TypeError) as exc:
        return {"preview_error": str(exc), "preview": []}
    try:
        items = plan_schedule(spec, sample, is_working_day=is_working_day)
    except RuleDataError as exc:
        return {"preview_error": str(exc), "preview": []}
    years = {i.due_date.year for i in items}
    kind_label = EncounterKind(sample.kind).label if sample.kind in EncounterKind.values else sample.kind
    return {"preview": items, "preview_error": "", "sample": sample, "sample_kind_label": kind_label,
            "missing_years": years_missing(years) if spec.move_off_nonworking else []}


def _rule_page_context(rule: FollowupRule | None) -> dict[str, Any]:
    this_year = timezone.localdate().year
    return {
        "rule": rule,
        "kinds": EncounterKind.choices,
        "statuses": HealthStatus.choices,
        "tiers": ["A", "B", "C"],
        "channels": Channel.choices,
        "missing_years": years_missing(range(this_year, this_year + 2)),
    }


@login_required
def rules_list(request: HttpRequest) -> HttpResponse:
    require_manage_rules(request.user)
    return render(request, "followups/rules.html", {
        **_rule_page_context(None), "rules": FollowupRule.objects.order_by("code"),
    })


def _rule_form_context(context: dict[str, Any], form: RuleForm, formset: Any,
                       data: dict[str, Any] | None) -> dict[str, Any]:
    context.update({"form": form, "formset": formset, "error_list": _form_errors(form, formset),
                    "rule_json": json.dumps(data, ensure_ascii=False, indent=2) if data is not None else "",
                    "values": data or {}})
    return context


@login_required
def rule_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    """The structured rule form (issue 9 item 8); the JSON is shown read-only as the advanced view."""
    require_manage_rules(request.user)
    rule = get_object_or_404(FollowupRule, pk=pk) if pk else None
    context = _rule_page_context(rule)
    if request.method == "POST":
        form, formset = _rule_forms(request.POST, rule)
        action = request.POST.get("action")
        data = _rule_data_from_forms(form, formset, rule) if action != "add_step" else None
        if action == "preview":
            if data is None:
                context.update({"preview_error": "; ".join(_form_errors(form, formset)), "preview": []})
            else:
                context.update(_preview(data, _sample(request.POST, data)))
            return render(request, "followups/_rule_preview.html", context)
        if action == "add_step":
            return render(request, "followups/rule_form.html", _rule_form_context(context, form, formset, None))
        if data is not None:
            try:
                rule = rule_services.rule_save(rule=rule, data=data, acting_user=request_user(request))
            except ValidationError as exc:
                _service_errors_on_form(exc, form)
            else:
                messages.success(request, _("Rule saved. Pending tasks are unchanged until you apply it."))
                return redirect("followups:rule", pk=rule.pk)
        context.update(_preview(data, _sample(request.POST, data)) if data is not None else {"preview": []})
        return render(request, "followups/rule_form.html", _rule_form_context(context, form, formset, data),
                      status=400)
    values = rule.as_data() | {"active": rule.active} if rule else {
        "active": True, "kinds": [], "steps": [{"anchor": "encounter", "offset": 1, "unit": "day"}],
        "action": "task", "channel": "phone", "priority": 0}
    initial, steps = rule_initial(values)
    form, formset = RuleForm(initial=initial, editing=rule is not None), StepFormSet(initial=steps, prefix="steps")
    context.update(_preview(values, _sample(request.GET, values)) if rule else {"preview": []})
    return render(request, "followups/rule_form.html", _rule_form_context(context, form, formset,
                                                                          values if rule else None))


@login_required
def rule_apply(request: HttpRequest, pk: int) -> HttpResponse:
    """Show the differences for pending tasks first; apply on POST."""
    require_manage_rules(request.user)
    rule = get_object_or_404(FollowupRule, pk=pk)
    if request.method == "POST":
        totals = rule_services.rule_apply_pending(rule=rule, acting_user=request_user(request))
        messages.success(request, _("Applied: %(encounters)s encounters, %(created)s tasks added, "
                                    "%(updated)s changed, %(cancelled)s cancelled.") % totals)
        return redirect("followups:rule", pk=rule.pk)
    diffs = rule_services.rule_pending_diff(rule, limit=500)
    return render(request, "followups/rule_apply.html", {"rule": rule, "diffs": diffs})


# --- escalations (FU-14) ---------------------------------------------------------------------------


def _escalations_for(user: Any) -> Any:
    from django.db.models import Q

    from careloop.followups.models import Escalation

    q = Q(raised_by=user) | Q(expert=user) | Q(lead=user)
    teams = led_team_ids(user)
    if teams:
        q |= Q(task__team_id__in=teams)
    return Escalation.objects.filter(q).select_related("client", "task__team", "expert", "lead", "raised_by")


def _posted_id(request: HttpRequest, name: str) -> int:
    raw = request.POST.get(name, "").strip()
    return int(raw) if raw.isdigit() else 0


@login_required
def escalations(request: HttpRequest) -> HttpResponse:

    if not (user_can(request.user, Cap.WORK_FOLLOWUPS) or user_can(request.user, Cap.CONSULT)):
        raise PermissionDenied(_("Your role has no follow-up problems to handle."))
    if request.method == "POST":
        escalation = get_object_or_404(_escalations_for(request.user), pk=_posted_id(request, "id"))
        action = request.POST.get("action", "")
        try:
            if action == "refer":
                escalation_services.escalation_refer(escalation=escalation, expert=request.POST.get("expert", ""),
                                          acting_user=request_user(request))
            elif action == "advise":
                escalation_services.escalation_advise(escalation=escalation, advice=request.POST.get("advice", ""),
                                           acting_user=request_user(request))
            elif action == "told":
                escalation_services.escalation_client_told(escalation=escalation, acting_user=request_user(request))
        except ValidationError as exc:
            messages.error(request, "; ".join(m for ms in _errors(exc).values() for m in ms))
        return redirect("followups:escalations")
    experts = staff_pool(within=request.user, roles=[Role.EXPERT])  # type: ignore[arg-type]  # the pool refer checks
    audit_read(actor=request.user, action="escalation.list")
    return render(request, "followups/escalations.html", {
        "escalations": _escalations_for(request.user).order_by("-created_at")[:200],
        "experts": experts,
    })
