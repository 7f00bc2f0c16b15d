from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ServicedeskConfig(AppConfig):
    name = "careloop.servicedesk"
    label = "servicedesk"
    verbose_name = _("Service desk")

    def ready(self) -> None:
        from careloop.core import events

        events.declare("servicedesk.ticket_opened", _("Ticket opened"))
        from careloop.audit import actions as audit_actions

        for name, zh, en, obj in (
            ('ticket.', '服务台工单', 'Service-desk ticket', 'servicedesk.ticket'),
            ('ticket.escalate', '工单升级', 'Ticket escalated', 'servicedesk.ticket'),
            ('ticket.view', '查看工单', 'Ticket viewed', 'servicedesk.ticket'),
            ('survey.answer', '满意度评价', 'Survey answered', ''),
            ('survey.send', '发送满意度调查', 'Survey sent', ''),
        ):
            audit_actions.register(name, zh, en, obj)
        from careloop.clients import timeline
        from careloop.core import demo, nav
        from careloop.followups import complaints
        from careloop.org.permissions import Cap

        from . import tasks  # noqa: F401  (registers the Huey jobs)
        from .services import ticket_from_followup
        from .timeline import ticket_entries

        # Customer service lands on the desk: the lowest order among its entries.
        nav.register(_("Service desk"), "servicedesk:worklist", Cap.HANDLE_TICKETS.value, order=3)
        nav.register(_("Complaints about my team"), "servicedesk:team", Cap.REASSIGN_TASKS.value, order=70)
        nav.register(_("Satisfaction"), "servicedesk:nps", Cap.VIEW_STATS.value, order=30)
        nav.register(_("Commendations to approve"), "servicedesk:approvals", Cap.APPROVE_REWARDS.value, order=32)
        timeline.register("servicedesk.tickets", ticket_entries)
        complaints.register("servicedesk", ticket_from_followup)
        _name_openapi_enums()
        if _demo_desk not in demo.extensions:
            demo.extensions.append(_demo_desk)


def _demo_desk(clients: list, rng: object, stdout: object) -> None:
    from .demo import generate_desk

    summary = generate_desk(clients, rng)  # type: ignore[arg-type]
    stdout.write(summary + "\n")  # type: ignore[attr-defined]


def _name_openapi_enums() -> None:
    from careloop.core.schema import name_enums

    name_enums({
        "TicketKindEnum": "careloop.servicedesk.models.TicketKind",
        "TicketChannelEnum": "careloop.servicedesk.models.TicketChannel",
        "TicketStatusEnum": "careloop.servicedesk.models.TicketStatus",
        "SurveyAboutEnum": "careloop.servicedesk.models.SurveyAbout",
    })
