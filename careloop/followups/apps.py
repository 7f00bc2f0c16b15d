from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FollowupsConfig(AppConfig):
    name = "careloop.followups"
    label = "followups"
    verbose_name = _("Follow-up")

    def ready(self) -> None:
        from careloop.clients import scope, timeline
        from careloop.core import nav
        from careloop.followups.permissions import task_clients_q
        from careloop.followups.selectors import timeline_entries

        timeline.register("followups", timeline_entries)
        scope.register("followups", task_clients_q)

        nav.register(_("Worklist"), "followups:worklist", "work_followups", order=5)
        nav.register(_("Problems and consultations"), "followups:escalations", ("consult", "work_followups"), order=15)
        nav.register(_("Follow-up rules"), "followups:rules", "manage_rules", order=80)
