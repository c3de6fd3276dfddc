"""The addresses that notifications and emails link to: each lands its recipient on the page
(and the row or section) showing that thing for their role, and is a 404 outside their scope."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone

from mentors.models import MentorSession
from tests.curriculum.factories import UserFactory
from tests.learners.factories import HelpRequestFactory, SubmissionFactory
from tests.mentors.factories import MentorSessionFactory, ReviewFactory
from tracker.notifications import events
from tracker.notifications.sweep import run_sweep

pytestmark = pytest.mark.django_db


def get_as(client, user, path: str):
    client.force_login(user)
    return client.get(path)


def landing(client, user, path: str) -> tuple[str, str]:
    """Follow ``path`` as ``user``: the final page's body and the anchor it was sent to."""
    client.force_login(user)
    response = client.get(path, follow=True)
    assert response.status_code == 200, (path, response.redirect_chain)
    if path == "/" and 'id="staff-home"' in response.content.decode():
        return response.content.decode(), ""  # the staff home is a page, not a redirect
    assert response.redirect_chain, f"{path} is a redirect"
    final = response.redirect_chain[-1][0]
    return response.content.decode(), urlsplit(final).fragment


def assert_lands_at(client, user, path: str, expected_path: str, anchor: str) -> str:
    response = get_as(client, user, path)
    assert response.status_code == 302
    target = urlsplit(response["Location"])
    assert target.path == expected_path
    assert target.fragment == anchor
    body, _ = landing(client, user, path)
    assert f'id="{anchor}"' in body, f"{path} lands on a page without #{anchor}"
    return response["Location"]


# --- enrollments ------------------------------------------------------------------------------
def test_enrollment_link_sends_each_role_to_its_page(client, world):
    path = f"/enrollments/{world.enrollment.pk}/"
    location = assert_lands_at(
        client, world.learner, path, reverse("learner_home"), "progress-summary"
    )
    assert f"enrollment={world.enrollment.pk}" in location
    assert_lands_at(
        client, world.mentor.user, path, reverse("mentor_home"), f"enrollment-{world.enrollment.pk}"
    )
    response = get_as(client, world.staff, path)
    assert response["Location"] == reverse("enrollment_detail", args=[world.enrollment.pk])
    assert client.get(response["Location"]).status_code == 200


def test_enrollment_link_is_a_404_outside_scope(client, world):
    path = f"/enrollments/{world.enrollment.pk}/"
    assert get_as(client, world.other_learner, path).status_code == 404
    assert get_as(client, world.other_mentor.user, path).status_code == 404
    assert get_as(client, UserFactory(username="nobody"), path).status_code == 404
    assert get_as(client, world.staff, "/enrollments/999999/").status_code == 404


def test_a_mentor_no_longer_paired_gets_a_404(client, world):
    pairing = world.enrollment.pairings.get()
    pairing.ended_at = timezone.now()
    pairing.save(update_fields=["ended_at"])
    submission = SubmissionFactory(enrollment=world.enrollment, assignment=world.exercise)
    for path in (f"/enrollments/{world.enrollment.pk}/", f"/submissions/{submission.pk}/"):
        assert get_as(client, world.mentor.user, path).status_code == 404


def test_anonymous_is_sent_to_sign_in_and_back(client, world):
    submission = SubmissionFactory(enrollment=world.enrollment, assignment=world.exercise)
    session = MentorSessionFactory(pairing=world.enrollment.pairings.get())
    for path in (
        f"/enrollments/{world.enrollment.pk}/",
        f"/submissions/{submission.pk}/",
        f"/sessions/{session.pk}/",
        "/reviews/queue/",
        "/preferences/",
    ):
        response = client.get(path)
        assert response.status_code == 302
        assert response["Location"] == f"{reverse('login')}?next={path}"


# --- submissions ------------------------------------------------------------------------------
def test_submission_link_shows_feedback_to_the_learner_and_the_review_page_to_reviewers(
    client, world
):
    submission = SubmissionFactory(enrollment=world.enrollment, assignment=world.exercise)
    ReviewFactory(submission=submission, reviewer=world.mentor.user, feedback="Tidy the plots.")
    path = f"/submissions/{submission.pk}/"
    assert_lands_at(client, world.learner, path, reverse("learner_home"), "feedback-section")
    body, _ = landing(client, world.learner, path)
    assert "Tidy the plots." in body
    for reviewer in (world.mentor.user, world.staff):
        response = get_as(client, reviewer, path)
        assert response["Location"] == reverse("mentor_review", args=[submission.pk])
        page = client.get(response["Location"])
        assert page.status_code == 200
        assert world.exercise.title in page.content.decode()


def test_submission_link_is_a_404_outside_scope(client, world):
    submission = SubmissionFactory(enrollment=world.enrollment, assignment=world.exercise)
    path = f"/submissions/{submission.pk}/"
    assert get_as(client, world.other_learner, path).status_code == 404
    assert get_as(client, world.other_mentor.user, path).status_code == 404
    assert get_as(client, world.learner, "/submissions/999999/").status_code == 404


