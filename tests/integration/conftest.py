"""Fixtures of the tests that run Stride as it is deployed (gunicorn, workers) against servers
of their own."""

from __future__ import annotations

import pytest

from tests.services import ServiceUnavailable, ThrowawayPostgres


@pytest.fixture
def cluster():
    """A private PostgreSQL cluster these tests may stop and start (never the shared one)."""
    try:
        server = ThrowawayPostgres().start()
    except ServiceUnavailable as exc:
        pytest.fail(str(exc), pytrace=False)
    try:
        yield server
    finally:
        server.close()
