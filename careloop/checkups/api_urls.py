"""API routes of careloop.checkups, mounted under /api/v1/."""

urlpatterns: list = []
