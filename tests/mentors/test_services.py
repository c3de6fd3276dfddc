import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from learners.models import Submission
from mentors import services, signals
from mentors.models import Mentor, MentorSession, Pairing, Review
from tests.curriculum.factories import (
    AssignmentFactory,
    RubricCriterionFactory,
    StaffFactory,
    UserFactory,
)
from tests.learners.factories import EnrollmentFactory, LearnerFactory, SubmissionFactory
from tests.mentors.factories import (
    MentorFactory,
    MentorSessionFactory,
    MentorUserFactory,
    PairingFactory,
)
from tests.world import NOW

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff():
    return StaffFactory()


def errors_of(excinfo) -> dict:
    return excinfo.value.message_dict


class Received:
    def __init__(self, signal):
        self.signal = signal
        self.calls: list[dict] = []

    def __call__(self, sender, **kwargs):
        kwargs.pop("signal", None)
        self.calls.append(kwargs)

    def __enter__(self):
        self.signal.connect(self, weak=False)
        return self

    def __exit__(self, *exc):
        self.signal.disconnect(self)


# --- Mentors ----------------------------------------------------------------------------------


def test_mentor_create(staff):
    user = MentorUserFactory()
    mentor = services.mentor_create(
        actor=staff,
        user=user,
        capacity=5,
        expertise=["Deep Learning", " NLP ", "deep  learning"],
        timezone="America/New_York",
        bio="Ten years of MLOps",
    )
    assert Mentor.objects.get(pk=mentor.pk).expertise == ["deep learning", "nlp"]


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"capacity": 201}, "capacity"),
        ({"capacity": -1}, "capacity"),
        ({"timezone": "Moon/Base"}, "timezone"),
        ({"expertise": "python"}, "expertise"),
        ({"expertise": ["ok", ""]}, "expertise"),
        ({"expertise": ["x" * 51]}, "expertise"),
    ],
)
def test_mentor_create_field_errors(staff, kwargs, field):
    values = {"capacity": 4, **kwargs}
    with pytest.raises(ValidationError) as excinfo:
        services.mentor_create(actor=staff, user=MentorUserFactory(), **values)
    assert field in errors_of(excinfo)
    assert not Mentor.objects.exists()


def test_mentor_create_refusals(staff):
    mentor = MentorFactory()
    with pytest.raises(ValidationError) as excinfo:
        services.mentor_create(actor=staff, user=mentor.user, capacity=3)
    assert "user" in errors_of(excinfo)
    with pytest.raises(PermissionDenied):
        services.mentor_create(actor=mentor.user, user=UserFactory(), capacity=3)
    assert Mentor.objects.count() == 1


def test_mentor_update_by_self_and_staff(staff):
    mentor = MentorFactory(capacity=2)
    services.mentor_update(actor=mentor.user, mentor=mentor, bio="Hello", expertise=["MLOps"])
    assert (mentor.bio, mentor.expertise) == ("Hello", ["mlops"])
    with pytest.raises(PermissionDenied):
        services.mentor_update(actor=mentor.user, mentor=mentor, capacity=50)
    with pytest.raises(PermissionDenied):
        services.mentor_update(actor=MentorFactory().user, mentor=mentor, bio="Hijacked")
    PairingFactory(mentor=mentor)
    PairingFactory(mentor=mentor)
    with pytest.raises(ValidationError) as excinfo:
        services.mentor_update(actor=staff, mentor=mentor, capacity=1)
    assert "capacity" in errors_of(excinfo)
    with pytest.raises(ValidationError) as excinfo:
        services.mentor_update(actor=staff, mentor=mentor, user=staff)
    assert "user" in errors_of(excinfo)
    services.mentor_update(actor=staff, mentor=mentor, capacity=3, is_active=False)
    fresh = Mentor.objects.get(pk=mentor.pk)
    assert (fresh.capacity, fresh.is_active, fresh.bio) == (3, False, "Hello")


# --- Pairings ---------------------------------------------------------------------------------


