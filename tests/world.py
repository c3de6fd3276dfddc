"""The one test world: a bootcamp four weeks under way, with named people and places.

Zulip's ``example_user("hamlet")`` is the model: every folder's tests talk about the same
people, so a reader learns the cast once. ``tests/conftest.py`` offers it as the ``world``
fixture, built at the world's ``NOW`` under the frozen ``clock`` fixture; folders may add
fixtures built from it, never a second world.

The cast (username, who they are)::

    lena      Lena Learner, the protagonist: enrolled in Spring, paired with Max
    otto      Otto Other, Lena's classmate in Spring, paired with Mia
    una       Una Unpaired, in the Evening cohort of another program, no mentor yet
    max       Max Mentor, Lena's mentor (capacity 8, works from Madrid)
    mia       Mia Mentor, Otto's mentor, full (capacity 1)
    leo       Leo Spare, a mentor with free seats and no learners yet
    sam       Sam Staff, the program manager (``is_staff``)
    newcomer  Nia Newcomer, signed up, enrolled nowhere
    another   Ari Another, a second outsider

The places: the "ML Engineering & AI" program (26 weeks; modules "Python for ML" weeks 1-4 and
"Deep learning" weeks 5-10; assignments "NumPy drills" (exercise, due week 2, two rubric
criteria), "Linear regression" (project, due week 6) and "Capstone demo" (milestone, due week
26)); its "Spring" cohort in Europe/Madrid, started four weeks before ``NOW``. The
"Data Analytics" program (12 weeks) with its "Evening" cohort in America/New_York.

Lena's history (``history=True``, the default; ``tests/web`` and ``tests/browser`` turn it off
through the ``world_history`` fixture because they follow a learner from a clean slate, and
``tests/learners`` because its service tests check that a refusal wrote nothing at all), all
of it made an hour before ``NOW``: a 60-minute log today,
"NumPy drills" v1 waiting for review, "Linear regression" approved by Max, a session with
Max two hours before ``NOW`` that nobody has marked yet, an open help request and one unread
``due_soon`` notification, and her API token "laptop" (value ``LENAS_TOKEN``, made then,
expiring 30 days later).

Built with the per-app factories (``tests/<app>/factories.py``), which stay one module per app
so they keep the apps' own layering. May import those factories and product models, nothing
else of the test suite.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from typing import Any

import time_machine
from django.contrib.auth import get_user_model
from django.utils import timezone

from curriculum.models import Assignment
from tests.curriculum.factories import (
    AssignmentFactory,
    CohortFactory,
    ModuleFactory,
    ProgramFactory,
    RubricCriterionFactory,
    StaffFactory,
    UserFactory,
)
from tests.learners.factories import (
    EnrollmentFactory,
    HelpRequestFactory,
    LearnerFactory,
    ProgressLogFactory,
    SubmissionFactory,
)
from tests.mentors.factories import (
    MentorFactory,
    MentorSessionFactory,
    MentorUserFactory,
    PairingFactory,
    ReviewFactory,
)
from tracker.models import (
    ApiToken,
    Notification,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
    WebhookMessage,
)

# The world's "now": a Tuesday, noon UTC, so "today" is the same date from Los Angeles to Tokyo.
NOW = dt.datetime(2026, 3, 10, 12, 0, tzinfo=dt.UTC)
PASSWORD = "pw-Stride-2026"  # every person's password (the factories' default)
COHORT_ZONE = "Europe/Madrid"
OTHER_COHORT_ZONE = "America/New_York"
HISTORY_AGE = dt.timedelta(hours=1)  # Lena's history is this old at ``NOW``

# The value of Lena's API token "laptop" (only its digest is in the database).
LENAS_TOKEN = "stride_lena-laptop-0123456789abcdefghijklmnopqrstuvwxyzAB"

ROLES = ("anonymous", "learner", "other_learner", "mentor", "other_mentor", "staff")


@dataclass(frozen=True)
class World:
    # Places
    program: Any
    module: Any
    later_module: Any
    exercise: Any
    project: Any
    final: Any
    criteria: list
    cohort: Any
    other_program: Any
    other_cohort: Any
    # People
    learner: Any
    other_learner: Any
    unpaired_learner: Any
    mentor: Any
    other_mentor: Any
    spare_mentor: Any
    staff: Any
    outsider: Any
    other_outsider: Any
    # Enrollments and pairings
    enrollment: Any
    other_enrollment: Any
    unpaired_enrollment: Any
    pairing: Any
    other_pairing: Any
    # Lena's history (None without it)
    log: Any = None
    submission: Any = None
    reviewed_submission: Any = None
    review: Any = None
    session: Any = None
    help_request: Any = None
    notification: Any = None
    # A switched-off webhook endpoint with one logged attempt (None without the history)
    webhook: Any = None
    webhook_delivery: Any = None
    api_token: Any = None

    # Other names the tests use for the same people and things.
    @property
    def assignment(self):
        """The assignment with a rubric: "NumPy drills"."""
        return self.exercise

    @property
    def criterion(self):
        return self.criteria[0]

    @property
    def spare_assignment(self):
        """An assignment Lena has not submitted yet: the capstone."""
        return self.final

    @property
    def full_mentor(self):
        """A mentor without a free seat: Mia (capacity 1, Otto)."""
        return self.other_mentor

    @property
    def mentor_user(self):
        return self.mentor.user

    @property
    def other_mentor_user(self):
        return self.other_mentor.user

    def user(self, role: str) -> Any:
        """The user playing ``role`` (one of ``ROLES``); ``None`` for anonymous."""
        return {
            "anonymous": None,
            "learner": self.learner,
            "other_learner": self.other_learner,
            "mentor": self.mentor.user,
            "other_mentor": self.other_mentor.user,
            "staff": self.staff,
        }[role]

    def person(self, username: str):
        """Anyone of the cast by username, fresh from the database: ``world.person("otto")``."""
        return get_user_model().objects.get(username=username)


def build_world(*, history: bool = True) -> World:
    """Create the world in the database at the current (frozen) time."""
    today = timezone.now().date()

    program = ProgramFactory(name="ML Engineering & AI", slug="ml-eng", length_weeks=26)
    module = ModuleFactory(
        program=program, order=1, title="Python for ML", start_week=1, end_week=4
    )
    later_module = ModuleFactory(
        program=program, order=2, title="Deep learning", start_week=5, end_week=10
    )
    exercise = AssignmentFactory(
        program=program, module=module, order=1, title="NumPy drills", due_week=2, weight=1
    )
    project = AssignmentFactory(
        program=program,
        module=module,
        order=2,
        title="Linear regression",
        due_week=6,
        weight=3,
        kind=Assignment.Kind.PROJECT,
    )
    final = AssignmentFactory(
        program=program,
        module=None,
        order=3,
        title="Capstone demo",
        due_week=26,
        weight=5,
        kind=Assignment.Kind.MILESTONE,
    )
    criteria = [
        RubricCriterionFactory(assignment=exercise, order=1, name="Correctness", max_score=4),
        RubricCriterionFactory(assignment=exercise, order=2, name="Clarity", max_score=3),
    ]
    cohort = CohortFactory(
        program=program,
        name="Spring",
        start_date=today - dt.timedelta(weeks=4),
        timezone=COHORT_ZONE,
    )

    other_program = ProgramFactory(name="Data Analytics", slug="data-analytics", length_weeks=12)
    other_module = ModuleFactory(
        program=other_program, order=1, title="SQL basics", start_week=1, end_week=3
    )
    AssignmentFactory(
        program=other_program, module=other_module, order=1, title="Joins", due_week=2
    )
    other_cohort = CohortFactory(
        program=other_program,
        name="Evening",
        start_date=today - dt.timedelta(weeks=1),
        timezone=OTHER_COHORT_ZONE,
    )

    learner = LearnerFactory(username="lena", first_name="Lena", last_name="Learner")
    other_learner = LearnerFactory(username="otto", first_name="Otto", last_name="Other")
    unpaired_learner = LearnerFactory(username="una", first_name="Una", last_name="Unpaired")
    mentor = MentorFactory(
        user=MentorUserFactory(username="max", first_name="Max", last_name="Mentor"),
        timezone=COHORT_ZONE,
    )
    other_mentor = MentorFactory(
        user=MentorUserFactory(username="mia", first_name="Mia", last_name="Mentor"), capacity=1
    )
    spare_mentor = MentorFactory(
        user=MentorUserFactory(username="leo", first_name="Leo", last_name="Spare"), capacity=5
    )
    staff = StaffFactory(username="sam", first_name="Sam", last_name="Staff")
    outsider = UserFactory(username="newcomer", first_name="Nia", last_name="Newcomer")
    other_outsider = UserFactory(username="another", first_name="Ari", last_name="Another")

    enrollment = EnrollmentFactory(cohort=cohort, learner=learner)
    other_enrollment = EnrollmentFactory(cohort=cohort, learner=other_learner)
    unpaired_enrollment = EnrollmentFactory(cohort=other_cohort, learner=unpaired_learner)
    pairing = PairingFactory(enrollment=enrollment, mentor=mentor)
    other_pairing = PairingFactory(enrollment=other_enrollment, mentor=other_mentor)

    places_and_people = {
        "program": program,
        "module": module,
        "later_module": later_module,
        "exercise": exercise,
        "project": project,
        "final": final,
        "criteria": criteria,
        "cohort": cohort,
        "other_program": other_program,
        "other_cohort": other_cohort,
        "learner": learner,
        "other_learner": other_learner,
        "unpaired_learner": unpaired_learner,
        "mentor": mentor,
        "other_mentor": other_mentor,
        "spare_mentor": spare_mentor,
        "staff": staff,
        "outsider": outsider,
        "other_outsider": other_outsider,
        "enrollment": enrollment,
        "other_enrollment": other_enrollment,
        "unpaired_enrollment": unpaired_enrollment,
        "pairing": pairing,
        "other_pairing": other_pairing,
    }
    if not history:
        return World(**places_and_people)

    # The history happened this morning, so whatever a test does "now" is newer than all of it.
    now = timezone.now()
    with time_machine.travel(now - HISTORY_AGE, tick=False):
        history_rows = _lenas_history(
            enrollment=enrollment,
            pairing=pairing,
            module=module,
            exercise=exercise,
            project=project,
        )
    return World(**places_and_people, **history_rows, **_webhook(staff, history_rows))


def _lenas_history(*, enrollment, pairing, module, exercise, project) -> dict[str, Any]:
    now = timezone.now()
    learner = enrollment.learner
    reviewed = SubmissionFactory(
        enrollment=enrollment,
        assignment=project,
        url="https://github.com/lena-learner/linear-regression",
        status="approved",
        submitted_at=now - dt.timedelta(days=2),
    )
    return {
        "log": ProgressLogFactory(enrollment=enrollment, module=module, minutes=60),
        "submission": SubmissionFactory(
            enrollment=enrollment,
            assignment=exercise,
            url="https://github.com/lena-learner/numpy-drills",
        ),
        "reviewed_submission": reviewed,
        "review": ReviewFactory(submission=reviewed, reviewer=pairing.mentor.user),
        "session": MentorSessionFactory(pairing=pairing, scheduled_at=now - dt.timedelta(hours=1)),
        "help_request": HelpRequestFactory(enrollment=enrollment),
        "notification": Notification.objects.create(
            recipient=learner,
            kind="due_soon",
            subject="Due soon",
            body="Assignment due in 2 days.",
            dedupe_key=f"test:{learner.pk}",
            created_at=now,
        ),
        # Stored as tracker.security.tokens stores one: the digest, never the value.
        "api_token": ApiToken.objects.create(
            user=learner,
            name="laptop",
            prefix=LENAS_TOKEN[:13],
            digest=hashlib.sha256(LENAS_TOKEN.encode()).hexdigest(),
            created_at=now,
            expires_at=now + dt.timedelta(days=30),
        ),
    }


def _webhook(staff, history: dict[str, Any]) -> dict[str, Any]:
    """Sam's webhook endpoint, switched off (so the world's writes record no events), with the
    one attempt that delivered Lena's "NumPy drills" submission."""
    now = timezone.now()
    endpoint = WebhookEndpoint.objects.create(
        url="https://hooks.example.com/stride",
        secret="whsec_world-secret-of-sam",
        events=["submission.created", "review.saved"],
        active=False,
        created_at=now,
        created_by=staff,
    )
    event = WebhookEvent.objects.create(
        event_id="evt_world0000000000000001",
        type="submission.created",
        key=f"submission.created:{history['submission'].pk}",
        created_at=now,
        data={"submission": {"id": history["submission"].pk}},
    )
    message = WebhookMessage.objects.create(
        endpoint=endpoint,
        event=event,
        state="delivered",
        attempts=1,
        window_started_at=now,
        next_attempt_at=now,
        delivered_at=now,
    )
    delivery = WebhookDelivery.objects.create(
        message=message,
        endpoint=endpoint,
        attempt=1,
        status_code=200,
        ok=True,
        latency_ms=42,
        response_excerpt="ok",
        created_at=now,
    )
    return {"webhook": endpoint, "webhook_delivery": delivery}
