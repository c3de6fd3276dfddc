"""The API tests' extras, built from the one world (``tests/world.py``): an authenticated
client per person, and throttle counts that start from zero in every test."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from tests.world import ROLES  # noqa: F401  (the columns of the permission tables)


@pytest.fixture(autouse=True)
def fresh_throttles():
    """Throttle history lives in the cache; each test starts with a clean slate."""
    cache.clear()
    yield
    cache.clear()


def client_for(user: Any) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


@pytest.fixture
def api():
    return client_for
