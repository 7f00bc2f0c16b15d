from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PlansConfig(AppConfig):
    name = "careloop.plans"
    label = "plans"
    verbose_name = _("Service plans")

    def ready(self) -> None:
        from careloop.plans import wiring

        wiring.connect()
