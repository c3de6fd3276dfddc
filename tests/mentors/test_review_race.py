"""Max (Lena's mentor) and Sam (staff) review the same submission at the same moment: one
review is saved, the other reviewer gets a clear error on the submission, never two reviews of
one version and never a server error."""

import pytest
from django.core.exceptions import ValidationError

from mentors.models import Review
from mentors.services import review_create
from tests.helpers import race


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_reviews_of_one_version_race_and_one_wins(world):
    submission = world.submission

    def review(reviewer):
        return review_create(
            actor=reviewer, submission=submission, verdict="approved", feedback="Looks good."
        )

    outcomes = race(review, [world.mentor.user, world.staff])

    saved = [o for o in outcomes if isinstance(o, Review)]
    refused = [o for o in outcomes if isinstance(o, ValidationError)]
    assert (len(saved), len(refused)) == (1, 1), outcomes
    assert "submission" in refused[0].message_dict
    assert Review.objects.filter(submission=submission).count() == 1
