"""API routes of careloop.followups, mounted under /api/v1/."""

urlpatterns: list = []
