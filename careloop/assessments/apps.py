from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AssessmentsConfig(AppConfig):
    name = "careloop.assessments"
    label = "assessments"
    verbose_name = _("Health assessment")

    def ready(self) -> None:
        from careloop.clients import timeline
        from careloop.core import nav
        from careloop.org.permissions import Cap

        from .timeline import assessment_entries

        timeline.register("assessments", assessment_entries)
        nav.register(_("Assessments"), "assessments:index", Cap.VIEW_RESULTS.value, order=40)
