"""Two learners of one mentor book the same slot at the same moment: exactly one session is
made, the other learner gets a clear error on ``starts_at`` (the mentor row lock serialises
them), and the mentor is never double-booked."""

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import ValidationError

from mentors.booking import session_book
from mentors.models import Availability, MentorSession
from tests.curriculum.factories import CohortFactory
from tests.helpers import race
from tests.learners.factories import EnrollmentFactory
from tests.mentors.factories import MentorFactory, PairingFactory

NOW = dt.datetime(2026, 3, 10, 12, 0, tzinfo=dt.UTC)
SLOT = dt.datetime(2026, 3, 12, 9, 0, tzinfo=dt.UTC)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_learners_race_for_one_slot():
    with time_machine.travel(NOW, tick=False):
        mentor = MentorFactory(timezone="UTC", capacity=5)
        Availability.objects.create(
            mentor=mentor, weekday=SLOT.weekday(), start_time=dt.time(9), duration_minutes=45
        )
        cohort = CohortFactory()
        contenders = []
        for _ in range(2):
            enrollment = EnrollmentFactory(cohort=cohort)
            PairingFactory(enrollment=enrollment, mentor=mentor)
            contenders.append(enrollment)

        def book(enrollment):
            return session_book(actor=enrollment.learner, enrollment=enrollment, starts_at=SLOT)

        outcomes = race(book, contenders)

    successes = [o for o in outcomes if isinstance(o, MentorSession)]
    failures = [o for o in outcomes if isinstance(o, ValidationError)]
    assert len(successes) == 1, outcomes
    assert len(failures) == 1, outcomes
    assert failures[0].message_dict == {
        "starts_at": ["That slot has just been taken; pick another one."]
    }
    assert MentorSession.objects.filter(pairing__mentor=mentor).count() == 1
