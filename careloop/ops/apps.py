from django.apps import AppConfig


class OpsConfig(AppConfig):
    """Wiring that spans every app: demo data, backup and restore, ``serve``, ``keys``, the home page.

    The top layer: it may import any app, and nothing imports it (STYLE.md, "The layers").
    """

    name = "careloop.ops"
    label = "ops"
