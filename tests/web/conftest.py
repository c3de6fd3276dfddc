"""The page tests' extras, built from the one world (``tests/world.py``): Lena starts from a
clean slate here (no history), and signed-in clients for her and for Sam."""

import pytest

from tests.world import PASSWORD  # noqa: F401  (sign-in forms post it)


@pytest.fixture
def world_history() -> bool:
    # The pages are followed from a learner's first log and first submission.
    return False


@pytest.fixture
def today(world, clock):
    return clock.today(world.cohort.timezone)


@pytest.fixture
def learner_client(client, world):
    client.force_login(world.learner)
    return client


@pytest.fixture
def staff_client(client, world):
    client.force_login(world.staff)
    return client
