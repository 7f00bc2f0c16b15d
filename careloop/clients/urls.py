"""Pages of careloop.clients."""

from django.urls import path

from careloop.clients import views

app_name = "clients"
urlpatterns = [
    path("", views.client_list, name="list"),
    path("new/", views.client_create, name="create"),
    path("<int:pk>/", views.client_detail, name="detail"),
    path("<int:pk>/edit/", views.client_edit, name="edit"),
    path("<int:pk>/reveal/", views.client_reveal, name="reveal"),
    path("<int:pk>/status/", views.client_status, name="status"),
    path("<int:pk>/assign/", views.client_assign, name="assign"),
    path("<int:pk>/consents/", views.client_consent, name="consent"),
    path("enterprises/", views.enterprise_list, name="enterprise_list"),
    path("enterprises/new/", views.enterprise_create, name="enterprise_create"),
    path("enterprises/<int:pk>/", views.enterprise_detail, name="enterprise_detail"),
    path("enterprises/<int:pk>/members/", views.enterprise_add_member, name="enterprise_add_member"),
]
