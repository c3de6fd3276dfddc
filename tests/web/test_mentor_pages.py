import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from mentors.models import MentorSession, Review
from tests.learners.factories import HelpRequestFactory, ProgressLogFactory, SubmissionFactory
from tests.mentors.factories import MentorSessionFactory, ReviewFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def mentor_client(client, world):
    client.force_login(world.mentor.user)
    return client


def test_dashboard_lists_only_my_learners(mentor_client, world):
    response = mentor_client.get(reverse("mentor_home"))
    assert response.status_code == 200
    body = response.content.decode()
    assert 'data-learner="lena"' in body
    assert 'data-learner="otto"' not in body
    assert 'role="progressbar"' in body


def test_learners_sort_by_pace_last_activity_and_next_due(mentor_client, world):
    from tests.learners.factories import EnrollmentFactory, LearnerFactory
    from tests.mentors.factories import PairingFactory

    second = EnrollmentFactory(
        cohort=world.cohort, learner=LearnerFactory(username="zed", first_name="Zed", last_name="Z")
    )
    PairingFactory(enrollment=second, mentor=world.mentor)
    # Zed logged today; Lena never did: by last activity, Lena (never) comes first.
    ProgressLogFactory(enrollment=second, module=world.module)
    for sort in ("pace", "last_activity", "next_due", "name"):
        response = mentor_client.get(reverse("mentor_home") + f"?sort={sort}")
        assert response.status_code == 200
        assert f'href="?sort={sort}"' in response.content.decode()
    body = mentor_client.get(reverse("mentor_home") + "?sort=last_activity").content.decode()
    assert body.index('data-learner="lena"') < body.index('data-learner="zed"')
    by_name = mentor_client.get(reverse("mentor_home") + "?sort=name").content.decode()
    assert by_name.index('data-learner="lena"') < by_name.index('data-learner="zed"')
    assert mentor_client.get(reverse("mentor_home") + "?sort=bogus").status_code == 200


def test_review_queue_oldest_first_with_waiting_time(mentor_client, world):
    now = timezone.now()
    older = SubmissionFactory(
        enrollment=world.enrollment,
        assignment=world.exercise,
        submitted_at=now - dt.timedelta(days=3),
    )
    newer = SubmissionFactory(
        enrollment=world.enrollment,
        assignment=world.project,
        submitted_at=now - dt.timedelta(hours=2),
    )
    SubmissionFactory(enrollment=world.other_enrollment, assignment=world.exercise)
    body = mentor_client.get(reverse("mentor_home")).content.decode()
    queue = body[body.index('id="review-queue"') :]
    assert queue.index(reverse("mentor_review", args=[older.pk])) < queue.index(
        reverse("mentor_review", args=[newer.pk])
    )
    assert "waiting 3" in queue and "day" in queue
    assert body.count("/mentor/reviews/") == 2


def test_review_page_saves_rubric_scores_and_verdict(mentor_client, world):
    submission = SubmissionFactory(enrollment=world.enrollment, assignment=world.exercise)
    url = reverse("mentor_review", args=[submission.pk])
    page = mentor_client.get(url).content.decode()
    correctness, clarity = world.criteria
    assert f'name="score_{correctness.pk}"' in page and "Clarity (0 to 3)" in page
    response = mentor_client.post(
        url,
        {
            "verdict": "approved",
            "feedback": "Well done",
            f"score_{correctness.pk}": 4,
            f"score_{clarity.pk}": 3,
        },
    )
    assert response.status_code == 302
    review = Review.objects.get(submission=submission)
    assert review.scores == {str(correctness.pk): 4, str(clarity.pk): 3}
    submission.refresh_from_db()
    assert submission.status == "approved"


