"""``manage.py seed_demo``: the reference bootcamp, every pace and risk reason, idempotent."""

import datetime as dt
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db.models import Count, F, Q

from curriculum.models import Assignment, Cohort, Module, Program, RubricCriterion
from learners.models import Enrollment, HelpRequest, Pause, ProgressLog, Submission
from mentors.models import Mentor, MentorSession, Pairing, Review
from tracker.progress.reports import progress_for_enrollments
from tracker.seed.builder import COHORT_NAME
from tracker.seed.curriculum import PROGRAM_SLUG

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def development(settings):
    """The demo's default password is a development convenience (DJANGO_DEBUG=true); the
    production rule has its own tests in test_seed_demo_password.py."""
    settings.DEBUG = True


FROZEN_AT = dt.datetime(2026, 3, 18, 10, 30, tzinfo=dt.UTC)

REQUIRED_MODULES = (
    "Python and software engineering for ML",
    "Probability and statistics",
    "Data cleaning and transformation",
    "Linear regression",
    "Logistic regression",
    "Anomaly detection",
    "Tree ensembles and other in-demand models",
    "Unsupervised learning",
    "Deep learning and neural networks",
    "NLP and information retrieval",
    "Big data and production ML systems",
    "Deploying models as APIs and web services",
)


def seed(*args: str) -> str:
    out = StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def counts() -> dict[str, int]:
    models = (
        get_user_model(),
        Program,
        Module,
        Assignment,
        RubricCriterion,
        Cohort,
        Enrollment,
        Pause,
        ProgressLog,
        Submission,
        HelpRequest,
        Mentor,
        Pairing,
        MentorSession,
        Review,
    )
    return {model.__name__: model.objects.count() for model in models}


@pytest.fixture
def frozen(clock):
    clock.move_to(FROZEN_AT)


@pytest.fixture
def cohort(frozen) -> Cohort:
    seed()
    return Cohort.objects.get(name=COHORT_NAME)


def test_every_pace_and_every_risk_reason_appears(cohort):
    progress = progress_for_enrollments(Enrollment.objects.filter(cohort=cohort))

    assert len(progress) == 24
    paces = {p.pace for p in progress.values()}
    assert paces == {"ahead", "on_track", "at_risk", "behind"}
    reasons = {reason for p in progress.values() for reason in p.risk_reasons}
    assert reasons == {
        "behind_schedule",
        "overdue_milestone",
        "inactive",
        "missed_sessions",
        "stale_changes_requested",
    }
    # Each reason also shows alone on a learner who is otherwise on schedule.
    single = {p.risk_reasons[0] for p in progress.values() if len(p.risk_reasons) == 1}
    assert {"inactive", "missed_sessions", "stale_changes_requested", "overdue_milestone"} <= (
        single
    )


def test_the_reference_program(cohort):
    program = Program.objects.get(slug=PROGRAM_SLUG)
    assert program.length_weeks == 26
    titles = list(program.modules.values_list("title", flat=True))
    assert set(REQUIRED_MODULES) <= set(titles)
    for module in program.modules.all():
        assert module.expected_hours > 0
        assert module.description
        assert 1 <= module.start_week <= module.end_week <= 26

    regular = program.modules.exclude(title="Capstone project")
    for module in regular:
        kinds = set(module.assignments.values_list("kind", flat=True))
        assert {"exercise", "project"} <= kinds, module.title
    projects = program.assignments.filter(kind=Assignment.Kind.PROJECT)
    assert projects.exists()
    assert not projects.annotate(n=Count("rubric_criteria")).filter(n=0).exists()

    milestones = list(
        program.assignments.filter(kind=Assignment.Kind.MILESTONE).order_by("due_week", "order")
    )
    assert [m.title for m in milestones] == [
        "Capstone proposal",
        "Capstone data wrangling",
        "Capstone prototype",
        "Capstone scaled prototype",
        "Capstone deployment plan",
        "Capstone deployed API or web service",
    ]
    final = milestones[-1]
    assert final.due_week == 26
    assert final.is_final_milestone
    assert not any(m.is_final_milestone for m in milestones[:-1])
    presentation = program.assignments.get(title="Capstone final presentation")
    assert presentation.kind == Assignment.Kind.PROJECT
    assert presentation.due_week == 26


