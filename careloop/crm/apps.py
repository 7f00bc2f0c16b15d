from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CrmConfig(AppConfig):
    name = "careloop.crm"
    label = "crm"
    verbose_name = _("Tiers and appointments")

    def ready(self) -> None:
        from careloop.clients import actions, timeline
        from careloop.core import demo, nav
        from careloop.crm.timeline import appointment_entries
        from careloop.org.permissions import Cap

        nav.register(_("Appointments"), "crm:desk", "book_appointments", order=55)
        nav.register(_("Client tiers"), "crm:dashboard", "view_clients", order=58)
        timeline.register("crm.appointments", appointment_entries)
        actions.register(_("Book an appointment"), "crm:client_book", Cap.BOOK_APPOINTMENTS, order=60)
        actions.register(_("Tier"), "crm:client_tier", Cap.VIEW_CLIENTS, order=61)
        _name_openapi_enums()
        if _demo_crm not in demo.extensions:
            demo.extensions.append(_demo_crm)


def _demo_crm(clients: list, rng: object, stdout: object) -> None:
    """`careloop demo`: a skewed ledger for every client, the first tier recompute, a week of appointments."""
    from careloop.crm.demo import generate

    summary = generate(clients, rng)  # type: ignore[arg-type]
    stdout.write(f"crm: {summary}\n")  # type: ignore[attr-defined]


def _name_openapi_enums() -> None:
    from django.conf import settings

    spectacular = getattr(settings, "SPECTACULAR_SETTINGS", None)
    if not isinstance(spectacular, dict):
        return
    overrides = spectacular.setdefault("ENUM_NAME_OVERRIDES", {})
    overrides.setdefault("LedgerKindEnum", "careloop.crm.models.LedgerKind")
    overrides.setdefault("AppointmentStatusEnum", "careloop.crm.models.AppointmentStatus")
