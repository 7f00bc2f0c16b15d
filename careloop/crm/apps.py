from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CrmConfig(AppConfig):
    name = "careloop.crm"
    label = "crm"
    verbose_name = _("Tiers and appointments")

    def ready(self) -> None:
        _name_openapi_enums()


def _name_openapi_enums() -> None:
    from django.conf import settings

    spectacular = getattr(settings, "SPECTACULAR_SETTINGS", None)
    if not isinstance(spectacular, dict):
        return
    overrides = spectacular.setdefault("ENUM_NAME_OVERRIDES", {})
    overrides.setdefault("LedgerKindEnum", "careloop.crm.models.LedgerKind")