def test_pairing_assign_and_repair_keeps_history(staff, django_capture_on_commit_callbacks):
    enrollment = EnrollmentFactory()
    first, second = MentorFactory(), MentorFactory()
    with (
        Received(signals.pairing_changed) as received,
        django_capture_on_commit_callbacks(execute=True),
    ):
        old = services.pairing_assign(actor=staff, enrollment=enrollment, mentor=first)
        new = services.pairing_assign(actor=staff, enrollment=enrollment, mentor=second)
    old.refresh_from_db()
    assert old.ended_at is not None and old.end_reason
    assert new.is_active and new.created_by == staff
    assert Pairing.objects.filter(enrollment=enrollment).count() == 2
    assert len(received.calls) == 3  # old started, old ended, new started


def test_pairing_assign_capacity_message(staff):
    mentor = MentorFactory(capacity=1)
    PairingFactory(mentor=mentor)
    enrollment = EnrollmentFactory()
    with pytest.raises(ValidationError) as excinfo:
        services.pairing_assign(actor=staff, enrollment=enrollment, mentor=mentor)
    assert errors_of(excinfo)["mentor"] == [f"{mentor} is at capacity (1/1)."]
    assert not Pairing.objects.filter(enrollment=enrollment).exists()


def test_pairing_assign_ended_pairings_free_seats(staff):
    mentor = MentorFactory(capacity=1)
    from django.utils import timezone

    PairingFactory(mentor=mentor, ended_at=timezone.now())
    assert services.pairing_assign(actor=staff, enrollment=EnrollmentFactory(), mentor=mentor)


@pytest.mark.parametrize("status", ["withdrawn", "graduated"])
def test_pairing_assign_refuses_closed_enrollments(staff, status):
    enrollment = EnrollmentFactory(status=status)
    with pytest.raises(ValidationError) as excinfo:
        services.pairing_assign(actor=staff, enrollment=enrollment, mentor=MentorFactory())
    assert "enrollment" in errors_of(excinfo)
    assert not Pairing.objects.exists()


def test_pairing_assign_paused_enrollment_allowed(staff):
    enrollment = EnrollmentFactory(status="paused")
    assert services.pairing_assign(actor=staff, enrollment=enrollment, mentor=MentorFactory())


def test_pairing_assign_refusals(staff):
    enrollment = EnrollmentFactory()
    inactive = MentorFactory(is_active=False)
    with pytest.raises(ValidationError) as excinfo:
        services.pairing_assign(actor=staff, enrollment=enrollment, mentor=inactive)
    assert "mentor" in errors_of(excinfo)
    mentor = MentorFactory()
    current = PairingFactory(enrollment=enrollment, mentor=mentor)
    with pytest.raises(ValidationError) as excinfo:
        services.pairing_assign(actor=staff, enrollment=enrollment, mentor=mentor)
    assert "already" in errors_of(excinfo)["mentor"][0]
    for actor in (mentor.user, enrollment.learner):
        with pytest.raises(PermissionDenied):
            services.pairing_assign(actor=actor, enrollment=enrollment, mentor=MentorFactory())
    assert list(Pairing.objects.all()) == [current]
    assert Pairing.objects.get().ended_at is None


def test_pairing_end(staff):
    pairing = PairingFactory()
    with pytest.raises(PermissionDenied):
        services.pairing_end(actor=pairing.mentor.user, pairing=pairing)
    services.pairing_end(actor=staff, pairing=pairing, reason="Mentor left")
    assert (pairing.ended_at is not None, pairing.end_reason) == (True, "Mentor left")
    with pytest.raises(ValidationError) as excinfo:
        services.pairing_end(actor=staff, pairing=pairing)
    assert "pairing" in errors_of(excinfo)


@pytest.mark.parametrize("status", ["withdrawn", "graduated"])
def test_closing_an_enrollment_frees_the_seat(staff, status):
    from learners.services import enrollment_set_status

    mentor = MentorFactory(capacity=1)
    pairing = PairingFactory(mentor=mentor)
    enrollment = pairing.enrollment
    assert services.pairing_close_for_enrollment(enrollment_id=enrollment.pk) is None  # open
    enrollment_set_status(actor=staff, enrollment=enrollment, status=status)
    with pytest.raises(PermissionDenied):
        services.pairing_close_for_enrollment(actor=mentor.user, enrollment_id=enrollment.pk)
    closed = services.pairing_close_for_enrollment(enrollment_id=enrollment.pk)
    assert closed.pk == pairing.pk and closed.ended_at is not None
    assert status in closed.end_reason.lower()
    assert services.pairing_close_for_enrollment(enrollment_id=enrollment.pk) is None
    assert services.pairing_assign(actor=staff, enrollment=EnrollmentFactory(), mentor=mentor)


