from django.apps import AppConfig


class WorkdaysConfig(AppConfig):
    name = "careloop.workdays"
    label = "workdays"
