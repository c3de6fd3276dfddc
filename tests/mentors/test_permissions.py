"""Permission matrix: every model by {learner, other learner, own mentor, other mentor, staff,
anonymous}, asserting both the object check (``rule.can_read``) and the list scope
(``<noun>_list(fetched_by=...)``), and that an object check costs at most one query."""

import datetime as dt

import pytest
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone

from curriculum import selectors as curriculum_selectors
from curriculum.rules import (
    ASSIGNMENT_RULE,
    COHORT_RULE,
    MODULE_RULE,
    PROGRAM_RULE,
    RUBRIC_CRITERION_RULE,
)
from learners import selectors as learner_selectors
from learners.models import DeploymentCheck
from learners.rules import (
    DEPLOYMENT_CHECK_RULE,
    ENROLLMENT_RULE,
    HELP_REQUEST_RULE,
    PAUSE_RULE,
    PROGRESS_LOG_RULE,
    SUBMISSION_RULE,
)
from mentors import selectors as mentor_selectors
from mentors.rules import MENTOR_RULE, MENTOR_SESSION_RULE, PAIRING_RULE, REVIEW_RULE
from tests.curriculum.factories import (
    CohortFactory,
)
from tests.learners.factories import (
    EnrollmentFactory,
    PauseFactory,
)
from tests.mentors.factories import (
    MentorFactory,
    PairingFactory,
)

ROLES = ("learner", "other_learner", "own_mentor", "other_mentor", "staff", "anonymous")
PERSONAL = {
    "learner": True,
    "other_learner": False,
    "own_mentor": True,
    "other_mentor": False,
    "staff": True,
    "anonymous": False,
}
# Every mentor reads the whole curriculum; learners only their own program's.
CURRICULUM = {**PERSONAL, "other_mentor": True}


@pytest.fixture
def matrix(world):
    """The world's rows seen from every seat: Lena's things, and who sits where. The "other
    learner" is Una, enrolled in another program (so she reads none of Lena's curriculum), and
    the "other mentor" is Leo, paired here with Una (so he shares no cohort with Lena)."""
    PairingFactory(enrollment=world.unpaired_enrollment, mentor=world.spare_mentor)
    objects = {
        "enrollment": world.enrollment,
        "pause": PauseFactory(enrollment=world.enrollment),
        "progress_log": world.log,
        "submission": world.submission,
        "deployment_check": DeploymentCheck.objects.create(
            submission=world.submission, checked_at=timezone.now(), status_code=200, ok=True
        ),
        "help_request": world.help_request,
        "pairing": world.pairing,
        "session": world.session,
        "review": world.review,
        "mentor": world.mentor,
        "cohort": world.cohort,
        "program": world.program,
        "module": world.module,
        "assignment": world.exercise,
        "rubric_criterion": world.criterion,
    }
    users = {
        "learner": world.learner,
        "other_learner": world.unpaired_learner,
        "own_mentor": world.mentor.user,
        "other_mentor": world.spare_mentor.user,
        "staff": world.staff,
        "anonymous": AnonymousUser(),
    }
    return objects, users


MODELS = {
    # name: (rule, selector, expected per role)
    "enrollment": (ENROLLMENT_RULE, learner_selectors.enrollment_list, PERSONAL),
    "pause": (PAUSE_RULE, learner_selectors.pause_list, PERSONAL),
    "progress_log": (PROGRESS_LOG_RULE, learner_selectors.progress_log_list, PERSONAL),
    "submission": (SUBMISSION_RULE, learner_selectors.submission_list, PERSONAL),
    "deployment_check": (
        DEPLOYMENT_CHECK_RULE,
        learner_selectors.deployment_check_list,
        PERSONAL,
    ),
    "help_request": (HELP_REQUEST_RULE, learner_selectors.help_request_list, PERSONAL),
    "pairing": (PAIRING_RULE, mentor_selectors.pairing_list, PERSONAL),
    "session": (MENTOR_SESSION_RULE, mentor_selectors.session_list, PERSONAL),
    "review": (REVIEW_RULE, mentor_selectors.review_list, PERSONAL),
    "mentor": (MENTOR_RULE, mentor_selectors.mentor_list, PERSONAL),
    "cohort": (COHORT_RULE, curriculum_selectors.cohort_list, PERSONAL),
    "program": (PROGRAM_RULE, curriculum_selectors.program_list, CURRICULUM),
    "module": (MODULE_RULE, curriculum_selectors.module_list, CURRICULUM),
    "assignment": (ASSIGNMENT_RULE, curriculum_selectors.assignment_list, CURRICULUM),
    "rubric_criterion": (
        RUBRIC_CRITERION_RULE,
        curriculum_selectors.rubric_criterion_list,
        CURRICULUM,
    ),
}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("model_name", list(MODELS))
def test_read_matrix(matrix, model_name, role, django_assert_max_num_queries):
    objects, users = matrix
    rule, selector, expected = MODELS[model_name]
    user = users[role]
    obj = objects[model_name]
    fresh = type(obj).objects.get(pk=obj.pk)  # nothing preloaded: the check pays its own way
    with django_assert_max_num_queries(1):
        allowed = rule.can_read(user, fresh)
    assert allowed is expected[role]
    listed = selector(fetched_by=user)
    assert listed.filter(pk=obj.pk).exists() is expected[role]
    # Scoped lists never hold duplicates.
    pks = list(listed.values_list("pk", flat=True))
    assert len(pks) == len(set(pks))


