"""API routes of careloop.audit, mounted under /api/v1/."""

urlpatterns: list = []
