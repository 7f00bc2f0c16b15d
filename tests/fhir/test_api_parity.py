"""INT-1 / issue 19 item 4: every page action (a URL that accepts POST) has an API operation.

The table maps each page URL name to the operation id of its API counterpart. A new page that accepts
POST fails this test until it is added here — with its API operation, or under EXCEPTIONS with the reason.
GAPS are page actions still without an API operation: named so the gap is visible, not hidden.
"""

from __future__ import annotations

import inspect

from django.urls import URLPattern, URLResolver, get_resolver
from drf_spectacular.generators import SchemaGenerator

PARITY = {
    "accounts:login": "auth_token_create",
    "clients:create": "clients_create",
    "clients:edit": "clients_partial_update",
    "clients:reveal": "clients_reveal_create",
    "clients:status": "clients_status_create",
    "clients:assign": "clients_assignments_create",
    "clients:consent": "clients_consents_create",
    "clients:enterprise_create": "enterprises_create",
    "clients:enterprise_add_member": "enterprises_members_create",
    "messaging:message-action": "messages_cancel_create",  # and messages_resend_create
    "messaging:webhook-new": "webhooks_create",
    "messaging:webhook": "webhooks_update",
    "messaging:webhook-action": "webhooks_test",  # and webhooks_rotate_secret, webhooks_deactivate
    "followups:task_attempt": "followup_tasks_attempts_create",
    "followups:task_record": "followup_tasks_record_create",  # raises the escalation when a problem is recorded
    "followups:record_addendum": "followup_tasks_addendum_create",
    "followups:task_reassign": "followup_tasks_partial_update",
    "followups:encounter_new": "encounters_create",
    "followups:encounter": "encounters_partial_update",
    "followups:escalations": "escalations_step",  # refer / advise / told
    "followups:rule_new": "followup_rules_create",
    "followups:rule": "followup_rules_update",
    "followups:rule_apply": "followup_rules_apply",
    "checkups:imports": "checkup_imports_create",
    "checkups:alert_ack": "critical_alerts_acknowledge",
    "checkups:delivery_record": "report_deliveries_record",
    "checkups:interpretation_done": "interpretations_done",
    "assessments:prescription": "assessments_prescription_create",
    "assessments:issue": "assessments_issue_create",
    "assessments:run_form": "assessments_create",
    "assessments:run": "assessments_create",
    "assessments:batch_start": "assessments_batches_create",
    "assessments:tcm": "assessments_tcm_constitution_create",
    "assessments:questionnaire": "assessments_questionnaire_responses_create",
    "plans:plan_new": "plans_create",
    "plans:plan_edit": "plans_update",
    "plans:enrol": "clients_plans_create",
    "plans:use": "clients_entitlements_create",
    "plans:family_doctor": "clients_family_doctor_create",
    "plans:enrolment_action": "clients_plans_cancel_create",  # and clients_plans_renew_create
    "plans:consultations": "clients_consultations_create",
    "plans:green_channel": "clients_green_channel_create",
    "plans:green_channel_status": "green_channel_partial_update",
    "plans:enterprise": "enterprise_plans_create",
    "plans:enterprise_use": "enterprise_plans_uses_create",
    "crm:appointment_action": "appointments_partial_update",
    "crm:client_book": "appointments_create",
    "crm:client_tier": "clients_tier_create",
    "crm:client_engagement": "clients_offers_create",  # and events_registrations_create (register for an event)
    "crm:offer_new": "offers_create",
    "crm:offer_edit": "offers_partial_update",
    "crm:event_new": "events_create",
    "crm:event_edit": "events_partial_update",
    "crm:event_invite": "events_invitations_create",
    "crm:registration_action": "event_registrations_partial_update",
    "servicedesk:ticket_new": "tickets_create",
    "servicedesk:ticket_action": "tickets_step",
    "servicedesk:survey_new": "surveys_create",
    "chronic:plan-create": "monitoring_plans_create",
    "chronic:log-create": "monitoring_logs_create",
    "chronic:import": "monitoring_logs_batch_create",  # the spreadsheet's rows as one batch
    "chronic:health-plan-create": "health_plans_create",
    "chronic:adjustment-request": "health_plans_adjustments_create",
    "chronic:adjustment-review": "plan_adjustments_review_create",
    "chronic:referral-create": "referrals_create",
    "chronic:screening-enrol": "screening_candidates_enrol_create",
    "quality:draw": "supervision_periods_create",
    "quality:score": "supervision_samples_score_create",
    "quality:finding_create": "supervision_samples_findings_create",
    "quality:finding_close": "supervision_findings_close_create",
    "quality:exam": "training_plans_exam_create",
}

