from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    name = "careloop.audit"
    label = "audit"
    verbose_name = _("Audit trail")

    def ready(self) -> None:
        from careloop.core import nav
        from careloop.org.permissions import Cap

        nav.register(_("Audit trail"), "audit:list", Cap.VIEW_AUDIT, order=20)  # the auditor lands here (only role with it)
