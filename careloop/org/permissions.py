"""What each role may do. Scoping (which clients) lives in clients.selectors; this is the *what*."""

from __future__ import annotations

from enum import StrEnum

from careloop.org.models import Role


class Cap(StrEnum):
    VIEW_CLIENTS = "view_clients"  # list and open client records in scope
    VIEW_CONTACT = "view_contact"  # phone/ID/address, masked
    REVEAL_CONTACT = "reveal_contact"  # show in full, with a reason, audited
    VIEW_RESULTS = "view_results"  # health data: results, assessments, follow-up records
    CREATE_CLIENT = "create_client"
    UPDATE_CLIENT = "update_client"  # demographics, status, assignments
    UPDATE_CONTACT = "update_contact"  # contact details (ARC-6), e.g. during a follow-up
    MANAGE_CONSENT = "manage_consent"
    WORK_FOLLOWUPS = "work_followups"
    REASSIGN_TASKS = "reassign_tasks"
    CONSULT = "consult"  # expert consultation, plan review
    IMPORT_RESULTS = "import_results"
    MANAGE_RULES = "manage_rules"  # rules, templates, questionnaires, calendars
    MANAGE_STAFF = "manage_staff"
    VIEW_AUDIT = "view_audit"
    VIEW_STATS = "view_stats"
    MANAGE_MESSAGES = "manage_messages"  # dead letters, resend, operations
    HANDLE_TICKETS = "handle_tickets"
    INSPECT = "inspect"  # sample and score follow-up records
    DIET_PLANS = "diet_plans"  # a nutritionist writes diet plans (chronic, PLN-5)


C = Cap
ROLE_CAPS: dict[str, frozenset[Cap]] = {
    Role.FOLLOWUP: frozenset({C.VIEW_CLIENTS, C.VIEW_CONTACT, C.REVEAL_CONTACT, C.VIEW_RESULTS,
                              C.UPDATE_CONTACT, C.MANAGE_CONSENT, C.WORK_FOLLOWUPS}),
    Role.LEAD: frozenset({C.VIEW_CLIENTS, C.VIEW_CONTACT, C.REVEAL_CONTACT, C.VIEW_RESULTS, C.CREATE_CLIENT,
                          C.UPDATE_CLIENT, C.UPDATE_CONTACT, C.MANAGE_CONSENT, C.WORK_FOLLOWUPS,
                          C.REASSIGN_TASKS}),
    Role.EXPERT: frozenset({C.VIEW_CLIENTS, C.VIEW_CONTACT, C.VIEW_RESULTS, C.CONSULT}),
    Role.DOCTOR: frozenset({C.VIEW_CLIENTS, C.VIEW_CONTACT, C.REVEAL_CONTACT, C.VIEW_RESULTS, C.CONSULT,
                            C.WORK_FOLLOWUPS}),
    Role.NUTRITIONIST: frozenset({C.VIEW_CLIENTS, C.VIEW_CONTACT, C.VIEW_RESULTS, C.DIET_PLANS}),
    Role.SERVICE: frozenset({C.VIEW_CLIENTS, C.VIEW_CONTACT, C.REVEAL_CONTACT, C.CREATE_CLIENT,
                             C.UPDATE_CLIENT, C.UPDATE_CONTACT, C.MANAGE_CONSENT, C.HANDLE_TICKETS}),
    Role.CLERK: frozenset({C.VIEW_CLIENTS, C.VIEW_CONTACT, C.REVEAL_CONTACT, C.VIEW_RESULTS, C.CREATE_CLIENT,
                           C.UPDATE_CLIENT, C.UPDATE_CONTACT, C.MANAGE_CONSENT, C.IMPORT_RESULTS}),
    Role.INSPECTOR: frozenset({C.VIEW_CLIENTS, C.VIEW_CONTACT, C.VIEW_RESULTS, C.INSPECT}),
    Role.ADMIN: frozenset({C.VIEW_CLIENTS, C.VIEW_CONTACT, C.REVEAL_CONTACT, C.CREATE_CLIENT, C.UPDATE_CLIENT,
                           C.UPDATE_CONTACT, C.MANAGE_CONSENT, C.MANAGE_RULES, C.MANAGE_STAFF,
                           C.MANAGE_MESSAGES, C.IMPORT_RESULTS}),
    Role.AUDITOR: frozenset({C.VIEW_AUDIT}),
    Role.MANAGER: frozenset({C.VIEW_STATS}),
}


def caps_of(user: object) -> frozenset[Cap]:
    if not getattr(user, "is_authenticated", False) or not getattr(user, "is_active", False):
        return frozenset()
    cached = getattr(user, "_careloop_caps", None)
    if cached is None:
        found: set[Cap] = set()
        for role in user.roles:  # type: ignore[attr-defined]
            found |= ROLE_CAPS.get(role, frozenset())
        cached = frozenset(found)
        user._careloop_caps = cached  # type: ignore[attr-defined]
    return cached


def user_can(user: object, cap: Cap) -> bool:
    return cap in caps_of(user)