def test_a_cohort_ten_weeks_in_with_a_realistic_history(cohort):
    assert cohort.start_date == FROZEN_AT.date() - dt.timedelta(weeks=10)
    enrollments = Enrollment.objects.filter(cohort=cohort)
    assert enrollments.count() == 24
    assert set(enrollments.values_list("status", flat=True)) >= {"active", "paused", "withdrawn"}

    statuses = set(Submission.objects.values_list("status", flat=True))
    assert statuses == {"submitted", "approved", "changes_requested"}
    assert Submission.objects.filter(version=2).exists()
    # Every reviewed version has its review, and its status mirrors the verdict.
    assert not Submission.objects.exclude(status="submitted").filter(review__isnull=True).exists()
    assert not Review.objects.exclude(verdict=F("submission__status")).exists()
    scored = Review.objects.exclude(scores={})
    assert scored.exists()
    for review in scored.select_related("submission__assignment"):
        criteria = {
            str(c.pk): c.max_score for c in review.submission.assignment.rubric_criteria.all()
        }
        assert set(review.scores) == set(criteria)
        assert all(0 <= review.scores[k] <= criteria[k] for k in criteria)

    now = FROZEN_AT
    sessions = MentorSession.objects.filter(enrollment__cohort=cohort)
    assert sessions.filter(status="missed").exists()
    assert sessions.filter(status="completed").exists()
    upcoming = sessions.filter(status="scheduled")
    assert upcoming.exists()
    assert all(now < s.scheduled_at <= now + dt.timedelta(days=7) for s in upcoming)
    assert not sessions.filter(status="scheduled", scheduled_at__lt=now).exists()

    logs = ProgressLog.objects.filter(enrollment__cohort=cohort)
    assert logs.count() > 24 * 10
    assert logs.filter(logged_on__gt=now.date()).count() == 0
    assert logs.filter(created_at__gt=now).count() == 0
    assert len(set(logs.values_list("logged_on", flat=True))) > 40

    assert Pause.objects.filter(enrollment__cohort=cohort).count() >= 1
    assert HelpRequest.objects.filter(answered_at__isnull=True).exists()
    assert Enrollment.objects.filter(pairings__ended_at__isnull=False, status="active").exists()


def test_mentors_and_staff(cohort):
    staff = get_user_model().objects.get(username="staff")
    assert staff.is_staff and staff.is_superuser
    mentors = Mentor.objects.annotate(
        active=Count("pairings", filter=Q(pairings__ended_at__isnull=True))
    )
    assert mentors.count() >= 3
    for mentor in mentors:
        assert mentor.active <= mentor.capacity
        assert mentor.expertise
    assert len({m.timezone for m in mentors}) >= 3
    open_enrollments = Enrollment.objects.filter(cohort=cohort).exclude(status="withdrawn")
    for enrollment in open_enrollments.annotate(
        active=Count("pairings", filter=Q(pairings__ended_at__isnull=True))
    ):
        assert enrollment.active == 1


def test_accounts_are_printed_and_log_in(frozen):
    out = seed()
    assert "http://127.0.0.1:8000/" in out
    assert "stride-demo" in out
    for username in ("staff", "mentor1", "mentor3", "learner1", "learner24", "alumni1"):
        assert username in out
        assert get_user_model().objects.get(username=username).check_password("stride-demo")


def test_idempotent(frozen):
    seed()
    first = counts()
    out = seed()
    assert counts() == first
    assert "0 learner(s) and 0 mentor(s) added" in out


def test_more_learners_top_up_the_cohort(frozen):
    seed()
    demo = Enrollment.objects.filter(cohort__name=COHORT_NAME)
    first_ids = set(demo.values_list("pk", flat=True))
    seed("--learners", "60")
    enrollments = Enrollment.objects.filter(cohort__name=COHORT_NAME)
    assert enrollments.count() == 60
    assert first_ids <= set(enrollments.values_list("pk", flat=True))
    assert set(enrollments.values_list("learner__username", flat=True)) == {
        f"learner{n}" for n in range(1, 61)
    }
    over = Mentor.objects.annotate(
        active=Count("pairings", filter=Q(pairings__ended_at__isnull=True))
    ).filter(active__gt=F("capacity"))
    assert not over.exists()
    before = counts()
    seed("--learners", "60")
    assert counts() == before


