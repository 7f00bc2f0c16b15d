from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CrmConfig(AppConfig):
    name = "careloop.crm"
    label = "crm"
    verbose_name = _("Tiers and appointments")

    def ready(self) -> None:
        from careloop.core import events

        events.declare("crm.appointment_booked", _("Appointment booked"))
        from careloop.audit import actions as audit_actions

        for name, zh, en, obj in (
            ('appointment.book', '预约', 'Appointment booked', 'crm.appointment'),
            ('appointment.cancel', '取消预约', 'Appointment cancelled', 'crm.appointment'),
            ('appointment.check_in', '预约签到', 'Appointment check-in', 'crm.appointment'),
            ('appointment.client_view', '查看客户预约', "Client's appointments viewed", ''),
            ('appointment.desk', '查看预约台', 'Booking desk viewed', ''),
            ('appointment.list', '查看预约列表', 'Appointments listed', ''),
            ('appointment.no_show', '预约爽约', 'Appointment no-show', 'crm.appointment'),
            ('appointment.reschedule', '改约', 'Appointment rescheduled', 'crm.appointment'),
            ('appointment.view', '查看预约', 'Appointment viewed', 'crm.appointment'),
            ('slots.publish', '发布预约时段', 'Slots published', ''),
            ('ledger.add', '登记消费', 'Ledger entry added', 'crm.ledgerentry'),
            ('ledger.view', '查看消费记录', 'Ledger viewed', ''),
            ('tier.override', '手动调整客户等级', 'Tier overridden', 'clients.client'),
            ('tier.override_lift', '取消手动等级', 'Tier override lifted', 'clients.client'),
            ('tier.view', '查看客户等级', 'Tier viewed', 'clients.client'),
            ('tier_policy.save', '保存分级标准', 'Tier criteria saved', 'crm.tierpolicy'),
            ('tiers.recompute', '重算客户等级', 'Tiers recomputed', ''),
            ('client.tier', '客户等级变更', 'Client tier changed', 'clients.client'),
            ('offer.save', '保存优惠', 'Offer saved', 'crm.offer'),
            ('offer.send', '发送优惠', 'Offer sent', 'crm.offersent'),
            ('offers.send_due', '自动发送C类客户优惠', 'Due tier C offers sent', ''),
            ('event.save', '保存活动', 'Event saved', 'crm.communityevent'),
            ('event.view', '查看活动', 'Event viewed', 'crm.communityevent'),
            ('event.invite', '发送活动邀请', 'Event invitations sent', 'crm.communityevent'),
            ('event.register', '活动报名', 'Event registration', 'crm.eventregistration'),
            ('event.decline', '活动不参加', 'Event declined', 'crm.eventregistration'),
            ('event.attendance', '活动签到', 'Event attendance recorded', 'crm.eventregistration'),
            ('engagement.client_view', '查看客户优惠与活动', "Client's offers and events viewed", 'clients.client'),
        ):
            audit_actions.register(name, zh, en, obj)
        from careloop.clients import actions, timeline
        from careloop.core import demo, nav
        from careloop.crm.timeline import appointment_entries, engagement_entries
        from careloop.org.permissions import Cap

        nav.register(_("Appointments"), "crm:desk", "book_appointments", order=55)
        nav.register(_("Client tiers"), "crm:dashboard", "view_clients", order=58)
        nav.register(_("Salons and events"), "crm:events", ("engage_clients", "manage_offers"), order=59)
        timeline.register("crm.appointments", appointment_entries)
        timeline.register("crm.engagement", engagement_entries)
        actions.register(_("Offers and events"), "crm:client_engagement", Cap.ENGAGE_CLIENTS, order=62)
        actions.register(_("Book an appointment"), "crm:client_book", Cap.BOOK_APPOINTMENTS, order=60)
        actions.register(_("Tier"), "crm:client_tier", Cap.VIEW_CLIENTS, order=61, purpose="tier")
        _name_openapi_enums()
        if _demo_crm not in demo.extensions:
            demo.extensions.append(_demo_crm)


def _demo_crm(clients: list, rng: object, stdout: object) -> None:
    """`careloop demo`: a skewed ledger for every client, the first tier recompute, a week of appointments."""
    from careloop.crm.demo import generate

    summary = generate(clients, rng)  # type: ignore[arg-type]
    stdout.write(f"crm: {summary}\n")  # type: ignore[attr-defined]


def _name_openapi_enums() -> None:
    from careloop.core.schema import name_enums

    name_enums({
        "LedgerKindEnum": "careloop.crm.models.LedgerKind",
        "AppointmentStatusEnum": "careloop.crm.models.AppointmentStatus",
        "EventKindEnum": "careloop.crm.models.EventKind",
        "RegistrationStatusEnum": "careloop.crm.models.RegistrationStatus",
        "OfferSentStatusEnum": "careloop.crm.models.OfferSentStatus",
    })
