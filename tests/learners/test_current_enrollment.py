"""``current_enrollment`` chooses the same enrollment from the list ``own_enrollments`` read
(the learner's home) as from its own queries."""

import datetime as dt

import pytest
from django.utils import timezone

from learners.models import Enrollment
from learners.selectors import current_enrollment, own_enrollments
from tests.curriculum.factories import CohortFactory
from tests.learners.factories import EnrollmentFactory

pytestmark = pytest.mark.django_db

CHOICES = [None, "", "x1", "\u0661", " 1"]


def _both(user, chosen):
    """What each way answers: the enrollment, or the error it raised."""
    answers = []
    for own in (None, own_enrollments(fetched_by=user)):
        try:
            answers.append(current_enrollment(fetched_by=user, chosen=chosen, own=own))
        except Enrollment.DoesNotExist:
            answers.append("DoesNotExist")
    return answers


def test_the_same_choice_with_and_without_the_list(world):
    learner = world.learner
    today = timezone.now().date()
    # An older open enrollment, a newer withdrawn one and a newest graduated one: the open
    # one wins; then, none open, the newest of any status.
    older = EnrollmentFactory(
        learner=learner, cohort=CohortFactory(start_date=today - dt.timedelta(weeks=40))
    )
    newer = EnrollmentFactory(
        learner=learner,
        cohort=CohortFactory(start_date=today + dt.timedelta(weeks=2)),
        status=Enrollment.Status.WITHDRAWN,
    )
    choices = [*CHOICES, str(older.pk), str(newer.pk), str(world.other_enrollment.pk), "999999"]
    for chosen in choices:
        plain, from_list = _both(learner, chosen)
        assert plain == from_list, chosen
    Enrollment.objects.filter(learner=learner).exclude(pk=newer.pk).update(
        status=Enrollment.Status.GRADUATED
    )
    plain, from_list = _both(learner, None)
    assert plain == from_list == newer
    # Someone with no enrollment at all.
    assert _both(world.staff, None) == [None, None]
