from django.apps import AppConfig


class MessagingConfig(AppConfig):
    name = "careloop.messaging"
    label = "messaging"
    verbose_name = "消息"

    def ready(self) -> None:
        from careloop.clients import services as client_services
        from careloop.clients import timeline
        from careloop.messaging.selectors import timeline_entries
        from careloop.messaging.services import consent_withdrawn_hook

        if consent_withdrawn_hook not in client_services.CONSENT_WITHDRAWN_HOOKS:
            client_services.CONSENT_WITHDRAWN_HOOKS.append(consent_withdrawn_hook)
        timeline.register("messaging.messages", timeline_entries)