def test_learners_option_on_an_empty_database(frozen):
    seed("--learners", "60")
    assert Enrollment.objects.filter(cohort__name=COHORT_NAME).count() == 60
    enrollments = Enrollment.objects.filter(cohort__name=COHORT_NAME)
    paces = {p.pace for p in progress_for_enrollments(enrollments).values()}
    assert paces == {"ahead", "on_track", "at_risk", "behind"}


def test_password_option(frozen):
    out = seed("--password", "s3cret-Demo")
    assert "s3cret-Demo" in out
    assert get_user_model().objects.get(username="learner5").check_password("s3cret-Demo")
    seed("--password", "another-Pass")
    for username in ("staff", "mentor2", "learner5"):
        assert get_user_model().objects.get(username=username).check_password("another-Pass")


def test_bad_arguments_are_refused(frozen):
    with pytest.raises(CommandError):
        seed("--learners", "-1")
    with pytest.raises(CommandError):
        seed("--password", "")


def test_learners_are_built_in_chunks_with_the_same_result(frozen, monkeypatch):
    monkeypatch.setattr("tracker.seed.builder.CHUNK_LEARNERS", 7)
    seed("--learners", "30")
    enrollments = Enrollment.objects.filter(cohort__name=COHORT_NAME)
    assert enrollments.count() == 30
    open_enrollments = enrollments.exclude(status="withdrawn")
    active = Pairing.objects.filter(ended_at__isnull=True, enrollment__cohort__name=COHORT_NAME)
    assert active.count() == open_enrollments.count()
    assert not (
        Mentor.objects.annotate(active=Count("pairings", filter=Q(pairings__ended_at__isnull=True)))
        .filter(active__gt=F("capacity"))
        .exists()
    )
    progress = progress_for_enrollments(enrollments)
    assert {p.pace for p in progress.values()} == {"ahead", "on_track", "at_risk", "behind"}


def test_a_finished_cohort_with_graduates_and_deployed_capstones(cohort):
    from learners.models import DeploymentCheck
    from tracker.seed.builder import PAST_COHORT_NAME

    past = Cohort.objects.get(name=PAST_COHORT_NAME)
    assert past.end_date < FROZEN_AT.date()
    enrollments = Enrollment.objects.filter(cohort=past)
    assert enrollments.filter(status="graduated").count() == 7
    assert enrollments.filter(status="withdrawn").count() == 1
    assert not Pairing.objects.filter(enrollment__cohort=past, ended_at__isnull=True).exists()
    assert not MentorSession.objects.filter(enrollment__cohort=past, status="scheduled").exists()
    graduate = enrollments.filter(status="graduated").first()
    latest: dict[int, Submission] = {}
    for submission in Submission.objects.filter(enrollment=graduate).order_by("version"):
        latest[submission.assignment_id] = submission
    assert len(latest) == past.program.assignments.count()
    assert {s.status for s in latest.values()} == {"approved"}
    final = Submission.objects.get(
        enrollment=graduate, assignment__title="Capstone deployed API or web service"
    )
    assert final.deployment_url.startswith("https://")
    checks = list(DeploymentCheck.objects.filter(submission=final).order_by("checked_at"))
    # The builder's two plain checks, then the live-model check's history with a result per
    # example (tracker/seed/capstones.py).
    assert [c.ok for c in checks[:2]] == [False, True]
    assert all(c.examples == [] for c in checks[:2])
    assert len(checks) > 2 and all(len(c.examples) == 3 for c in checks[2:])
    assert all(c.checked_at <= FROZEN_AT for c in checks)
    closed = dt.datetime.combine(past.end_date, dt.time(23, 59), tzinfo=past.tzinfo)
    late = Submission.objects.filter(enrollment__cohort=past, submitted_at__gt=closed)
    assert not late.exists()
