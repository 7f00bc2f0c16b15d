"""Pages of careloop.clients."""

from django.urls import path  # noqa: F401

app_name = "clients"
urlpatterns: list = []
