import pytest
from django.contrib.auth.models import AnonymousUser

from mentors.roles import forget_role, role_of
from tests.curriculum.factories import StaffFactory, UserFactory
from tests.learners.factories import EnrollmentFactory
from tests.mentors.factories import MentorFactory

pytestmark = pytest.mark.django_db


def test_roles(django_assert_num_queries):
    staff = StaffFactory()
    mentor = MentorFactory().user
    learner = EnrollmentFactory().learner
    nobody = UserFactory()
    with django_assert_num_queries(0):
        assert role_of(staff) == "staff"
        assert role_of(AnonymousUser()) is None
        assert role_of(None) is None
    with django_assert_num_queries(3):
        assert role_of(mentor) == "mentor"
        assert role_of(learner) == "learner"
        assert role_of(nobody) is None
    with django_assert_num_queries(0):  # cached on the user object
        assert role_of(mentor) == "mentor"
        assert role_of(learner) == "learner"
        assert role_of(nobody) is None


def test_staff_outranks_mentor_and_mentor_outranks_learner():
    staff_mentor = MentorFactory(user=StaffFactory()).user
    assert role_of(staff_mentor) == "staff"
    mentor = MentorFactory()
    EnrollmentFactory(learner=mentor.user)
    assert role_of(mentor.user) == "mentor"


def test_inactive_mentor_is_not_a_mentor_and_forget_role():
    mentor = MentorFactory(is_active=False)
    assert role_of(mentor.user) is None
    mentor.is_active = True
    mentor.save()
    assert role_of(mentor.user) is None  # still cached
    forget_role(mentor.user)
    assert role_of(mentor.user) == "mentor"
