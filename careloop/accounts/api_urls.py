from django.urls import path

from careloop.accounts import views

urlpatterns = [path("auth/token/", views.token_view, name="auth-token")]
