"""Server-rendered pages, included at the site root. Auth pages are Django's views with our
templates (``templates/registration/``); the roster invitation links to
``password_reset_confirm``."""

from django.contrib.auth import views as auth_views
from django.urls import path, re_path

from tracker.web.forms import SignInForm
from tracker.web.views import (
    calendar,
    capstone,
    common,
    graduation,
    learner,
    links,
    mentor,
    password,
    preferences,
    staff,
    tokens,
    two_factor,
    webhooks,
)

urlpatterns = [
    path("", common.home, name="home"),
    path(
        "login/",
        auth_views.LoginView.as_view(
            redirect_authenticated_user=True, authentication_form=SignInForm
        ),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password-change/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path(
        "password-change/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    # Rate-limited per address and per client (tracker.security.ratelimit).
    path("password-reset/", password.PasswordResetView.as_view(), name="password_reset"),
    path(
        "password-reset/done/",
        auth_views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "reset/done/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    # Learner
    path("learner/", learner.learner_home, name="learner_home"),
    path("learner/log/", learner.log_progress, name="learner_log"),
    path("learner/submit/", learner.submit_work, name="learner_submit"),
    path("learner/help/", learner.ask_for_help, name="learner_help"),
    path("learner/logs/<int:pk>/edit/", learner.edit_log, name="learner_log_edit"),
    path("learner/logs/<int:pk>/delete/", learner.delete_log, name="learner_log_delete"),
    path(
        "notifications/<int:pk>/read/",
        common.mark_notification_read,
        name="notification_read",
    ),
    path("calendar/rotate/", common.rotate_calendar, name="calendar_rotate"),
    # The private feed (the token is its only credential; tracker.calendar builds it).
    re_path(
        r"^calendar/(?P<token>[A-Za-z0-9_-]{1,64})\.ics$",
        calendar.calendar_feed,
        name="calendar-feed",
    ),
    path("preferences/", preferences.preferences_page, name="preferences"),
    # Issue 14: the second factor after the password, enrolment, and the caller's API tokens.
    path("login/two-factor/", two_factor.two_factor_verify, name="two_factor_verify"),
    path("security/two-factor/", two_factor.two_factor_setup, name="two_factor_setup"),
    path("security/tokens/", tokens.api_tokens, name="api_tokens"),
    path("security/tokens/<int:pk>/revoke/", tokens.api_token_revoke, name="api_token_revoke"),
    # Stable addresses that notifications and emails link to; each sends the caller to the
    # page showing that thing for their role (tracker/notifications/ builds them).
    path("enrollments/<int:pk>/", links.enrollment_link, name="enrollment_link"),
    path("submissions/<int:pk>/", links.submission_link, name="submission_link"),
    path("sessions/<int:pk>/", links.session_link, name="session_link"),
    path("reviews/queue/", links.review_queue_link, name="review_queue_link"),
    # Certificates: the PDF (the learner, their mentor, staff) and the public verification page
    # (the unguessable code is its only key; tracker.graduation).
    path("certificates/<int:pk>/pdf/", graduation.certificate_download, name="certificate_pdf"),
    re_path(
        r"^verify/(?P<code>[A-Za-z0-9_-]{1,64})$",
        graduation.certificate_verify,
        name="certificate_verify",
    ),
    # Mentor
    path("mentor/", mentor.mentor_home, name="mentor_home"),
    path("mentor/reviews/<int:pk>/", mentor.review_submission, name="mentor_review"),
    path("mentor/sessions/", mentor.schedule_session, name="session_schedule"),
    path("mentor/sessions/<int:pk>/", mentor.log_session, name="session_log"),
    path("mentor/help/<int:pk>/answer/", mentor.answer_help, name="help_answer"),
    path(
        "mentor/enrollments/<int:pk>/graduation/",
        graduation.graduation_checklist_page,
        name="graduation_checklist",
    ),
    # Staff
    path("staff/cohorts/", staff.cohorts, name="staff_cohorts"),
    path("staff/cohorts/<int:pk>/", staff.cohort_detail, name="cohort_detail"),
    path("staff/cohorts/<int:pk>/roster/", staff.cohort_roster, name="cohort_roster"),
    path("staff/enrollments/<int:pk>/", staff.enrollment_detail, name="enrollment_detail"),
    path("staff/enrollments/<int:pk>/pair/", staff.enrollment_pair, name="enrollment_pair"),
    path("staff/enrollments/<int:pk>/pause/", staff.enrollment_pause_view, name="enrollment_pause"),
    path(
        "staff/enrollments/<int:pk>/status/",
        staff.enrollment_status,
        name="enrollment_status",
    ),
    path(
        "staff/certificates/<int:pk>/revoke/",
        staff.certificate_revoke_view,
        name="certificate_revoke",
    ),
    path(
        "staff/cohorts/<int:pk>/capstones/",
        capstone.cohort_capstones_page,
        name="cohort_capstones",
    ),
    # The capstone's live-model check (learner, their mentor, staff; POST: check now).
    path("capstone/<int:pk>/", capstone.capstone_check, name="capstone_check"),
    path("capstone/<int:pk>/examples/", capstone.capstone_examples, name="capstone_examples"),
    path("staff/programs/", staff.programs, name="staff_programs"),
    path("staff/webhooks/", webhooks.webhooks, name="staff_webhooks"),
    path("staff/webhooks/<int:pk>/toggle/", webhooks.webhook_toggle, name="webhook_toggle"),
    path("staff/webhooks/<int:pk>/delete/", webhooks.webhook_delete, name="webhook_delete"),
    path(
        "staff/webhooks/<int:pk>/deliveries/<int:delivery_pk>/redeliver/",
        webhooks.webhook_redeliver,
        name="webhook_redeliver",
    ),
    path(
        "staff/programs/<int:pk>/insights/",
        staff.program_insights_page,
        name="program_insights",
    ),
]
