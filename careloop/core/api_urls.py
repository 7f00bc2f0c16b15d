"""API routes of careloop.core, mounted under /api/v1/."""

urlpatterns: list = []
