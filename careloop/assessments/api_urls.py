"""API routes of careloop.assessments, mounted under /api/v1/."""

urlpatterns: list = []
