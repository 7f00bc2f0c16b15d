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
    MANAGE_TARGETS = "manage_targets"  # KPI targets (stats)
    MANAGE_PLANS = "manage_plans"  # plan catalogue, partner hospitals, family-doctor roster
    SELL_PLANS = "sell_plans"  # enrol, renew, cancel (individuals and enterprises)
    USE_ENTITLEMENTS = "use_entitlements"  # record the use of a plan's service
    MANAGE_LEDGER = "manage_ledger"  # record purchases, visits, checkups and refunds (crm)
    MANAGE_TIERS = "manage_tiers"  # override a client's tier with a reason (crm)
    BOOK_APPOINTMENTS = "book_appointments"  # book, reschedule, cancel, check in (crm)
    MANAGE_SLOTS = "manage_slots"  # publish appointment slots and their templates (crm)
    MANAGE_OFFERS = "manage_offers"  # offers and community events / salons: create, edit (crm)
    ENGAGE_CLIENTS = "engage_clients"  # invite to events, registrations and attendance, send offers (crm)
    APPROVE_REWARDS = "approve_rewards"  # approve commendations before they count toward a reward (seed 003)
    DIET_PLANS = "diet_plans"  # a nutritionist writes diet plans (chronic, PLN-5)
    MANAGE_INTEGRATIONS = "manage_integrations"  # webhook subscriptions for integrators (messaging)


C = Cap
ROLE_CAPS: dict[str, frozenset[Cap]] = {
    Role.FOLLOWUP: frozenset({C.VIEW_CLIENTS, C.VIEW_CONTACT, C.REVEAL_CONTACT, C.VIEW_RESULTS,
                              C.UPDATE_CONTACT, C.MANAGE_CONSENT, C.WORK_FOLLOWUPS, C.USE_ENTITLEMENTS}),
    Role.LEAD: frozenset({C.VIEW_CLIENTS, C.VIEW_CONTACT, C.REVEAL_CONTACT, C.VIEW_RESULTS, C.CREATE_CLIENT,
                          C.UPDATE_CLIENT, C.UPDATE_CONTACT, C.MANAGE_CONSENT, C.WORK_FOLLOWUPS,
                          C.REASSIGN_TASKS, C.MANAGE_LEDGER, C.MANAGE_TIERS, C.BOOK_APPOINTMENTS,
                          C.MANAGE_SLOTS, C.SELL_PLANS, C.USE_ENTITLEMENTS, C.VIEW_STATS, C.MANAGE_OFFERS,
                          C.ENGAGE_CLIENTS}),
    Role.EXPERT: frozenset({C.VIEW_CLIENTS, C.VIEW_CONTACT, C.VIEW_RESULTS, C.CONSULT}),
    Role.DOCTOR: frozenset({C.VIEW_CLIENTS, C.VIEW_CONTACT, C.REVEAL_CONTACT, C.VIEW_RESULTS, C.CONSULT,
                            C.WORK_FOLLOWUPS, C.USE_ENTITLEMENTS}),
    Role.NUTRITIONIST: frozenset({C.VIEW_CLIENTS, C.VIEW_CONTACT, C.VIEW_RESULTS, C.DIET_PLANS}),
    Role.SERVICE: frozenset({C.VIEW_CLIENTS, C.VIEW_CONTACT, C.REVEAL_CONTACT, C.CREATE_CLIENT,
                             C.UPDATE_CLIENT, C.UPDATE_CONTACT, C.MANAGE_CONSENT, C.HANDLE_TICKETS,
                             C.MANAGE_LEDGER, C.BOOK_APPOINTMENTS, C.SELL_PLANS, C.USE_ENTITLEMENTS, C.ENGAGE_CLIENTS}),
    Role.CLERK: frozenset({C.VIEW_CLIENTS, C.VIEW_CONTACT, C.REVEAL_CONTACT, C.VIEW_RESULTS, C.CREATE_CLIENT,
                           C.UPDATE_CLIENT, C.UPDATE_CONTACT, C.MANAGE_CONSENT, C.IMPORT_RESULTS,
                           C.MANAGE_LEDGER, C.BOOK_APPOINTMENTS, C.SELL_PLANS, C.USE_ENTITLEMENTS, C.ENGAGE_CLIENTS}),
    Role.INSPECTOR: frozenset({C.VIEW_CLIENTS, C.VIEW_CONTACT, C.VIEW_RESULTS, C.INSPECT}),
    Role.ADMIN: frozenset({C.VIEW_CLIENTS, C.VIEW_CONTACT, C.REVEAL_CONTACT, C.CREATE_CLIENT, C.UPDATE_CLIENT,
                           C.UPDATE_CONTACT, C.MANAGE_CONSENT, C.MANAGE_RULES, C.MANAGE_STAFF,
                           C.MANAGE_MESSAGES, C.IMPORT_RESULTS, C.MANAGE_LEDGER, C.MANAGE_TIERS,
                           C.MANAGE_SLOTS, C.MANAGE_PLANS, C.SELL_PLANS, C.MANAGE_TARGETS,
                           C.MANAGE_INTEGRATIONS, C.MANAGE_OFFERS}),
    Role.AUDITOR: frozenset({C.VIEW_AUDIT, C.VIEW_STATS}),
    Role.MANAGER: frozenset({C.VIEW_STATS, C.MANAGE_TARGETS, C.APPROVE_REWARDS}),
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
