"""API routes of careloop.messaging, mounted under /api/v1/."""

urlpatterns: list = []
