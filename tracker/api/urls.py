"""API routes (one router under /api/v1/)."""

urlpatterns: list = []
