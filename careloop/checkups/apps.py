from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CheckupsConfig(AppConfig):
    name = "careloop.checkups"
    label = "checkups"
    verbose_name = _("Checkups")

    def ready(self) -> None:
        from careloop.checkups.timeline import checkup_entries
        from careloop.clients import timeline
        from careloop.core import nav

        nav.register(_("Reports"), "checkups:worklist", "work_followups", order=40)
        nav.register(_("Import results"), "checkups:imports", "import_results", order=45)
        timeline.register("checkups.checkups", checkup_entries)