def test_learner_with_two_enrollments_lands_on_the_right_one(client, world):
    from tests.curriculum.factories import CohortFactory
    from tests.learners.factories import EnrollmentFactory

    later = EnrollmentFactory(
        cohort=CohortFactory(program=world.program, name="Autumn"), learner=world.learner
    )
    submission = SubmissionFactory(enrollment=later, assignment=world.exercise)
    response = get_as(client, world.learner, f"/submissions/{submission.pk}/")
    assert f"enrollment={later.pk}" in response["Location"]
    body = client.get(response["Location"]).content.decode()
    assert "Autumn" in body


# --- sessions ---------------------------------------------------------------------------------
def test_session_link_opens_the_sessions_section_at_that_session(client, world):
    session = MentorSessionFactory(pairing=world.enrollment.pairings.get(), notes="Agenda: CNNs")
    path = f"/sessions/{session.pk}/"
    anchor = f"session-{session.pk}"
    assert_lands_at(client, world.learner, path, reverse("learner_home"), anchor)
    assert_lands_at(client, world.mentor.user, path, reverse("mentor_home"), anchor)
    assert_lands_at(
        client,
        world.staff,
        path,
        reverse("enrollment_detail", args=[world.enrollment.pk]),
        anchor,
    )
    body, _ = landing(client, world.learner, path)
    assert "Agenda: CNNs" in body


def test_a_decided_session_opens_the_sessions_section(client, world):
    session = MentorSessionFactory(
        pairing=world.enrollment.pairings.get(),
        scheduled_at=timezone.now() - dt.timedelta(days=1),
        status=MentorSession.Status.COMPLETED,
    )
    path = f"/sessions/{session.pk}/"
    assert_lands_at(client, world.learner, path, reverse("learner_home"), "sessions")
    assert_lands_at(client, world.mentor.user, path, reverse("mentor_home"), "sessions")


def test_session_link_is_a_404_outside_scope(client, world):
    session = MentorSessionFactory(pairing=world.enrollment.pairings.get())
    path = f"/sessions/{session.pk}/"
    assert get_as(client, world.other_learner, path).status_code == 404
    assert get_as(client, world.other_mentor.user, path).status_code == 404


# --- review queue -----------------------------------------------------------------------------
def test_review_queue_link(client, world):
    submission = SubmissionFactory(enrollment=world.enrollment, assignment=world.exercise)
    assert_lands_at(
        client, world.mentor.user, "/reviews/queue/", reverse("mentor_home"), "review-queue-section"
    )
    body, _ = landing(client, world.mentor.user, "/reviews/queue/")
    assert reverse("mentor_review", args=[submission.pk]) in body
    assert_lands_at(
        client, world.staff, "/reviews/queue/", reverse("mentor_home"), "review-queue-section"
    )
    # A learner has no queue: they land on their own home.
    response = get_as(client, world.learner, "/reviews/queue/")
    assert response["Location"] == reverse("home")


# --- the links notifications really carry -----------------------------------------------------
def test_event_notification_links_land_their_recipients_on_the_thing(client, world):
    submission = SubmissionFactory(enrollment=world.enrollment, assignment=world.exercise)
    received = events.submission_received(submission.pk)
    body, anchor = landing(client, world.mentor.user, received.link)
    assert 'name="verdict"' in body  # the review form for that very submission
    review = ReviewFactory(submission=submission, reviewer=world.mentor.user, feedback="Good.")
    ready = events.feedback_ready(review.pk)
    body, anchor = landing(client, world.learner, ready.link)
    assert anchor == "feedback-section" and 'id="feedback-section"' in body
    help_request = HelpRequestFactory(enrollment=world.enrollment, message="Stuck on backprop")
    asked = events.help_requested(help_request.pk)
    body, anchor = landing(client, world.mentor.user, asked.link)
    assert f'id="{anchor}"' in body and "Stuck on backprop" in body


def test_every_link_a_sweep_would_send_lands_its_recipient_on_a_page(client, world, clock):
    """A Monday morning sweep (digests included) with overdue work, a submission waiting five
    days for review and a session tomorrow: each reminder's link, followed by its recipient,
    ends on a page that has the anchor it points at."""
    now = timezone.now()
    monday = (now + dt.timedelta(days=(7 - now.weekday()) % 7 or 7)).replace(
        hour=10, minute=0, second=0, microsecond=0
    )
    with clock.at(monday):
        SubmissionFactory(
            enrollment=world.enrollment,
            assignment=world.project,
            submitted_at=monday - dt.timedelta(days=5),
        )
        MentorSessionFactory(
            pairing=world.enrollment.pairings.get(), scheduled_at=monday + dt.timedelta(hours=12)
        )
        result = run_sweep(dry_run=True)
        kinds = {reminder.kind for reminder in result.reminders}
        assert {"overdue", "review_waiting", "session_upcoming", "weekly_digest"} <= kinds
        users = {user.pk: user for user in get_user_model().objects.all()}
        checked = 0
        for reminder in result.reminders:
            body, anchor = landing(client, users[reminder.recipient_id], reminder.link)
            if anchor:
                assert f'id="{anchor}"' in body, (reminder.kind, reminder.link, anchor)
            checked += 1
        assert checked == len(result.reminders) >= 6
