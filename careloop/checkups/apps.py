from django.apps import AppConfig


class CheckupsConfig(AppConfig):
    name = "careloop.checkups"
    label = "checkups"
