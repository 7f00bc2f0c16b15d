"""Pages of careloop.checkups."""

from django.urls import path

from careloop.checkups import views

app_name = "checkups"
urlpatterns = [
    path("", views.worklist_view, name="worklist"),
    path("imports/", views.imports_view, name="imports"),
    path("imports/<int:pk>/", views.import_detail_view, name="import_detail"),
    path("mappings/", views.mapping_view, name="mapping"),
    path("client/<int:client_id>/", views.client_checkups_view, name="client"),
    path("alerts/<int:pk>/ack/", views.alert_ack_view, name="alert_ack"),
    path("deliveries/<int:pk>/", views.delivery_record_view, name="delivery_record"),
    path("interpretations/<int:pk>/", views.interpretation_done_view, name="interpretation_done"),
]
