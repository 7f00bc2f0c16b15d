from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PlansConfig(AppConfig):
    name = "careloop.plans"
    label = "plans"
    verbose_name = _("Service plans")

    def ready(self) -> None:
        from careloop.plans import wiring

        wiring.connect()
        _name_openapi_enums()


def _name_openapi_enums() -> None:
    """Give this app's choice sets their own OpenAPI enum names (``status``, ``kind``, ``period`` recur)."""
    from django.conf import settings

    spectacular = getattr(settings, "SPECTACULAR_SETTINGS", None)
    if not isinstance(spectacular, dict):
        return
    overrides = spectacular.setdefault("ENUM_NAME_OVERRIDES", {})
    overrides.setdefault("PlanEnrolmentStatusEnum", "careloop.plans.models.EnrolmentStatus")
    overrides.setdefault("GreenChannelBookingStatusEnum", "careloop.plans.models.BookingStatus")
    overrides.setdefault("GreenChannelStatusChangeEnum", ["confirmed", "done", "cancelled"])
    overrides.setdefault("GreenChannelBookingKindEnum", "careloop.plans.models.BookingKind")
    overrides.setdefault("PlanServicePeriodEnum", "careloop.plans.models.Period")
    overrides.setdefault("PlanAudienceEnum", "careloop.plans.models.Audience")
