from django.urls import path

from careloop.ops import views

# The name space stays "core" (`core:home`, `core:healthz`): templates and other apps reverse these names.
app_name = "core"
urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
]
