from django.apps import AppConfig


class MessagingConfig(AppConfig):
    name = "careloop.messaging"
    label = "messaging"
    verbose_name = "消息"

    def ready(self) -> None:
        from careloop.audit import actions as audit_actions

        for name, zh, en, obj in (
            ('message.cancel_for_client', '取消客户待发消息', "Client's messages cancelled", ''),
            ('webhook.create', '新建 Webhook 订阅', 'Webhook created', 'messaging.webhook'),
            ('webhook.update', '修改 Webhook 订阅', 'Webhook changed', 'messaging.webhook'),
            ('webhook.deactivate', '停用 Webhook 订阅', 'Webhook deactivated', 'messaging.webhook'),
            ('webhook.rotate_secret', '更换 Webhook 签名密钥', 'Webhook secret rotated', 'messaging.webhook'),
            ('webhook.test', '发送 Webhook 测试事件', 'Webhook test event sent', 'messaging.webhook'),
        ):
            audit_actions.register(name, zh, en, obj)
        from careloop.clients import services as client_services
        from careloop.clients import timeline
        from careloop.messaging import wakeup
        from careloop.messaging.selectors import timeline_entries
        from careloop.messaging.services import consent_withdrawn_hook
        from careloop.messaging.tasks import messaging_wake

        wakeup.register_remote(messaging_wake)

        from careloop.core import events
        from careloop.messaging.webhooks import on_event

        events.listen(on_event)

        from careloop.core import demo

        if _demo_webhook not in demo.extensions:
            demo.extensions.append(_demo_webhook)

        if consent_withdrawn_hook not in client_services.CONSENT_WITHDRAWN_HOOKS:
            client_services.CONSENT_WITHDRAWN_HOOKS.append(consent_withdrawn_hook)
        timeline.register("messaging.messages", timeline_entries)

        from django.utils.translation import gettext_lazy as _

        from careloop.core import nav
        from careloop.org.permissions import Cap

        nav.register(_("Messages"), "messaging:operations", Cap.MANAGE_MESSAGES, order=80)
        nav.register(_("Webhooks"), "messaging:webhooks", Cap.MANAGE_INTEGRATIONS, order=90)
        _name_openapi_enums()


def _demo_webhook(clients: list, rng: object, stdout: object) -> None:
    """An example integrator subscription, switched off; its test delivery is cancelled by the switch-off
    (the real services: nothing is sent, and no demo reaches out to a network)."""
    from careloop.messaging.models import Webhook
    from careloop.messaging.webhooks import webhook_create, webhook_deactivate, webhook_send_test
    from careloop.org.models import OrgUnit, Role, User

    admin = User.objects.filter(role_grants__role=Role.ADMIN, is_active=True).order_by("pk").first()
    root = OrgUnit.objects.filter(parent__isnull=True).order_by("pk").first()
    if admin is None or root is None or Webhook.objects.exists():
        return
    hook, _secret = webhook_create(
        name="区域健康信息平台（示例）", url="https://integrator.example.com/careloop/webhooks",
        events_=["followup.task_done", "followup.record_signed", "checkup.critical_value",
                 "servicedesk.ticket_opened", "crm.appointment_booked"],
        branch=root, active=True, acting_user=admin)
    webhook_send_test(webhook=hook, acting_user=admin)
    webhook_deactivate(webhook=hook, acting_user=admin)
    stdout.write("webhooks: 1 example subscription (inactive)\n")  # type: ignore[attr-defined]


def _name_openapi_enums() -> None:
    from careloop.core.schema import name_enums

    name_enums({
        "MessageStatusEnum": "careloop.messaging.models.Status",
        "MessagePurposeEnum": "careloop.messaging.models.Purpose",
        "MessageChannelEnum": "careloop.messaging.models.Channel",
        "MessagePeopleChannelEnum": "careloop.messaging.models.PEOPLE_CHANNEL_CHOICES",
        "MessagePeoplePurposeEnum": "careloop.messaging.models.PEOPLE_PURPOSE_CHOICES",
        "MessageSubscriptionPurposeEnum": "careloop.messaging.policy.SUBSCRIBABLE_CHOICES",
        # Once a field name has several choice sets, every one needs a name: the clients keep theirs.
        "StatusEnum": "careloop.clients.models.ClientStatus",
        "PurposeEnum": "careloop.clients.models.ConsentPurpose",
    })
