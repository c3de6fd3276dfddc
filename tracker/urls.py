"""The project's routes: the admin, the health check, the metrics, the API under ``/api/`` and
the pages (the calendar feed included) at the root."""

from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from .health import healthz
from .observability.views import metrics

# A database outage raised outside a view is a 503 too (tracker/security/outage.py).
handler500 = "tracker.security.outage.server_error"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("healthz", healthz, name="healthz"),
    path("metrics", metrics, name="metrics"),
    path("api/", include("tracker.api.urls")),
    # Single sign-on (django-allauth). Its own password pages are the ones Stride already has
    # (/login/ with the lockout, /password-reset/ with its rate limits), so they send there;
    # there is no self sign-up (tracker/security/sso/adapters.py). Addresses are set by staff
    # (the roster, the admin): single sign-on matches people by them, so allauth's page for
    # adding and choosing one's own addresses is not offered.
    path("accounts/login/", RedirectView.as_view(pattern_name="login", query_string=True)),
    path("accounts/signup/", RedirectView.as_view(pattern_name="login")),
    path("accounts/password/reset/", RedirectView.as_view(pattern_name="password_reset")),
    path("accounts/password/change/", RedirectView.as_view(pattern_name="password_change")),
    path("accounts/email/", RedirectView.as_view(pattern_name="preferences")),
    path("accounts/", include("allauth.urls")),
    path("", include("tracker.web.urls")),
]
