"""Scoped reads leave out the "enrollments I mentor" subquery once the caller's role says they
mentor nobody, and read the same rows as with it (docs/PERFORMANCE.md, issue 17)."""

from learners.rules import may_mentor
from learners.selectors import enrollment_list, progress_log_list, submission_list
from mentors.roles import forget_role, role_of
from tests.mentors.factories import MentorFactory

SELECTORS = (enrollment_list, progress_log_list, submission_list)


def _read(selector, user):
    queryset = selector(fetched_by=user)
    return "mentors_pairing" in str(queryset.query), sorted(queryset.values_list("pk", flat=True))


def test_learner_scope_without_the_mentor_branch_reads_the_same_rows(world):
    learner = world.learner
    before = {selector: _read(selector, learner) for selector in SELECTORS}
    assert may_mentor(learner)  # role not known yet: the branch stays in
    assert all(with_branch for with_branch, _ in before.values())
    assert role_of(learner) == "learner"
    assert not may_mentor(learner)
    for selector in SELECTORS:
        with_branch, rows = _read(selector, learner)
        assert not with_branch
        assert rows == before[selector][1]
    assert before[enrollment_list][1]


def test_mentor_and_staff_keep_the_branch(world):
    mentor_user = world.mentor.user
    assert role_of(mentor_user) == "mentor"
    assert role_of(world.staff) == "staff"
    assert may_mentor(mentor_user) and may_mentor(world.staff)
    with_branch, rows = _read(enrollment_list, mentor_user)
    assert with_branch and rows


def test_a_learner_made_mentor_gets_the_branch_back_after_forget_role(world):
    learner = world.learner
    assert role_of(learner) == "learner"
    MentorFactory(user=learner)
    forget_role(learner)
    assert may_mentor(learner)
    assert role_of(learner) == "mentor"
    assert _read(enrollment_list, learner)[0]
