import re

import pytest
from django.urls import reverse
from django.utils import timezone

from learners.models import HelpRequest, ProgressLog, Submission
from tests.learners.factories import SubmissionFactory
from tests.mentors.factories import MentorSessionFactory, ReviewFactory
from tracker.models import Notification, UserPreferences
from tracker.notifications import calendar_token_rotate

pytestmark = pytest.mark.django_db


def test_dashboard_shows_progress_bar_pace_and_calendar_link(learner_client, world):
    response = learner_client.get(reverse("learner_home"))
    assert response.status_code == 200
    body = response.content.decode()
    assert 'role="progressbar"' in body
    assert 'aria-valuemin="0"' in body and 'aria-valuemax="100"' in body
    assert 'aria-label="Overall progress"' in body
    assert "bar-expected" in body  # the expected position is marked
    assert "badge pace-" in body
    assert "Python for ML" in body and "Deep learning" in body
    # No feed yet: the page offers to create one and, being a read, stores no token.
    assert "Create my calendar link" in body and ".ics" not in body
    assert not UserPreferences.objects.filter(user=world.learner).exists()
    learner_client.post(reverse("calendar_rotate"))
    token = UserPreferences.objects.get(user=world.learner).calendar_token
    body = learner_client.get(reverse("learner_home")).content.decode()
    assert f"/calendar/{token}.ics" in body and "Replace the link" in body
    # No inline script or style: a strict CSP comes later.
    assert "<script>" not in body and "style=" not in body and "onclick" not in body


def test_dashboard_says_why_a_learner_is_behind(learner_client, world):
    response = learner_client.get(reverse("learner_home"))
    body = response.content.decode()
    # Four weeks in with nothing approved and an overdue exercise: not on track.
    assert 'data-pace="on_track"' not in body and 'data-pace="ahead"' not in body
    assert "behind where the schedule expects" in body or "No progress has been logged" in body


def test_log_progress_full_post_redirects_and_saves(learner_client, world):
    response = learner_client.post(
        reverse("learner_log"),
        {"module": world.module.pk, "logged_on": timezone.now().date(), "minutes": 45, "note": "x"},
    )
    assert response.status_code == 302
    log = ProgressLog.objects.get(enrollment=world.enrollment)
    assert log.minutes == 45