# --- Sessions ---------------------------------------------------------------------------------


def test_session_create_and_lifecycle(django_capture_on_commit_callbacks, clock):
    pairing = PairingFactory()
    mentor_user = pairing.mentor.user
    with (
        Received(signals.session_changed) as received,
        django_capture_on_commit_callbacks(execute=True),
    ):
        session = services.session_create(
            actor=mentor_user,
            enrollment=pairing.enrollment,
            scheduled_at=NOW + dt.timedelta(days=1),
            duration_minutes=45,
        )
        assert session.pairing == pairing and session.status == "scheduled"
        with pytest.raises(ValidationError) as excinfo:
            services.session_update(actor=mentor_user, session=session, status="completed")
        assert "status" in errors_of(excinfo)
        services.session_update(
            actor=mentor_user, session=session, scheduled_at=NOW - dt.timedelta(hours=1)
        )
        services.session_update(actor=mentor_user, session=session, status="missed")
        services.session_update(
            actor=mentor_user, session=session, status="completed", notes="Learner was late"
        )
        with pytest.raises(ValidationError) as excinfo:
            services.session_update(actor=mentor_user, session=session, scheduled_at=NOW)
        assert "scheduled_at" in errors_of(excinfo)
        with pytest.raises(ValidationError) as excinfo:
            services.session_update(actor=mentor_user, session=session, status="cancelled")
        assert "status" in errors_of(excinfo)
    fresh = MentorSession.objects.get(pk=session.pk)
    assert (fresh.status, fresh.notes) == ("completed", "Learner was late")
    assert [c["session_id"] for c in received.calls] == [session.pk] * 4


def test_cancelled_is_final(clock):
    session = MentorSessionFactory(scheduled_at=NOW + dt.timedelta(days=1))
    user = session.pairing.mentor.user
    services.session_update(actor=user, session=session, status="cancelled")
    with pytest.raises(ValidationError) as excinfo:
        services.session_update(actor=user, session=session, status="scheduled")
    assert "status" in errors_of(excinfo)


def test_session_create_logs_a_past_session(clock):
    pairing = PairingFactory()
    session = services.session_create(
        actor=StaffFactory(),
        enrollment=pairing.enrollment,
        scheduled_at=NOW - dt.timedelta(days=2),
        status="missed",
    )
    assert session.status == "missed"


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"duration_minutes": 4}, "duration_minutes"),
        ({"duration_minutes": 481}, "duration_minutes"),
        ({"status": "cancelled"}, "status"),
        ({"status": "done"}, "status"),
        ({"status": "completed"}, "status"),  # in the future
        ({"scheduled_at": None}, "scheduled_at"),
    ],
)
def test_session_create_field_errors(kwargs, field, clock):
    pairing = PairingFactory()
    values = {"scheduled_at": NOW + dt.timedelta(days=1), **kwargs}
    with pytest.raises(ValidationError) as excinfo:
        services.session_create(actor=pairing.mentor.user, enrollment=pairing.enrollment, **values)
    assert field in errors_of(excinfo)
    assert not MentorSession.objects.exists()


def test_session_create_permissions_and_pairing_needed():
    pairing = PairingFactory()
    when = NOW + dt.timedelta(days=1)
    for actor in (MentorFactory().user, pairing.enrollment.learner, UserFactory()):
        with pytest.raises(PermissionDenied):
            services.session_create(actor=actor, enrollment=pairing.enrollment, scheduled_at=when)
    pairing.enrollment.status = "withdrawn"  # closed, though the pairing was not ended yet
    with pytest.raises(ValidationError) as excinfo:
        services.session_create(
            actor=StaffFactory(), enrollment=pairing.enrollment, scheduled_at=when
        )
    assert "enrollment" in errors_of(excinfo)
    unpaired = EnrollmentFactory()
    with pytest.raises(ValidationError) as excinfo:
        services.session_create(actor=StaffFactory(), enrollment=unpaired, scheduled_at=when)
    assert "enrollment" in errors_of(excinfo)
    assert not MentorSession.objects.exists()


def test_session_update_permissions():
    session = MentorSessionFactory()
    for actor in (MentorFactory().user, session.enrollment.learner):
        with pytest.raises(PermissionDenied):
            services.session_update(actor=actor, session=session, notes="x")
    with pytest.raises(ValidationError) as excinfo:
        services.session_update(actor=StaffFactory(), session=session, pairing=None)
    assert "pairing" in errors_of(excinfo)