def test_review_score_out_of_range_shows_error_on_that_criterion(mentor_client, world):
    submission = SubmissionFactory(enrollment=world.enrollment, assignment=world.exercise)
    _correctness, clarity = world.criteria
    response = mentor_client.post(
        reverse("mentor_review", args=[submission.pk]),
        {"verdict": "approved", "feedback": "typed feedback", f"score_{clarity.pk}": 9},
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert f'id="id_score_{clarity.pk}_error"' in body
    assert "typed feedback" in body
    assert not Review.objects.exists()


def test_review_missing_feedback_is_a_field_error(mentor_client, world):
    submission = SubmissionFactory(enrollment=world.enrollment, assignment=world.exercise)
    response = mentor_client.post(
        reverse("mentor_review", args=[submission.pk]), {"verdict": "approved", "feedback": ""}
    )
    assert 'id="id_feedback_error"' in response.content.decode()


def test_review_page_shows_earlier_versions_and_their_reviews(mentor_client, world):
    first = SubmissionFactory(
        enrollment=world.enrollment,
        assignment=world.exercise,
        status="changes_requested",
        submitted_at=timezone.now() - dt.timedelta(days=5),
    )
    ReviewFactory(
        submission=first,
        reviewer=world.mentor.user,
        verdict="changes_requested",
        feedback="Add tests please",
    )
    second = SubmissionFactory(enrollment=world.enrollment, assignment=world.exercise, version=2)
    body = mentor_client.get(reverse("mentor_review", args=[second.pk])).content.decode()
    assert "Add tests please" in body and "v1" in body
    # The old version can no longer be reviewed.
    old = mentor_client.get(reverse("mentor_review", args=[first.pk])).content.decode()
    assert "Save review" not in old


def test_other_mentors_submission_is_404(mentor_client, world):
    submission = SubmissionFactory(enrollment=world.other_enrollment, assignment=world.exercise)
    assert mentor_client.get(reverse("mentor_review", args=[submission.pk])).status_code == 404


def test_schedule_session_and_log_outcome(mentor_client, world):
    when = (timezone.now() + dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    bad = mentor_client.post(
        reverse("session_schedule"),
        {"enrollment": world.enrollment.pk, "scheduled_at": "", "duration_minutes": 30},
    )
    assert 'id="id_scheduled_at_error"' in bad.content.decode()
    response = mentor_client.post(
        reverse("session_schedule"),
        {
            "enrollment": world.enrollment.pk,
            "scheduled_at": when,
            "duration_minutes": 45,
            "notes": "Agenda",
        },
    )
    assert response.status_code == 302
    session = MentorSession.objects.get(enrollment=world.enrollment)
    assert session.duration_minutes == 45
    past = MentorSessionFactory(
        pairing=world.enrollment.pairings.get(), scheduled_at=timezone.now() - dt.timedelta(hours=2)
    )
    logged = mentor_client.post(
        reverse("session_log", args=[past.pk]),
        {f"s{past.pk}-status": "missed", f"s{past.pk}-notes": "No show"},
    )
    assert logged.status_code == 302
    past.refresh_from_db()
    assert past.status == "missed" and past.notes == "No show"


def test_cannot_schedule_for_someone_elses_learner(mentor_client, world):
    when = (timezone.now() + dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    response = mentor_client.post(
        reverse("session_schedule"),
        {"enrollment": world.other_enrollment.pk, "scheduled_at": when, "duration_minutes": 30},
    )
    assert 'id="id_enrollment_error"' in response.content.decode()
    assert not MentorSession.objects.exists()


def test_open_help_requests_and_mark_answered(mentor_client, world):
    mine = HelpRequestFactory(enrollment=world.enrollment, message="Gradient question")
    HelpRequestFactory(enrollment=world.other_enrollment, message="Not for you")
    body = mentor_client.get(reverse("mentor_home")).content.decode()
    assert "Gradient question" in body and "Not for you" not in body
    response = mentor_client.post(reverse("help_answer", args=[mine.pk]), {"answer": "See notes"})
    assert response.status_code == 302
    mine.refresh_from_db()
    assert mine.answered_at is not None and mine.answer == "See notes"
    assert "Gradient question" not in mentor_client.get(reverse("mentor_home")).content.decode()


def test_upcoming_session_can_be_cancelled_but_not_logged_yet(mentor_client, world):
    upcoming = MentorSessionFactory(pairing=world.enrollment.pairings.get(), notes="Agenda")
    body = mentor_client.get(reverse("mentor_home")).content.decode()
    section = body[body.index('id="sessions-title"') :]
    assert "Cancel session" in section and "Log outcome" not in section
    response = mentor_client.post(
        reverse("session_log", args=[upcoming.pk]),
        {f"s{upcoming.pk}-status": "cancelled", f"s{upcoming.pk}-notes": "Agenda"},
    )
    assert response.status_code == 302
    upcoming.refresh_from_db()
    assert upcoming.status == "cancelled"
