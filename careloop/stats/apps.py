from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StatsConfig(AppConfig):
    name = "careloop.stats"
    label = "stats"
    verbose_name = _("Statistics")

    def ready(self) -> None:
        from careloop.core import demo, nav
        from careloop.org.permissions import Cap
        from careloop.stats.demo import demo_stats

        # Order 92: the manager (statistics only) lands here, while a lead keeps landing on his worklist (5)
        # and the auditor on the audit trail (90).
        nav.register(_("Statistics"), "stats:dashboard", Cap.VIEW_STATS, order=92)
        if demo_stats not in demo.extensions:
            demo.extensions.append(demo_stats)
