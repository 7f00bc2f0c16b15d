from django.urls import path

from careloop.ops import health, metrics, views

# The name space stays "core" (`core:home`, `core:healthz`): templates and other apps reverse these names.
app_name = "core"
urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("metrics", metrics.metrics_view, name="metrics"),
    path("ops/alerts/", views.alerts, name="ops_alerts"),
    path("ops/alerts/<int:pk>/resolve/", views.alert_resolve, name="ops_alert_resolve"),
]
