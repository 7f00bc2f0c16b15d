"""API routes of careloop.accounts, mounted under /api/v1/."""

urlpatterns: list = []
