from django.apps import AppConfig


class MessagingConfig(AppConfig):
    name = "careloop.messaging"
    label = "messaging"
