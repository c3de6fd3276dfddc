"""The project's routes: the admin, the health check, the metrics, the API under ``/api/`` and
the pages (the calendar feed included) at the root."""

from django.contrib import admin
from django.urls import include, path

from .health import healthz
from .observability.views import metrics

urlpatterns = [
    path("admin/", admin.site.urls),
    path("healthz", healthz, name="healthz"),
    path("metrics", metrics, name="metrics"),
    path("api/", include("tracker.api.urls")),
    path("", include("tracker.web.urls")),
]
