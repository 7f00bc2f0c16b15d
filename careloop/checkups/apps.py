from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CheckupsConfig(AppConfig):
    name = "careloop.checkups"
    label = "checkups"
    verbose_name = _("Checkups")

    def ready(self) -> None:
        from careloop.core import events

        events.declare("checkup.critical_value", _("Critical value raised"))
        from careloop.checkups.timeline import checkup_entries
        from careloop.clients import timeline
        from careloop.core import nav

        nav.register(_("Reports"), "checkups:worklist", "work_followups", order=40)
        nav.register(_("Import results"), "checkups:imports", "import_results", order=45)
        timeline.register("checkups.checkups", checkup_entries)
        from careloop.checkups.selectors import latest_abnormal_section
        from careloop.followups import preparation

        preparation.register_abnormal(latest_abnormal_section)
        _name_openapi_enums()
        from careloop.core import demo

        if _demo_checkups not in demo.extensions:
            demo.extensions.append(_demo_checkups)


def _demo_checkups(clients: list, rng: object, stdout: object) -> None:
    """`careloop demo`: up to three yearly checkups with results for every active client."""
    from careloop.checkups.demo import generate_checkups
    from careloop.org.models import User

    # The clerk works in 北京; the demo imports for both branches, as the headquarters administrator
    # (who holds the import right) — encounter writes check the branch of each client.
    importer = User.objects.filter(username="admin").first()
    active = [c for c in clients if c.status == "active"]
    created = generate_checkups(active, rng, acting_user=importer)  # type: ignore[arg-type]
    stdout.write(f"checkups: {len(created)} reports with results for {len(active)} clients\n")  # type: ignore[attr-defined]


def _name_openapi_enums() -> None:
    from careloop.core.schema import name_enums

    name_enums({
        "CheckupHealthStatusEnum": "careloop.checkups.models.HealthStatus",
        "ReportDeliveryMethodEnum": "careloop.checkups.models.DeliveryMethod",
        "ReportDeliveryStatusEnum": "careloop.checkups.models.ReportDelivery.Status",
        "ImportBatchStatusEnum": "careloop.checkups.models.ImportBatch.Status",
        "GroupBookingStatusEnum": "careloop.checkups.models.GroupBooking.Status",
        "CheckupSeverityEnum": "careloop.checkups.models.Severity",
        "MethodEnum": "careloop.clients.models.ConsentMethod",
    })