EXCEPTIONS = {
    "set_language": "the browser session's UI language; the API follows Accept-Language",
    "accounts:login_code": "second step of the browser login; API clients authenticate with a token",
    "accounts:logout": "ends a browser session; API tokens are revoked by an administrator",
    "accounts:totp_setup": "a person's own two-step setup in the browser, never scripted",
    "servicedesk:survey_public": "the client's own anonymous survey page (by token), not a staff action",
    "chronic:self-entry": "the client's own readings through a personal link (by token), not a staff action",
}

GAPS = {
    "core:ops_alert_resolve": "operations alert resolve: no API yet",
    "audit:verify": "audit chain check from the page: no API yet (the audit command verifies)",
    "workdays:calendar": "working-day calendar edit: no API yet",
    "messaging:template-edit": "message template edit: no API yet",
    "followups:task_call": "start a call (marks the task in progress): no API yet",
    "checkups:mapping": "column mapping save: no API yet",
    "crm:publish": "publish appointment slots: no API yet",
    "crm:criteria": "tier criteria edit: no API yet",
    "stats:targets": "KPI targets edit: no API yet",
    "chronic:diet-plan-create": "the nutritionist's diet plan: no API yet",
    "chronic:self-link-create": "issuing a client's self-entry link: no API yet",
    "quality:agreements": "confidentiality agreement upload: no API yet",
    "quality:score_sheet_post": "the period score from the score sheet: no API yet",
}


def _walk(patterns, ns=""):
    for p in patterns:
        if isinstance(p, URLResolver):
            if str(p.pattern).startswith(("api/", "admin/")):
                continue
            yield from _walk(p.url_patterns, f"{p.namespace}:" if p.namespace else ns)
        elif isinstance(p, URLPattern) and p.name:
            yield f"{ns}{p.name}", p.callback


def _accepts_post(callback) -> bool:
    view_class = getattr(callback, "view_class", None)
    if view_class is not None:
        return hasattr(view_class, "post")
    try:
        return "POST" in inspect.getsource(inspect.unwrap(callback))
    except (OSError, TypeError):
        return False


def post_pages() -> set[str]:
    return {name for name, callback in _walk(get_resolver().url_patterns) if _accepts_post(callback)}


def operation_ids() -> set[str]:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return {op["operationId"] for ops in schema["paths"].values() for op in ops.values() if isinstance(op, dict)}


def test_every_page_action_has_an_api_operation_or_a_named_reason():
    pages = post_pages()
    assert len(pages) > 40  # the discovery works
    unlisted = sorted(pages - set(PARITY) - set(EXCEPTIONS) - set(GAPS))
    assert unlisted == [], f"page actions without an API operation (add one, or name the reason): {unlisted}"
    stale = sorted((set(PARITY) | set(EXCEPTIONS) | set(GAPS)) - pages)
    assert stale == [], f"entries for pages that no longer accept POST: {stale}"


def test_every_mapped_operation_exists_in_the_schema():
    ops = operation_ids()
    missing = {page: op for page, op in PARITY.items() if op not in ops}
    assert missing == {}


def test_the_actions_issue_19_names_are_not_gaps():
    named = {"followups:escalations", "followups:task_record", "followups:record_addendum", "followups:rule_new",
             "followups:rule", "followups:rule_apply", "checkups:alert_ack", "checkups:delivery_record",
             "checkups:interpretation_done"}
    assert named <= set(PARITY)
