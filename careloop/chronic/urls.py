from django.urls import path

from careloop.chronic import views

app_name = "chronic"
urlpatterns = [
    path("", views.worklist, name="worklist"),
    path("clients/<int:pk>/", views.client_page, name="client"),
    path("clients/<int:pk>/plans/", views.plan_create, name="plan-create"),
    path("clients/<int:pk>/logs/", views.log_create, name="log-create"),
    path("clients/<int:pk>/self-link/", views.self_link_create, name="self-link-create"),
    path("import/", views.import_page, name="import"),
    path("me/<str:token>/", views.self_entry, name="self-entry"),
]