def test_former_mentor_loses_access_and_new_mentor_gains_it(matrix, world):
    objects, users = matrix
    pairing = objects["pairing"]
    pairing.ended_at = timezone.now()
    pairing.save()
    new_mentor = world.other_mentor
    new_mentor.capacity = 2
    new_mentor.save()
    PairingFactory(enrollment=objects["enrollment"], mentor=new_mentor)
    former = users["own_mentor"]
    for name in ("enrollment", "submission", "review", "session", "progress_log"):
        rule, selector, _ = MODELS[name]
        obj = objects[name]
        assert not rule.can_read(former, obj), name
        assert not selector(fetched_by=former).filter(pk=obj.pk).exists(), name
        assert rule.can_read(new_mentor.user, obj), name
        assert selector(fetched_by=new_mentor.user).filter(pk=obj.pk).exists(), name


def test_inactive_mentor_loses_access(matrix):
    objects, users = matrix
    mentor = objects["mentor"]
    mentor.is_active = False
    mentor.save()
    enrollment = objects["enrollment"]
    assert not ENROLLMENT_RULE.can_read(users["own_mentor"], enrollment)
    assert not learner_selectors.enrollment_list(fetched_by=users["own_mentor"]).exists()


def test_mentor_with_many_learners_lists_each_once(db):
    mentor = MentorFactory()
    cohort = CohortFactory()
    enrollments = [EnrollmentFactory(cohort=cohort) for _ in range(3)]
    for enrollment in enrollments:
        # History with an ended pairing to the same mentor must not duplicate rows.
        PairingFactory(
            enrollment=enrollment, mentor=mentor, ended_at=timezone.now() - dt.timedelta(days=1)
        )
        PairingFactory(enrollment=enrollment, mentor=mentor)
    listed = list(learner_selectors.enrollment_list(fetched_by=mentor.user))
    assert sorted(e.pk for e in listed) == sorted(e.pk for e in enrollments)
    assert list(curriculum_selectors.cohort_list(fetched_by=mentor.user)) == [cohort]
    listed_mentors = list(mentor_selectors.mentor_list(fetched_by=mentor.user))
    assert listed_mentors == [mentor]
    assert listed_mentors[0].active_learners == 3


WRITE_CASES = [
    # (rule, object name, action, roles allowed)
    (PROGRESS_LOG_RULE, "progress_log", "update", {"learner", "staff"}),
    (PROGRESS_LOG_RULE, "progress_log", "delete", {"learner", "staff"}),
    (SUBMISSION_RULE, "submission", "create", {"learner", "staff"}),
    (SUBMISSION_RULE, "submission", "update", {"staff"}),
    (HELP_REQUEST_RULE, "help_request", "create", {"learner", "staff"}),
    (HELP_REQUEST_RULE, "help_request", "update", {"own_mentor", "staff"}),
    (MENTOR_SESSION_RULE, "session", "create", {"own_mentor", "staff"}),
    (MENTOR_SESSION_RULE, "session", "update", {"own_mentor", "staff"}),
    (REVIEW_RULE, "review", "create", {"own_mentor", "staff"}),
    (PAIRING_RULE, "pairing", "create", {"staff"}),
    (ENROLLMENT_RULE, "enrollment", "update", {"staff"}),
    (MENTOR_RULE, "mentor", "update", {"own_mentor", "staff"}),
    (COHORT_RULE, "cohort", "update", {"staff"}),
    (PROGRAM_RULE, "program", "create", {"staff"}),
]


@pytest.mark.parametrize(("rule", "name", "action", "allowed"), WRITE_CASES)
def test_write_matrix(matrix, rule, name, action, allowed):
    objects, users = matrix
    obj = objects[name]
    for role in ROLES:
        assert getattr(rule, f"can_{action}")(users[role], obj) is (role in allowed), role


def test_log_edit_window_closes_for_the_learner_not_for_staff(matrix, settings):
    objects, users = matrix
    log = objects["progress_log"]
    type(log).objects.filter(pk=log.pk).update(
        created_at=timezone.now() - dt.timedelta(hours=settings.STRIDE_LOG_EDIT_WINDOW_HOURS + 1)
    )
    log.refresh_from_db()
    assert not PROGRESS_LOG_RULE.can_update(users["learner"], log)
    assert not PROGRESS_LOG_RULE.can_delete(users["learner"], log)
    assert PROGRESS_LOG_RULE.can_update(users["staff"], log)
