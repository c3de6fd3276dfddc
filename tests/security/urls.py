"""The site's URLs with the security routes the lead is asked to wire in (see the report):
``ObtainTokenView`` at ``/api/v1/auth/token/`` and ``tracker.security.api`` under ``/api/v1/``.
Routes listed first win, so once the lead wires them the tests check the same thing."""

from django.urls import include, path

from tracker.security.views import ObtainTokenView

urlpatterns = [
    path("api/v1/auth/token/", ObtainTokenView.as_view(), name="security-auth-token"),
    path("api/v1/", include("tracker.security.api")),
    path("", include("tracker.urls")),
]
