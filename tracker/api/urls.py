"""API routes: one router under /api/v1/, plus the schema and its Swagger UI."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from tracker.api.views.auth import (
    ApiTokenDetailView,
    ApiTokensView,
    ObtainTokenView,
    TokenRevokeView,
    UserTokenRevokeView,
)
from tracker.api.views.cohorts import CohortViewSet
from tracker.api.views.curriculum import AssignmentViewSet, ModuleViewSet, ProgramViewSet
from tracker.api.views.graduation import CertificateViewSet
from tracker.api.views.learners import (
    EnrollmentViewSet,
    HelpRequestViewSet,
    ProgressLogViewSet,
    SubmissionViewSet,
)
from tracker.api.views.me import CalendarTokenView, MeView, PreferencesView
from tracker.api.views.mentors import (
    MentorViewSet,
    PairingViewSet,
    ReviewViewSet,
    SessionViewSet,
)
from tracker.api.views.notifications import NotificationViewSet
from tracker.api.views.webhooks import WebhookViewSet

router = DefaultRouter(trailing_slash=True)
router.include_format_suffixes = False
router.register("programs", ProgramViewSet, basename="program")
router.register("modules", ModuleViewSet, basename="module")
router.register("assignments", AssignmentViewSet, basename="assignment")
router.register("cohorts", CohortViewSet, basename="cohort")
router.register("enrollments", EnrollmentViewSet, basename="enrollment")
router.register("progress-logs", ProgressLogViewSet, basename="progress-log")
router.register("submissions", SubmissionViewSet, basename="submission")
router.register("help-requests", HelpRequestViewSet, basename="help-request")
router.register("mentors", MentorViewSet, basename="mentor")
router.register("pairings", PairingViewSet, basename="pairing")
router.register("sessions", SessionViewSet, basename="session")
router.register("reviews", ReviewViewSet, basename="review")
router.register("notifications", NotificationViewSet, basename="notification")
router.register("certificates", CertificateViewSet, basename="certificate")
router.register("webhooks", WebhookViewSet, basename="webhook")

v1 = [
    # Token sign-in (throttled, with the lockout shared with the login page) and revocation.
    path("auth/token/", ObtainTokenView.as_view(), name="auth-token"),
    path("auth/token/revoke/", TokenRevokeView.as_view(), name="auth-token-revoke"),
    path("users/<int:pk>/revoke-tokens/", UserTokenRevokeView.as_view(), name="user-revoke-tokens"),
    # Named, hashed, expiring tokens (issue 14).
    path("auth/tokens/", ApiTokensView.as_view(), name="auth-tokens"),
    path("auth/tokens/<int:pk>/", ApiTokenDetailView.as_view(), name="auth-token-detail"),
    path("me/", MeView.as_view(), name="me"),
    path("me/preferences/", PreferencesView.as_view(), name="me-preferences"),
    path("me/calendar-token/", CalendarTokenView.as_view(), name="me-calendar-token"),
    path(
        "cohorts/<int:pk>/progress.csv",
        CohortViewSet.as_view({"get": "progress_csv"}, **CohortViewSet.progress_csv_options),
        name="cohort-progress-csv",
    ),
    path("", include(router.urls)),
]

urlpatterns = [
    path("v1/", include((v1, "api"), namespace="v1")),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
]
