from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkdaysConfig(AppConfig):
    name = "careloop.workdays"
    label = "workdays"
    verbose_name = _("Working-day calendar")

    def ready(self) -> None:
        from careloop.core import nav

        nav.register(_("Working-day calendar"), "workdays:calendar", "manage_rules", order=85)
