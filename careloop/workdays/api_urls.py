"""API routes of careloop.workdays, mounted under /api/v1/."""

urlpatterns: list = []
