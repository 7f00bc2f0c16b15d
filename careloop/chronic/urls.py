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
    path("clients/<int:pk>/health-plan/", views.health_plan_page, name="health-plan"),
    path("clients/<int:pk>/health-plan/create/", views.health_plan_create_view, name="health-plan-create"),
    path("clients/<int:pk>/health-plan/adjust/", views.adjustment_request_view, name="adjustment-request"),
    path("adjustments/", views.adjustments_page, name="adjustments"),
    path("adjustments/<int:pk>/review/", views.adjustment_review_view, name="adjustment-review"),
    path("adjustments/<int:pk>/letter.pdf", views.adjustment_letter, name="adjustment-letter"),
    path("diet/", views.diet_home, name="diet-home"),
    path("diet/clients/<int:pk>/", views.diet_plan_create_view, name="diet-plan-create"),
    path("diet/<int:pk>/", views.diet_plan_page, name="diet-plan"),
    path("clients/<int:pk>/referrals/", views.referral_create_view, name="referral-create"),
    path("screening/", views.screening_page, name="screening"),
    path("screening/<int:pk>/enrol/", views.screening_enrol_view, name="screening-enrol"),
]
