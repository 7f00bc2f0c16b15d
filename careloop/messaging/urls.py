"""Pages of careloop.messaging, under /messages/."""

from django.urls import path

from careloop.messaging import views

app_name = "messaging"
urlpatterns = [
    path("", views.operations, name="operations"),
    path("<int:pk>/<str:action>/", views.message_action, name="message-action"),
    path("templates/", views.template_list, name="templates"),
    path("templates/<int:pk>/", views.template_edit, name="template-edit"),
    path("letters/<str:day>/", views.letters, name="letters"),
    path("webhooks/", views.webhook_list, name="webhooks"),
    path("webhooks/new/", views.webhook_new, name="webhook-new"),
    path("webhooks/<int:pk>/", views.webhook_detail, name="webhook"),
    path("webhooks/<int:pk>/<str:action>/", views.webhook_action, name="webhook-action"),
]
