from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ChronicConfig(AppConfig):
    name = "careloop.chronic"
    label = "chronic"
    verbose_name = _("Chronic disease management")

    def ready(self) -> None:
        from careloop.chronic.timeline import monitoring_entries
        from careloop.clients import timeline
        from careloop.core import demo, nav

        nav.register(_("Chronic care"), "chronic:worklist", "view_results", order=55)
        nav.register(_("Plan reviews"), "chronic:adjustments", "consult", order=56)
        nav.register(_("Diet plans"), "chronic:diet-home", "diet_plans", order=57)
        if hasattr(nav, "register_home"):  # the nutritionist's home page, where the tree offers one
            nav.register_home("nutritionist", "chronic:diet-home", 10)
        timeline.register("chronic.monitoring", monitoring_entries)
        from careloop.chronic.timeline import plan_section
        from careloop.followups import preparation

        preparation.register_plan(plan_section)
        _name_openapi_enums()
        if _demo_chronic not in demo.extensions:
            demo.extensions.append(_demo_chronic)


def _demo_chronic(clients: list, rng: object, stdout: object) -> None:
    """`careloop demo`: hypertension and diabetes plans with months of logs, some out of control."""
    from careloop.chronic.demo import generate_chronic

    generate_chronic(clients, rng, stdout)


def _name_openapi_enums() -> None:
    from django.conf import settings

    spectacular = getattr(settings, "SPECTACULAR_SETTINGS", None)
    if not isinstance(spectacular, dict):
        return
    overrides = spectacular.setdefault("ENUM_NAME_OVERRIDES", {})
    overrides.setdefault("ChronicConditionEnum", "careloop.chronic.models.Condition")
    overrides.setdefault("MonitoringFrequencyEnum", "careloop.chronic.models.Frequency")
    overrides.setdefault("MonitoringLogSourceEnum", "careloop.chronic.models.LogSource")
