from django.apps import AppConfig


class OrgConfig(AppConfig):
    name = "careloop.org"
    label = "org"
