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

        from careloop.clients import services as client_services
        from careloop.followups.services import lifecycle

        for registry, hook in ((client_services.STATUS_CHANGED_HOOKS, lifecycle.client_status_changed),
                               (client_services.CONSENT_WITHDRAWN_HOOKS, lifecycle.consent_withdrawn),
                               (client_services.CONSENT_GIVEN_HOOKS, lifecycle.consent_given)):
            if hook not in registry:
                registry.append(hook)

        nav.register(_("Worklist"), "followups:worklist", "work_followups", order=5)
        nav.register(_("Problems and consultations"), "followups:escalations", ("consult", "work_followups"), order=15)
        nav.register(_("Follow-up rules"), "followups:rules", "manage_rules", order=80)
