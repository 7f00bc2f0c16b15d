from django.apps import AppConfig


class MessagingConfig(AppConfig):
    name = "careloop.messaging"
    label = "messaging"
    verbose_name = "消息"

    def ready(self) -> None:
        from careloop.audit import actions as audit_actions

        for name, zh, en, obj in (
            ('message.cancel_for_client', '取消客户待发消息', "Client's messages cancelled", ''),
        ):
            audit_actions.register(name, zh, en, obj)
        from careloop.clients import services as client_services
        from careloop.clients import timeline
        from careloop.messaging import wakeup
        from careloop.messaging.selectors import timeline_entries
        from careloop.messaging.services import consent_withdrawn_hook
        from careloop.messaging.tasks import messaging_wake

        wakeup.register_remote(messaging_wake)

        if consent_withdrawn_hook not in client_services.CONSENT_WITHDRAWN_HOOKS:
            client_services.CONSENT_WITHDRAWN_HOOKS.append(consent_withdrawn_hook)
        timeline.register("messaging.messages", timeline_entries)

        from django.utils.translation import gettext_lazy as _

        from careloop.core import nav
        from careloop.org.permissions import Cap

        nav.register(_("Messages"), "messaging:operations", Cap.MANAGE_MESSAGES, order=80)
        _name_openapi_enums()


def _name_openapi_enums() -> None:
    from careloop.core.schema import name_enums

    name_enums({
        "MessageStatusEnum": "careloop.messaging.models.Status",
        "MessagePurposeEnum": "careloop.messaging.models.Purpose",
        "MessageChannelEnum": "careloop.messaging.models.Channel",
        "MessageSubscriptionPurposeEnum": "careloop.messaging.policy.SUBSCRIBABLE_CHOICES",
        # Once a field name has several choice sets, every one needs a name: the clients keep theirs.
        "StatusEnum": "careloop.clients.models.ClientStatus",
        "PurposeEnum": "careloop.clients.models.ConsentPurpose",
    })
