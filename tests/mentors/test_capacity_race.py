"""Two staff members pair two learners with the same mentor's last free seat at the same time:
one pairing is made, the other gets a clear capacity error, and capacity is never exceeded."""

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from mentors.models import Pairing
from mentors.services import pairing_assign
from tests.curriculum.factories import CohortFactory, StaffFactory
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
    barrier = threading.Barrier(2, timeout=10)
    outcomes: list[object] = []
    lock = threading.Lock()

    def assign(enrollment):
        try:
            barrier.wait()
            result: object = pairing_assign(actor=staff, enrollment=enrollment, mentor=mentor)
        except Exception as error:  # collected and asserted on below
            result = error
        finally:
            connection.close()  # each thread has its own connection
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=assign, args=(e,)) for e in contenders]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    successes = [o for o in outcomes if isinstance(o, Pairing)]
    failures = [o for o in outcomes if isinstance(o, ValidationError)]
    assert len(successes) == 1, outcomes
    assert len(failures) == 1, outcomes
    assert failures[0].message_dict == {"mentor": [f"{mentor} is at capacity (2/2)."]}
    assert Pairing.objects.filter(mentor=mentor, ended_at__isnull=True).count() == 2
