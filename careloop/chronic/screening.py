"""Screening candidates for the chronic programme (PLN-3 via ASM-1, seed 004 第二部分二): clients whose latest
health-questionnaire answers flag a chronic condition they are not yet monitored for. Leads and experts see the
list of their scope and enrol a candidate, which goes through ``services.monitoring_plan_create``."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from careloop.assessments.selectors import latest_health_answers  # published read of assessments
from careloop.audit.services import audit_record
from careloop.chronic.models import Condition, MonitoringPlan
from careloop.chronic.services import monitoring_plan_create
from careloop.clients.models import Client, ClientStatus
from careloop.clients.selectors import clients_visible_to
from careloop.org.models import User
from careloop.org.permissions import Cap, user_can

RULES_FILE = Path(__file__).resolve().parent / "defaults" / "screening.json"
# The leads (who assign the work) and the experts/doctors (who judge it) decide on enrolment.
SCREENING_CAPS = (Cap.REASSIGN_TASKS, Cap.CONSULT)


@lru_cache(maxsize=1)
def screening_rules() -> list[dict[str, Any]]:
    return list(json.loads(RULES_FILE.read_text(encoding="utf-8"))["rules"])


@dataclass(frozen=True)
class Flag:
    condition: str
    condition_label: str
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class Candidate:
    client: Client
    answered_on: Any
    flags: tuple[Flag, ...]


def can_screen(user: Any) -> bool:
    return any(user_can(user, c) for c in SCREENING_CAPS)


def flags_for(answers: dict[str, Any]) -> dict[str, list[str]]:
    """The conditions the answers flag, each with the reasons (in the current language), in rule order."""
    zh = (translation.get_language() or "zh-hans").startswith("zh")
    found: dict[str, list[str]] = {}
    for rule in screening_rules():
        if answers.get(rule["question"]) == rule["equals"]:
            found.setdefault(rule["condition"], []).append(rule["reason_zh"] if zh else rule["reason_en"])
    return found


def screening_candidates(user: Any, *, limit: int = 500) -> list[Candidate]:
    """Active clients of ``user``'s scope whose latest ASM-1 answers flag a condition without an active monitoring
    plan for it. VIP clients are left out: their chronic care is the family doctor's (seed 004)."""
    if not can_screen(user):
        raise PermissionDenied(_("Only team leads and experts screen for the chronic programme."))
    scope = clients_visible_to(user).filter(status=ClientStatus.ACTIVE, is_vip=False)
    answers = latest_health_answers(scope)
    monitored: dict[int, set[str]] = {}
    for client_id, condition in MonitoringPlan.objects.filter(client_id__in=answers, active=True).values_list(
            "client_id", "condition"):
        monitored.setdefault(client_id, set()).add(condition)
    wanted: dict[int, tuple[Any, tuple[Flag, ...]]] = {}
    labels = dict(Condition.choices)
    for client_id, found in answers.items():
        flags = tuple(Flag(c, str(labels[c]), tuple(reasons)) for c, reasons in flags_for(found.answers).items()
                      if c not in monitored.get(client_id, set()))
        if flags:
            wanted[client_id] = (found.answered_on, flags)
    clients = Client.objects.filter(pk__in=list(wanted)).select_related("branch", "health_manager").order_by(
        "name", "pk")[:limit]
    return [Candidate(c, wanted[c.pk][0], wanted[c.pk][1]) for c in clients]


@transaction.atomic
def screening_candidate_enrol(*, client: Client, condition: str, acting_user: User) -> MonitoringPlan:
    """Enrol a screening candidate in the chronic programme for ``condition``: the monitoring plan with the
    guideline's defaults (``monitoring_plan_create``, audited there) and a ``chronic.screening_enrol`` row saying
    which answers made the client a candidate. Refused unless the client's latest answers flag ``condition``."""
    if not can_screen(acting_user):
        raise PermissionDenied(_("Only team leads and experts enrol screening candidates."))
    if condition not in Condition.values:
        raise ValidationError({"condition": _("Choose one of: %(c)s.") % {"c": ", ".join(Condition.values)}})
    found = latest_health_answers(Client.objects.filter(pk=client.pk)).get(client.pk)
    reasons = flags_for(found.answers).get(condition, []) if found is not None else []
    if not reasons:
        raise ValidationError({"condition": _("The client's latest health questionnaire does not flag this "
                                              "condition.")})
    if MonitoringPlan.objects.filter(client=client, condition=condition, active=True).exists():
        raise ValidationError({"condition": _("The client already has an active monitoring plan for this "
                                              "condition.")})
    plan = monitoring_plan_create(client=client, condition=condition, acting_user=acting_user)
    assert found is not None
    audit_record(actor=acting_user, action="chronic.screening_enrol", obj=plan, client=client,
                 detail={"condition": condition, "questionnaire_response": found.response_id,
                         "answered_on": found.answered_on.isoformat(), "reasons": reasons})
    return plan
