"""API routes of careloop.clients, mounted under /api/v1/."""

urlpatterns: list = []
