from django.apps import AppConfig


class FollowupsConfig(AppConfig):
    name = "careloop.followups"
    label = "followups"
