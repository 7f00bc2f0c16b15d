"""Pages of careloop.workdays."""

from django.urls import path  # noqa: F401

app_name = "workdays"
urlpatterns: list = []
