from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

API_APPS = ["core", "accounts", "org", "audit", "stats", "clients", "workdays", "messaging", "followups", "checkups",
            "assessments", "chronic", "plans", "crm", "servicedesk", "quality", "fhir"]
PAGE_APPS = {
    "ops": "",
    "accounts": "accounts/",
    "org": "org/",
    "audit": "audit/",
    "clients": "clients/",
    "workdays": "workdays/",
    "messaging": "messages/",
    "followups": "followups/",
    "checkups": "checkups/",
    "assessments": "assessments/",
    "plans": "plans/",
    "crm": "crm/",
    "stats": "stats/",
    "servicedesk": "desk/",
    "chronic": "chronic/",
    "quality": "supervision/",
}

api_patterns: list[URLPattern | URLResolver] = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api:schema"), name="docs"),
]
for _app in API_APPS:
    api_patterns.append(path("", include(f"careloop.{_app}.api_urls")))

urlpatterns = [
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", include((api_patterns, "api"), namespace=None)),
]
for _app, _prefix in PAGE_APPS.items():
    urlpatterns.append(path(_prefix, include(f"careloop.{_app}.urls")))

handler404 = "careloop.ops.views.not_found"
handler500 = "careloop.ops.views.server_error"
