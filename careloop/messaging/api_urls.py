"""API routes of careloop.messaging, mounted under /api/v1/."""

from django.urls import path

from careloop.messaging import api, webhooks_api

urlpatterns = [
    path("messages/", api.MessageListCreate.as_view(), name="message-list"),
    path("messages/health/", api.QueueHealthView.as_view(), name="message-health"),
    path("messages/receipts/", api.ReceiptCallback.as_view(), name="message-receipts"),
    path("messages/subscriptions/", api.SubscriptionView.as_view(), name="message-subscriptions"),
    path("messages/<int:pk>/", api.MessageDetail.as_view(), name="message-detail"),
    path("messages/<int:pk>/cancel/", api.MessageCancel.as_view(), name="message-cancel"),
    path("messages/<int:pk>/resend/", api.MessageResend.as_view(), name="message-resend"),
]

urlpatterns += [
    path("webhooks/", webhooks_api.WebhookListCreate.as_view(), name="webhook-list"),
    path("webhooks/events/", webhooks_api.WebhookEventTypes.as_view(), name="webhook-events"),
    path("webhooks/<int:pk>/", webhooks_api.WebhookDetail.as_view(), name="webhook-detail"),
    path("webhooks/<int:pk>/deliveries/", webhooks_api.WebhookDeliveries.as_view(), name="webhook-deliveries"),
    path("webhooks/<int:pk>/test/", webhooks_api.WebhookTest.as_view(), name="webhook-test"),
    path("webhooks/<int:pk>/rotate-secret/", webhooks_api.WebhookRotateSecret.as_view(), name="webhook-rotate-secret"),
]