def test_log_progress_zero_minutes_shows_error_in_place_and_keeps_input(learner_client, world):
    response = learner_client.post(
        reverse("learner_log"),
        {
            "module": world.module.pk,
            "logged_on": timezone.now().date(),
            "minutes": 0,
            "note": "kept",
        },
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert 'id="id_minutes_error"' in body
    # The input points screen readers at that list (Django's own id for it).
    assert re.search(r'<input[^>]*name="minutes"[^>]*aria-describedby="id_minutes_error"', body)
    assert "kept" in body
    assert not ProgressLog.objects.exists()


def test_log_progress_by_htmx_returns_the_partial(learner_client, world):
    response = learner_client.post(
        reverse("learner_log"),
        {"module": world.module.pk, "logged_on": timezone.now().date(), "minutes": 30},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="log-progress">')
    assert "Logged 30 minutes" in body
    assert "<html" not in body


def test_log_in_the_future_is_refused_by_the_service(learner_client, world):
    tomorrow = timezone.now().date() + timezone.timedelta(days=2)
    response = learner_client.post(
        reverse("learner_log"),
        {"module": world.module.pk, "logged_on": tomorrow, "minutes": 30},
        headers={"HX-Request": "true"},
    )
    assert "errorlist" in response.content.decode()
    assert not ProgressLog.objects.exists()


def test_submit_work_creates_a_version(learner_client, world):
    response = learner_client.post(
        reverse("learner_submit"),
        {"assignment": world.exercise.pk, "url": "https://github.com/lena/drills", "note": "v1"},
    )
    assert response.status_code == 302
    submission = Submission.objects.get(enrollment=world.enrollment)
    assert submission.version == 1 and submission.status == "submitted"


def test_submit_work_bad_url_and_waiting_version_show_errors(learner_client, world):
    bad = learner_client.post(
        reverse("learner_submit"), {"assignment": world.exercise.pk, "url": "ftp://nope"}
    )
    assert bad.status_code == 200
    assert 'id="id_url_error"' in bad.content.decode()
    assert "ftp://nope" in bad.content.decode()
    SubmissionFactory(enrollment=world.enrollment, assignment=world.exercise)
    again = learner_client.post(
        reverse("learner_submit"),
        {"assignment": world.exercise.pk, "url": "https://github.com/lena/drills-2"},
    )
    assert again.status_code == 200
    assert "errorlist" in again.content.decode()
    assert Submission.objects.count() == 1


def test_final_milestone_option_is_marked_for_the_deployment_field(learner_client, world):
    body = learner_client.get(reverse("learner_home")).content.decode()
    assert f'value="{world.final.pk}" data-final-milestone="true"' in body
    assert "data-deployment-field" in body


def test_feedback_with_rubric_scores_and_next_session_are_shown(learner_client, world):
    submission = SubmissionFactory(
        enrollment=world.enrollment, assignment=world.exercise, status="approved"
    )
    correctness, clarity = world.criteria
    ReviewFactory(
        submission=submission,
        reviewer=world.mentor.user,
        feedback="Nicely vectorised.",
        scores={str(correctness.pk): 4, str(clarity.pk): 2},
    )
    MentorSessionFactory(pairing=world.enrollment.pairings.get())
    body = learner_client.get(reverse("learner_home")).content.decode()
    assert "Nicely vectorised." in body
    assert "Correctness" in body and "4 / 4" in body and "2 / 3" in body
    assert "None scheduled" not in body


def test_ask_for_help(learner_client, world):
    empty = learner_client.post(reverse("learner_help"), {"message": ""})
    assert 'id="id_message_error"' in empty.content.decode()
    response = learner_client.post(reverse("learner_help"), {"message": "Stuck on backprop"})
    assert response.status_code == 302
    assert HelpRequest.objects.get(enrollment=world.enrollment).message == "Stuck on backprop"


def test_mark_notification_read(learner_client, world):
    note = Notification.objects.create(
        recipient=world.learner,
        kind="due_soon",
        subject="NumPy drills due soon",
        body="b",
        dedupe_key="t-1",
        created_at=timezone.now(),
    )
    body = learner_client.get(reverse("learner_home")).content.decode()
    assert "NumPy drills due soon" in body
    response = learner_client.post(
        reverse("notification_read", args=[note.pk]), {"next": "https://evil.example/"}
    )
    assert response.status_code == 302 and response.url == reverse("home")
    note.refresh_from_db()
    assert note.read_at is not None


def test_someone_elses_notification_is_404(learner_client, world):
    note = Notification.objects.create(
        recipient=world.other_learner,
        kind="due_soon",
        subject="s",
        body="b",
        dedupe_key="t-2",
        created_at=timezone.now(),
    )
    assert learner_client.post(reverse("notification_read", args=[note.pk])).status_code == 404


def test_other_learners_enrollment_is_404(learner_client, world):
    url = reverse("learner_home") + f"?enrollment={world.other_enrollment.pk}"
    assert learner_client.get(url).status_code == 404


def test_forms_need_csrf(world):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(world.learner)
    response = strict.post(reverse("learner_help"), {"message": "hi"})
    assert response.status_code == 403


def test_learner_cannot_open_mentor_or_staff_pages(learner_client, world):
    assert learner_client.get(reverse("mentor_home")).status_code == 403
    assert learner_client.get(reverse("staff_cohorts")).status_code == 403


def test_user_without_enrollment_sees_welcome(client, db):
    from tests.curriculum.factories import UserFactory

    client.force_login(UserFactory(username="nobody"))
    response = client.get(reverse("learner_home"))
    assert response.status_code == 200
    assert b"not enrolled" in response.content


def test_calendar_link_can_be_replaced(learner_client, world):
    old = calendar_token_rotate(actor=world.learner).calendar_token
    assert learner_client.get(f"/calendar/{old}.ics").status_code == 200
    response = learner_client.post(reverse("calendar_rotate"))
    assert response.status_code == 302
    new = UserPreferences.objects.get(user=world.learner).calendar_token
    assert new != old
    body = learner_client.get(reverse("learner_home")).content.decode()
    assert f"/calendar/{new}.ics" in body
    assert learner_client.get(f"/calendar/{old}.ics").status_code == 404
