"""Diet plans by a nutritionist (SPEC PLN-5), drafted from the condition's template (data)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.utils.translation import gettext as _

from careloop.audit.services import audit_record
from careloop.chronic.models import Condition, DietPlan, DietTemplate, MonitoringPlan
from careloop.clients.models import Client
from careloop.clients.selectors import clients_visible_to
from careloop.org.models import User
from careloop.org.permissions import Cap, user_can

MEALS = ("breakfast", "lunch", "dinner")


@transaction.atomic
def diet_plan_create(*, client: Client, condition: str, acting_user: User, key_improvements: str = "",
                     tips: str = "") -> DietPlan:
    """A diet plan from the condition's template; the nutritionist's own text replaces the template's."""
    if not user_can(acting_user, Cap.DIET_PLANS):
        raise PermissionDenied(_("Only a nutritionist writes diet plans."))
    if condition not in Condition.values:
        raise ValidationError({"condition": _("Choose one of: %(c)s.") % {"c": ", ".join(Condition.values)}})
    template = DietTemplate.objects.filter(condition=condition).first()
    if template is None:
        raise ValidationError({"condition": _("No diet template for this condition.")})
    plan = DietPlan.objects.create(
        client=client, condition=condition, nutritionist=acting_user,
        key_improvements=(key_improvements or "").strip()[:5000] or template.key_improvements,
        foods=template.foods, tips=(tips or "").strip()[:5000] or template.tips, menu=template.menu)
    audit_record(actor=acting_user, action="chronic.diet_plan_create", obj=plan, client=client,
                 detail={"condition": condition, "template": template.pk})
    return plan


def clients_waiting_for_diet_plan(user: Any) -> QuerySet[Client]:
    """Clients in scope with an active monitoring plan and no diet plan yet (oldest plan first)."""
    active = MonitoringPlan.objects.filter(client=OuterRef("pk"), active=True)
    has_diet = DietPlan.objects.filter(client=OuterRef("pk"))
    return (clients_visible_to(user).filter(Exists(active)).exclude(Exists(has_diet))
            .select_related("branch", "health_manager").order_by("name"))


def menu_days(plan: DietPlan | DietTemplate) -> list[dict[str, str]]:
    menu = plan.menu or {}
    days = max((len(menu.get(m, [])) for m in MEALS), default=0)
    names = ["周一", "周二", "周三", "周四", "周五", "周六", "周日"]
    return [{"day": names[i] if i < 7 else str(i + 1),
             **{m: (menu.get(m, []) + [""] * days)[i] for m in MEALS}} for i in range(days)]
