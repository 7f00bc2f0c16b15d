"""API routes of careloop.org, mounted under /api/v1/."""

urlpatterns: list = []
