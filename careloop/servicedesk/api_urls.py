"""API routes of the service desk, mounted under /api/v1/."""

from django.urls import path

from . import api

urlpatterns = [
    path("tickets/", api.TicketListView.as_view(), name="ticket-list"),
    path("tickets/<int:pk>/", api.TicketDetailView.as_view(), name="ticket-detail"),
    path("tickets/<int:pk>/answer/", api.TicketAnswerView.as_view(), name="ticket-answer"),
    path("tickets/<int:pk>/satisfaction/", api.TicketSatisfactionView.as_view(), name="ticket-satisfaction"),
    path("tickets/<int:pk>/<str:step>/", api.TicketStepView.as_view(), name="ticket-step"),
    path("surveys/", api.SurveyListView.as_view(), name="survey-list"),
]
