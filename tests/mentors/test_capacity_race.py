"""Two staff members pair two learners with the same mentor's last free seat at the same time:
one pairing is made, the other gets a clear capacity error, and capacity is never exceeded."""

import pytest
from django.core.exceptions import ValidationError

from mentors.models import Pairing
from mentors.services import pairing_assign
from tests.curriculum.factories import CohortFactory, StaffFactory
from tests.helpers import race
from tests.learners.factories import EnrollmentFactory
from tests.mentors.factories import MentorFactory, PairingFactory


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_assignments_race_for_the_last_seat():
    mentor = MentorFactory(capacity=2)
    PairingFactory(mentor=mentor)  # one seat left
    cohort = CohortFactory()
    contenders = [EnrollmentFactory(cohort=cohort) for _ in range(2)]
    staff = StaffFactory()

    def assign(enrollment):
        return pairing_assign(actor=staff, enrollment=enrollment, mentor=mentor)

    outcomes = race(assign, contenders)

    successes = [o for o in outcomes if isinstance(o, Pairing)]
    failures = [o for o in outcomes if isinstance(o, ValidationError)]
    assert len(successes) == 1, outcomes
    assert len(failures) == 1, outcomes
    assert failures[0].message_dict == {"mentor": [f"{mentor} is at capacity (2/2)."]}
    assert Pairing.objects.filter(mentor=mentor, ended_at__isnull=True).count() == 2
