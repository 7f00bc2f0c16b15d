from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "careloop.accounts"
    label = "accounts"
