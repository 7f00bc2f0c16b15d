"""Pages of careloop.workdays."""

from django.urls import path

from careloop.workdays import views

app_name = "workdays"
urlpatterns = [path("", views.calendar_page, name="calendar")]
