from django.urls import path

from careloop.accounts import views

app_name = "accounts"
urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("login/code/", views.login_code_view, name="login_code"),
    path("logout/", views.logout_view, name="logout"),
    path("two-step/", views.totp_setup_view, name="totp_setup"),
]
