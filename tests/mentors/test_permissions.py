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
    AssignmentFactory,
    CohortFactory,
    ModuleFactory,
    ProgramFactory,
    RubricCriterionFactory,
    StaffFactory,
)
from tests.learners.factories import (
    EnrollmentFactory,
    HelpRequestFactory,
    PauseFactory,
    ProgressLogFactory,
    SubmissionFactory,
)
from tests.mentors.factories import (
    MentorFactory,
    MentorSessionFactory,
    PairingFactory,
    ReviewFactory,
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
def world(db):
    program = ProgramFactory()
    cohort = CohortFactory(program=program)
    module = ModuleFactory(program=program)
    assignment = AssignmentFactory(program=program, module=module)
    criterion = RubricCriterionFactory(assignment=assignment)
    enrollment = EnrollmentFactory(cohort=cohort)
    other_enrollment = EnrollmentFactory(cohort=CohortFactory())  # another program and cohort
    own_mentor = MentorFactory()
    other_mentor = MentorFactory()
    pairing = PairingFactory(enrollment=enrollment, mentor=own_mentor)
    PairingFactory(enrollment=other_enrollment, mentor=other_mentor)
    submission = SubmissionFactory(enrollment=enrollment, assignment=assignment)
    objects = {
        "enrollment": enrollment,
        "pause": PauseFactory(enrollment=enrollment),
        "progress_log": ProgressLogFactory(enrollment=enrollment, module=module),
        "submission": submission,
        "deployment_check": DeploymentCheck.objects.create(
            submission=submission, checked_at=timezone.now(), status_code=200, ok=True
        ),
        "help_request": HelpRequestFactory(enrollment=enrollment),
        "pairing": pairing,
        "session": MentorSessionFactory(pairing=pairing),
        "review": ReviewFactory(submission=submission, reviewer=own_mentor.user),
        "mentor": own_mentor,
        "cohort": cohort,
        "program": program,
        "module": module,
        "assignment": assignment,
        "rubric_criterion": criterion,
    }
    users = {
        "learner": enrollment.learner,
        "other_learner": other_enrollment.learner,
        "own_mentor": own_mentor.user,
        "other_mentor": other_mentor.user,
        "staff": StaffFactory(),
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
def test_read_matrix(world, model_name, role, django_assert_max_num_queries):
    objects, users = world
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


def test_former_mentor_loses_access_and_new_mentor_gains_it(world):
    objects, users = world
    pairing = objects["pairing"]
    pairing.ended_at = timezone.now()
    pairing.save()
    new_mentor = MentorFactory()
    PairingFactory(enrollment=objects["enrollment"], mentor=new_mentor)
    former = users["own_mentor"]
    for name in ("enrollment", "submission", "review", "session", "progress_log"):
        rule, selector, _ = MODELS[name]
        obj = objects[name]
        assert not rule.can_read(former, obj), name
        assert not selector(fetched_by=former).filter(pk=obj.pk).exists(), name
        assert rule.can_read(new_mentor.user, obj), name
        assert selector(fetched_by=new_mentor.user).filter(pk=obj.pk).exists(), name


def test_inactive_mentor_loses_access(world):
    objects, users = world
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
def test_write_matrix(world, rule, name, action, allowed):
    objects, users = world
    obj = objects[name]
    for role in ROLES:
        assert getattr(rule, f"can_{action}")(users[role], obj) is (role in allowed), role


def test_log_edit_window_closes_for_the_learner_not_for_staff(world, settings):
    objects, users = world
    log = objects["progress_log"]
    type(log).objects.filter(pk=log.pk).update(
        created_at=timezone.now() - dt.timedelta(hours=settings.STRIDE_LOG_EDIT_WINDOW_HOURS + 1)
    )
    log.refresh_from_db()
    assert not PROGRESS_LOG_RULE.can_update(users["learner"], log)
    assert not PROGRESS_LOG_RULE.can_delete(users["learner"], log)
    assert PROGRESS_LOG_RULE.can_update(users["staff"], log)
