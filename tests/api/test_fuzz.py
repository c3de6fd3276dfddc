"""Schemathesis against the live schema, as a learner, a mentor and staff.

Each operation gets a bounded number of generated requests (valid and deliberately invalid);
every answer must be no server error, a documented status code, a body matching the documented
schema, and invalid input must be refused.
"""

from __future__ import annotations

import os

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import (
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from tracker.security.tokens import token_issue
from tracker.wsgi import application

# Kept small so the whole run stays under two minutes; raise it locally to dig deeper.
EXAMPLES = int(os.environ.get("STRIDE_FUZZ_EXAMPLES", "4"))

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    response_schema_conformance,
    negative_data_rejection,
]

CONFIG = SchemathesisConfig.from_dict(
    {
        "seed": 20261124,
        "generation": {"max-examples": EXAMPLES, "mode": "all"},
        "phases": {"coverage": {"enabled": False}, "stateful": {"enabled": False}},
    }
)

schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", application, config=CONFIG)


@pytest.fixture(autouse=True)
def keep_the_test_connection():
    """The WSGI app runs Django's request signals; like Django's own test client, keep them
    from closing the connection that holds the test's transaction (PostgreSQL)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture(params=["learner", "mentor_user", "staff"])
def auth_headers(request, world):
    _token, value = token_issue(user=getattr(world, request.param), name="fuzz")
    return {"Authorization": f"Token {value}"}


@pytest.mark.django_db
@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_api_conforms_to_its_schema(case, auth_headers):
    case.call_and_validate(headers=auth_headers, checks=CHECKS)
