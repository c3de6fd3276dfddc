"""Privileged fields sent to a writable endpoint are ignored: the caller cannot set them."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from curriculum.models import DEFAULT_GRADUATION_RULES, Program
from learners.models import Enrollment, HelpRequest, ProgressLog, Submission
from mentors.models import Mentor, MentorSession, Review
from tests.api.conftest import client_for
from tracker.models import UserPreferences


def test_learner_cannot_set_submission_status_version_or_dates(world):
    response = client_for(world.learner).post(
        "/api/v1/submissions/",
        {
            "enrollment": world.enrollment.pk,
            "assignment": world.spare_assignment.pk,
            "url": "https://github.com/ada/spare",
            "status": "approved",
            "version": 7,
            "submitted_at": "2020-01-01T00:00:00Z",
            "deployment_checks": [{"ok": True}],
        },
        format="json",
    )
    assert response.status_code == 201, response.data
    submission = Submission.objects.get(pk=response.data["id"])
    assert (submission.status, submission.version) == ("submitted", 1)
    assert submission.submitted_at.year == timezone.now().year
    assert not submission.deployment_checks.exists()


def test_learner_cannot_submit_into_another_enrollment(world):
    response = client_for(world.learner).post(
        "/api/v1/submissions/",
        {
            "enrollment": world.other_enrollment.pk,
            "assignment": world.spare_assignment.pk,
            "url": "https://github.com/ada/spare",
        },
        format="json",
    )
    assert response.status_code == 400
    assert "enrollment" in response.data
    assert not Submission.objects.filter(enrollment=world.other_enrollment).exists()


def test_learner_cannot_log_into_another_enrollment_or_set_recorded_on(world):
    client = client_for(world.learner)
    today = timezone.now().date()
    response = client.post(
        "/api/v1/progress-logs/",
        {
            "enrollment": world.enrollment.pk,
            "module": world.module.pk,
            "logged_on": today.isoformat(),
            "minutes": 30,
            "recorded_on": "2099-01-01",
            "created_at": "2000-01-01T00:00:00Z",
        },
        format="json",
    )
    assert response.status_code == 201, response.data
    log = ProgressLog.objects.get(pk=response.data["id"])
    assert log.recorded_on == today
    assert log.created_at.date() == today

    moved = client.patch(
        f"/api/v1/progress-logs/{log.pk}/",
        {"enrollment": world.other_enrollment.pk, "minutes": 20},
        format="json",
    )
    assert moved.status_code == 200
    log.refresh_from_db()
    assert (log.enrollment_id, log.minutes) == (world.enrollment.pk, 20)


def test_learner_cannot_pick_their_mentor(world):
    response = client_for(world.learner).post(
        "/api/v1/pairings/",
        {"enrollment": world.enrollment.pk, "mentor": world.mentor.pk},
        format="json",
    )
    assert response.status_code == 403
    assert world.enrollment.pairings.count() == 1


def test_staff_enrollment_writes_ignore_status_and_counters(world):
    client = client_for(world.staff)
    created = client.post(
        "/api/v1/enrollments/",
        {
            "cohort": world.cohort.pk,
            "learner": world.outsider.pk,
            "status": "graduated",
            "paused_days": 40,
        },
        format="json",
    )
    assert created.status_code == 201
    enrollment = Enrollment.objects.get(pk=created.data["id"])
    assert (enrollment.status, enrollment.paused_days) == ("active", 0)

    # Graduating keeps to the program's checklist (issue 15): this program requires nothing.
    Program.objects.filter(pk=world.program.pk).update(
        graduation_rules={code: {"on": False} for code in DEFAULT_GRADUATION_RULES}
    )
    changed = client.patch(
        f"/api/v1/enrollments/{world.enrollment.pk}/",
        {"status": "graduated", "learner": world.outsider.pk, "cohort": 999, "paused_days": 9},
        format="json",
    )
    assert changed.status_code == 200
    world.enrollment.refresh_from_db()
    assert world.enrollment.learner_id == world.learner.pk
    assert world.enrollment.paused_days == 0
    assert world.enrollment.status == "graduated"


def test_session_uses_the_active_pairing_whatever_is_sent(world):
    response = client_for(world.mentor_user).post(
        "/api/v1/sessions/",
        {
            "enrollment": world.enrollment.pk,
            "scheduled_at": (timezone.now() + dt.timedelta(days=3)).isoformat(),
            "pairing": world.other_pairing.pk,
            "mentor": world.other_mentor.pk,
        },
        format="json",
    )
    assert response.status_code == 201, response.data
    session = MentorSession.objects.get(pk=response.data["id"])
    assert session.pairing_id == world.pairing.pk

    moved = client_for(world.mentor_user).patch(
        f"/api/v1/sessions/{session.pk}/",
        {"enrollment": world.other_enrollment.pk, "pairing": world.other_pairing.pk},
        format="json",
    )
    assert moved.status_code == 200
    session.refresh_from_db()
    assert (session.enrollment_id, session.pairing_id) == (world.enrollment.pk, world.pairing.pk)


def test_review_reviewer_is_the_caller(world):
    response = client_for(world.mentor_user).post(
        f"/api/v1/submissions/{world.submission.pk}/review/",
        {
            "verdict": "changes_requested",
            "feedback": "Add tests.",
            "reviewer": world.staff.pk,
            "submission": world.reviewed_submission.pk,
            "created_at": "2000-01-01T00:00:00Z",
        },
        format="json",
    )
    assert response.status_code == 201, response.data
    review = Review.objects.get(pk=response.data["id"])
    assert (review.reviewer_id, review.submission_id) == (world.mentor_user.pk, world.submission.pk)
    assert review.created_at.year == timezone.now().year


def test_mentor_cannot_raise_their_own_capacity(world):
    capacity = world.mentor.capacity
    response = client_for(world.mentor_user).patch(
        f"/api/v1/mentors/{world.mentor.pk}/", {"capacity": 200}, format="json"
    )
    assert response.status_code == 403
    assert Mentor.objects.get(pk=world.mentor.pk).capacity == capacity


def test_mentor_create_ignores_counts_and_activity_flags(world):
    response = client_for(world.staff).post(
        "/api/v1/mentors/",
        {"user": world.outsider.pk, "capacity": 2, "active_learners": 50, "id": 999},
        format="json",
    )
    assert response.status_code == 201
    assert response.data["active_learners"] == 0
    assert response.data["id"] != 999


def test_preferences_ignore_token_and_user(world):
    client = client_for(world.learner)
    token = client.post("/api/v1/me/calendar-token/").data["calendar_url"]
    response = client.patch(
        "/api/v1/me/preferences/",
        {"timezone": "Europe/Paris", "calendar_token": "x" * 40, "user": world.staff.pk},
        format="json",
    )
    assert response.status_code == 200
    preferences = UserPreferences.objects.get(user=world.learner)
    assert preferences.timezone == "Europe/Paris"
    assert preferences.calendar_token in token
    assert not UserPreferences.objects.filter(user=world.staff, timezone="Europe/Paris").exists()


def test_help_request_cannot_be_pre_answered(world):
    response = client_for(world.learner).post(
        f"/api/v1/enrollments/{world.enrollment.pk}/help/",
        {"message": "Help", "answered_at": "2020-01-01T00:00:00Z", "answer": "Solved"},
        format="json",
    )
    assert response.status_code == 201
    help_request = HelpRequest.objects.get(pk=response.data["id"])
    assert help_request.answered_at is None and help_request.answer == ""


def test_cohort_update_cannot_move_program_or_dates_of_creation(world):
    other = world.program.__class__.objects.create(name="Other", slug="other", length_weeks=10)
    response = client_for(world.staff).patch(
        f"/api/v1/cohorts/{world.cohort.pk}/",
        {"program": other.pk, "created_at": "2000-01-01T00:00:00Z", "name": "Renamed"},
        format="json",
    )
    assert response.status_code == 200
    world.cohort.refresh_from_db()
    assert (world.cohort.program_id, world.cohort.name) == (world.program.pk, "Renamed")
    assert world.cohort.created_at.year == timezone.now().year
