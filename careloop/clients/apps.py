from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ClientsConfig(AppConfig):
    name = "careloop.clients"
    label = "clients"
    verbose_name = _("Client archive")

    def ready(self) -> None:
        from careloop.clients import timeline  # noqa: F401  (registers the archive timeline provider)
        from careloop.core import nav
        from careloop.org.permissions import Cap

        nav.register(_("Clients"), "clients:list", Cap.VIEW_CLIENTS, order=10)
        nav.register(_("Enterprises"), "clients:enterprise_list", Cap.VIEW_CLIENTS, order=60)
