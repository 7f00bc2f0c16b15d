from django.apps import AppConfig


class OpsConfig(AppConfig):
    """Wiring that spans every app: demo data, backup and restore, ``serve``, ``keys``, the home page.

    The top layer: it may import any app, and nothing imports it (STYLE.md, "The layers").
    """

    name = "careloop.ops"
    label = "ops"

    def ready(self) -> None:
        from careloop.core import nav

        # Each role lands on its own work (issue 9). Pages of apps not installed are skipped, so the
        # manager reaches the statistics dashboard the day the stats app is there, and the service
        # desk its worklist; until then the next entry (or the first menu entry) is taken.
        for role, url_name, order in HOMES:
            nav.register_home(role, url_name, order)
        from django.utils.translation import gettext_lazy as _

        from careloop.audit import actions

        nav.register(_("Operations"), "core:ops_alerts", "manage_staff", order=95)
        actions.register("ops.alert", "运维告警", "Operations alert", "ops.opsalert")
        actions.register("ops.alert_resolve", "处理运维告警", "Operations alert resolved", "ops.opsalert")
        actions.register("ops.backup", "定时备份", "Scheduled backup")


HOMES = [
    ("followup", "followups:worklist", 10),
    ("lead", "followups:worklist", 10),
    ("lead", "followups:escalations", 20),
    ("expert", "followups:escalations", 10),
    ("doctor", "followups:worklist", 30),
    ("nutritionist", "assessments:index", 40),
    ("clerk", "checkups:imports", 20),
    ("service", "servicedesk:worklist", 30),
    ("service", "clients:list", 35),
    ("inspector", "quality:home", 40),
    ("inspector", "clients:list", 45),
    ("auditor", "audit:list", 50),
    ("manager", "stats:dashboard", 60),
    ("admin", "clients:list", 70),
]
