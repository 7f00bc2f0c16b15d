"""API routes of careloop.messaging, mounted under /api/v1/."""

from django.urls import path

from careloop.messaging import api

urlpatterns = [
    path("messages/", api.MessageListCreate.as_view(), name="message-list"),
    path("messages/health/", api.QueueHealthView.as_view(), name="message-health"),
    path("messages/receipts/", api.ReceiptCallback.as_view(), name="message-receipts"),
    path("messages/subscriptions/", api.SubscriptionView.as_view(), name="message-subscriptions"),
    path("messages/<int:pk>/", api.MessageDetail.as_view(), name="message-detail"),
    path("messages/<int:pk>/cancel/", api.MessageCancel.as_view(), name="message-cancel"),
    path("messages/<int:pk>/resend/", api.MessageResend.as_view(), name="message-resend"),
]