# --- Reviews ----------------------------------------------------------------------------------


@pytest.fixture
def reviewable():
    pairing = PairingFactory()
    assignment = AssignmentFactory(program=pairing.enrollment.cohort.program)
    criteria = [
        RubricCriterionFactory(assignment=assignment, max_score=4),
        RubricCriterionFactory(assignment=assignment, max_score=2),
    ]
    submission = SubmissionFactory(enrollment=pairing.enrollment, assignment=assignment)
    return pairing, submission, criteria


def test_review_create(reviewable, django_capture_on_commit_callbacks, clock):
    pairing, submission, criteria = reviewable
    with (
        Received(signals.review_created) as received,
        django_capture_on_commit_callbacks(execute=True),
    ):
        review = services.review_create(
            actor=pairing.mentor.user,
            submission=submission,
            verdict="changes_requested",
            feedback="Leakage in the split",
            scores={criteria[0].pk: 3, str(criteria[1].pk): 0},
        )
    assert review.scores == {str(criteria[0].pk): 3, str(criteria[1].pk): 0}
    fresh = Submission.objects.get(pk=submission.pk)
    assert (fresh.status, fresh.status_changed_at) == ("changes_requested", NOW)
    assert submission.status == "changes_requested"
    assert received.calls == [{"review_id": review.pk}]


def test_review_create_approves(reviewable):
    _, submission, _ = reviewable
    services.review_create(
        actor=StaffFactory(), submission=submission, verdict="approved", feedback="Great"
    )
    assert Submission.objects.get(pk=submission.pk).status == "approved"


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"verdict": "maybe"}, "verdict"),
        ({"feedback": ""}, "feedback"),
        ({"scores": {"999999": 1}}, "scores"),
        ({"scores": "4"}, "scores"),
        ({"scores": "first:5"}, "scores"),
    ],
)
def test_review_create_field_errors(reviewable, kwargs, field):
    pairing, submission, _ = reviewable
    values = {"verdict": "approved", "feedback": "Fine", **kwargs}
    with pytest.raises(ValidationError) as excinfo:
        services.review_create(actor=pairing.mentor.user, submission=submission, **values)
    assert field in errors_of(excinfo)
    assert not Review.objects.exists()
    assert Submission.objects.get(pk=submission.pk).status == "submitted"


@pytest.mark.parametrize("score", [-1, 5, 2.5, True, "3"])
def test_review_scores_against_the_rubric(reviewable, score):
    pairing, submission, criteria = reviewable
    with pytest.raises(ValidationError) as excinfo:
        services.review_create(
            actor=pairing.mentor.user,
            submission=submission,
            verdict="approved",
            feedback="Fine",
            scores={criteria[0].pk: score},
        )
    assert "scores" in errors_of(excinfo)
    assert not Review.objects.exists()


def test_review_only_latest_version_and_once(reviewable):
    pairing, submission, _ = reviewable
    user = pairing.mentor.user
    services.review_create(
        actor=user, submission=submission, verdict="changes_requested", feedback="Again"
    )
    with pytest.raises(ValidationError) as excinfo:
        services.review_create(actor=user, submission=submission, verdict="approved", feedback="x")
    assert errors_of(excinfo)["submission"] == ["This version has already been reviewed."]
    SubmissionFactory(enrollment=submission.enrollment, assignment=submission.assignment, version=2)
    with pytest.raises(ValidationError) as excinfo:
        services.review_create(actor=user, submission=submission, verdict="approved", feedback="x")
    assert "latest version (v2)" in errors_of(excinfo)["submission"][0]
    assert Review.objects.count() == 1


def test_review_permissions(reviewable):
    pairing, submission, _ = reviewable
    for actor in (MentorFactory().user, submission.enrollment.learner, LearnerFactory()):
        with pytest.raises(PermissionDenied):
            services.review_create(
                actor=actor, submission=submission, verdict="approved", feedback="x"
            )
    services.pairing_end(actor=StaffFactory(), pairing=pairing)
    with pytest.raises(PermissionDenied):
        services.review_create(
            actor=pairing.mentor.user, submission=submission, verdict="approved", feedback="x"
        )
    assert not Review.objects.exists()
