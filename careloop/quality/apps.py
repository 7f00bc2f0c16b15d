from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class QualityConfig(AppConfig):
    name = "careloop.quality"
    label = "quality"
    verbose_name = _("Staff quality")

    def ready(self) -> None:
        from careloop.core import demo, nav

        nav.register(_("Supervision"), "quality:home", "inspect", order=8)
        nav.register(_("Training"), "quality:training", None, order=94)
        nav.register(_("Quality findings"), "quality:findings", None, order=95)
        from careloop.quality import satisfaction

        satisfaction.register_servicedesk_if_installed()
        from careloop.clients import access
        from careloop.quality.agreements import access_check

        access.register(access_check)
        nav.register(_("Confidentiality agreements"), "quality:agreements", "manage_staff", order=88)
        from careloop.quality.demo import demo_agreements, demo_quality, demo_training

        for extension in (demo_quality, demo_training, demo_agreements):
            if extension not in demo.extensions:
                demo.extensions.append(extension)
