from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "careloop.audit"
    label = "audit"
