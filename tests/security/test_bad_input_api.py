"""Bad input against every write of the API: wrong JSON types, odd and huge Unicode, extreme
dates and numbers. Each must answer 400 with a message under the offending field, never a 500,
and leave every table exactly as it was.

Each endpoint is described once (URL, caller, a valid body, the kind of each field); hypothesis
replaces one field of the valid body with a bad value of the matching kind per example. A first
test proves every valid body is accepted, so a 400 in the other tests is the bad field's doing.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from curriculum.models import Program
from learners.models import HelpRequest, ProgressLog
from mentors.models import MentorSession, Review
from tests.api.conftest import client_for
from tests.security.watched import (
    HYPOTHESIS,
    WATCHED_MODELS,
    one_bad_field,
    rolled_back,
    today_iso,
)
from tests.world import World

User = get_user_model()


def snapshot() -> dict[str, list[dict]]:
    """Every row of every table a write could touch, field by field."""
    return {model.__name__: list(model.objects.order_by("pk").values()) for model in WATCHED_MODELS}


# --- The world: the one of tests/world.py (Lena, Max, Mia who is full, Una without a mentor) ---

# --- Bad values by kind of field ------------------------------------------------------------

HUGE = "x" * 100_000
WRONG_TYPES = [[], {}, [1, 2], {"a": 1}, True, False, 1.5, -0.0, 1e308]
NOT_STRINGS = [*WRONG_TYPES, 0, 7, -1, 2**63, None]
NOT_INTEGERS = [
    *WRONG_TYPES,
    None,
    "5",
    "",
    "NaN",
    "Infinity",
    "-Infinity",
    "1e3",
    "0x10",
    "٣",  # an Arabic-Indic digit
    5.0,
    -(2**63) - 1,
    2**63,
    2**64,
    10**30,
    -(10**30),
]
ODD_STRINGS_ALWAYS_BAD = [
    "\x00",
    "abc\x00def",
    "\ud800",  # a lone surrogate, sent as the JSON escape \ud800
    "x\udfffy",
    "\u202e\x00",
    HUGE,
    HUGE + "\u200f",
]
BAD_DATES = [
    *WRONG_TYPES,
    None,
    0,
    20240101,
    1700000000,
    "",
    " ",
    "today",
    "0001-01-01",
    "0000-01-01",
    "1-01-01",
    "1999-12-31",
    "2101-01-01",
    "9999-12-31",
    "10000-01-01",
    "+002024-01-01",
    "-0001-01-01",
    "2024-02-30",
    "2024-13-01",
    "2024-00-10",
    "2024-1-1\x00",
    "2024-01-01\ud800",
    "2024-01-01T00:00:00Z",
    HUGE,
]
BAD_DATETIMES = [
    *WRONG_TYPES,
    None,
    0,
    1700000000,
    "",
    "now",
    "0001-01-01T00:00:00Z",
    "0001-01-01T00:00:00+14:00",
    "0001-01-01T00:00:00",
    "9999-12-31T23:59:59Z",
    "9999-12-31T23:59:59-14:00",
    "10000-01-01T00:00:00Z",
    "1999-12-31T23:59:59Z",
    "2101-01-01T00:00:00Z",
    "2030-01-01T25:00:00Z",
    "2030-01-01T12:00:00+25:00",
    "2030-02-30T12:00:00Z",
    "2030-01-01T12:00:00Z\ud800",
    HUGE,
]
BAD_TIMES = [
    *WRONG_TYPES,
    0,
    1200,
    "",
    "noon",
    "24:00",
    "25:00",
    "12:60",
    "12:00:61",
    "-01:00",
    "12:00\ud800",
    HUGE,
]
BAD_URLS = [
    *NOT_STRINGS,
    "",
    "not a url",
    "javascript:alert(1)",
    "JAVASCRIPT://example.com/%0aalert(1)",
    "data:text/html,<script>alert(1)</script>",
    "file:///etc/passwd",
    "ftp://example.com/work",
    "gopher://example.com/",
    "http://",
    "https://",
    "http://exa mple.com/",
    "http://example.com/\x00",
    "http://\ud800.com/",
    "https://example.com/" + "a" * 600,
    "https://" + HUGE + ".com",
]
BAD_TIMEZONES = [
    *NOT_STRINGS,
    "",
    "Mars/Olympus_Mons",
    "../../../etc/passwd",
    "/etc/localtime",
    "UTC\x00",
    "Europe/Berlin\ud800",
    "A" * 65,
    HUGE,
]
BAD_SLUGS = [*NOT_STRINGS, "", "has space", "a/b", "ünïcödé", "x\x00", "-" * 81, "\u202eevil"]


def bad_ints(low: int, high: int) -> list:
    return [*NOT_INTEGERS, low - 1, high + 1, low - 10**6, high + 10**6]


def bad_refs() -> list:
    # Ids that are no row at all; ids of rows out of the caller's scope are added per endpoint.
    return [*WRONG_TYPES, None, "1", "", 0, -1, 2**31, 2**63 - 1, 2**63, -(2**63) - 1, 10**30]


def bad_text(max_length: int, *, required: bool) -> list:
    values = [*NOT_STRINGS, *ODD_STRINGS_ALWAYS_BAD, "y" * (max_length + 1)]
    if required:
        values += ["", "   ", "\n\t \r\n"]
    return values


def bad_choice(valid: list[str]) -> list:
    return [
        *NOT_STRINGS,
        "",
        " ",
        valid[0].upper(),
        f" {valid[0]}",
        f"{valid[0]}\x00",
        "\u202e" + valid[0],
        HUGE,
    ]


# --- Endpoints ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Endpoint:
    method: str
    url: Callable[[World], str]
    role: str
    body: Callable[[World], dict]
    fields: Callable[[World], dict[str, list]]
    ok_status: int = 201


def soon_iso(hours: int = 48) -> str:
    return (timezone.now() + dt.timedelta(hours=hours)).replace(microsecond=0).isoformat()


ENDPOINTS: dict[str, Endpoint] = {
    "progress_log_create": Endpoint(
        "post",
        lambda w: "/api/v1/progress-logs/",
        "learner",
        lambda w: {
            "enrollment": w.enrollment.pk,
            "module": w.module.pk,
            "logged_on": today_iso(),
            "minutes": 30,
            "note": "Read chapter 3.",
        },
        lambda w: {
            "enrollment": [*bad_refs(), w.other_enrollment.pk],
            "module": bad_refs(),
            "logged_on": [*BAD_DATES, today_iso(2), "2099-12-31"],
            "minutes": bad_ints(1, 1440),
            "note": bad_text(5000, required=False),
        },
    ),
    "progress_log_update": Endpoint(
        "patch",
        lambda w: f"/api/v1/progress-logs/{w.log.pk}/",
        "learner",
        lambda w: {"minutes": 45, "note": "More reading.", "logged_on": today_iso()},
        lambda w: {
            "module": bad_refs(),
            "logged_on": [*BAD_DATES, today_iso(2), "2099-12-31"],
            "minutes": bad_ints(1, 1440),
            "note": bad_text(5000, required=False),
        },
        ok_status=200,
    ),
    "submission_create": Endpoint(
        "post",
        lambda w: "/api/v1/submissions/",
        "learner",
        lambda w: {
            "enrollment": w.enrollment.pk,
            "assignment": w.spare_assignment.pk,
            "url": "https://github.com/ada/work",
            "note": "Please look at the tests.",
        },
        lambda w: {
            "enrollment": [*bad_refs(), w.other_enrollment.pk],
            "assignment": bad_refs(),
            "url": BAD_URLS,
            "note": bad_text(5000, required=False),
            "deployment_url": [u for u in BAD_URLS if u != ""],
        },
    ),
    "review": Endpoint(
        "post",
        lambda w: f"/api/v1/submissions/{w.submission.pk}/review/",
        "mentor",
        lambda w: {
            "verdict": "approved",
            "feedback": "Clear and tested.",
            "scores": {str(w.criterion.pk): 3},
        },
        lambda w: {
            "verdict": bad_choice(["approved", "changes_requested"]),
            "feedback": bad_text(20000, required=True),
            "scores": [
                *[v for v in NOT_STRINGS if v not in ({}, None)],
                "3",
                [3],
                {str(w.criterion.pk): -1},
                {str(w.criterion.pk): 5},
                {str(w.criterion.pk): 101},
                {str(w.criterion.pk): 2**63},
                {str(w.criterion.pk): "3"},
                {str(w.criterion.pk): 3.5},
                {str(w.criterion.pk): None},
                {str(w.criterion.pk): True},
                {"abc": 1},
                {"-1": 1},
                {"": 1},
                {"\x00": 1},
                {"9" * 13: 1},
                {"٣": 1},
                {str(n): 1 for n in range(51)},
            ],
        },
    ),
    "pause": Endpoint(
        "post",
        lambda w: f"/api/v1/enrollments/{w.enrollment.pk}/pause/",
        "staff",
        lambda w: {"start": today_iso(10), "end": today_iso(12), "reason": "Family matters."},
        lambda w: {
            "start": [*BAD_DATES, today_iso(13)],
            "end": [*BAD_DATES, today_iso(9), today_iso(10 + 400)],
            "reason": bad_text(500, required=False),
        },
    ),
    "help": Endpoint(
        "post",
        lambda w: f"/api/v1/enrollments/{w.enrollment.pk}/help/",
        "learner",
        lambda w: {"message": "Stuck on backprop."},
        lambda w: {"message": bad_text(5000, required=True)},
    ),
    "help_answer": Endpoint(
        "post",
        lambda w: f"/api/v1/help-requests/{w.help_request.pk}/answer/",
        "mentor",
        lambda w: {"answer": "Let us talk on Friday."},
        lambda w: {"answer": bad_text(5000, required=False)},
        ok_status=200,
    ),
    "session_create": Endpoint(
        "post",
        lambda w: "/api/v1/sessions/",
        "mentor",
        lambda w: {
            "enrollment": w.enrollment.pk,
            "scheduled_at": soon_iso(72),
            "duration_minutes": 30,
            "status": "scheduled",
            "notes": "Agenda: capstone scope.",
        },
        lambda w: {
            "enrollment": [*bad_refs(), w.other_enrollment.pk],
            "scheduled_at": BAD_DATETIMES,
            "duration_minutes": bad_ints(5, 480),
            "status": bad_choice(["scheduled", "completed", "missed", "cancelled"]),
            "notes": bad_text(10000, required=False),
        },
    ),
    "session_update": Endpoint(
        "patch",
        lambda w: f"/api/v1/sessions/{w.session.pk}/",
        "mentor",
        lambda w: {"duration_minutes": 45, "notes": "Moved agenda."},
        lambda w: {
            "scheduled_at": BAD_DATETIMES,
            "duration_minutes": bad_ints(5, 480),
            "status": bad_choice(["scheduled", "completed", "missed", "cancelled"]),
            "notes": bad_text(10000, required=False),
        },
        ok_status=200,
    ),
    "pairing_create": Endpoint(
        "post",
        lambda w: "/api/v1/pairings/",
        "staff",
        lambda w: {"enrollment": w.unpaired_enrollment.pk, "mentor": w.mentor.pk},
        lambda w: {
            "enrollment": bad_refs(),
            "mentor": [*bad_refs(), w.full_mentor.pk],
        },
    ),
    "pairing_end": Endpoint(
        "post",
        lambda w: f"/api/v1/pairings/{w.pairing.pk}/end/",
        "staff",
        lambda w: {"reason": "Mentor on leave."},
        lambda w: {"reason": bad_text(200, required=False)},
        ok_status=200,
    ),
    "preferences": Endpoint(
        "patch",
        lambda w: "/api/v1/me/preferences/",
        "learner",
        lambda w: {
            "timezone": "Europe/Berlin",
            "email_reminders": False,
            "quiet_hours_start": "22:00",
            "quiet_hours_end": "07:00",
            "email_muted_kinds": ["due_soon"],
        },
        lambda w: {
            "timezone": BAD_TIMEZONES,
            "email_reminders": [*WRONG_TYPES[:4], 1.5, None, 0, 1, "true", "yes", "", "\x00"],
            "quiet_hours_start": BAD_TIMES,
            "quiet_hours_end": BAD_TIMES,
            "email_muted_kinds": [
                "due_soon",
                {},
                1,
                [1],
                [None],
                ["nope"],
                ["due_soon\x00"],
                ["DUE_SOON"],
                [HUGE],
                ["due_soon"] * 21,
            ],
        },
        ok_status=200,
    ),
    "program_create": Endpoint(
        "post",
        lambda w: "/api/v1/programs/",
        "staff",
        lambda w: {
            "name": "Data Engineering",
            "slug": "data-eng",
            "length_weeks": 20,
            "description": "Pipelines.",
        },
        lambda w: {
            "name": bad_text(200, required=True),
            "slug": BAD_SLUGS,
            "length_weeks": bad_ints(1, 260),
            "description": bad_text(5000, required=False),
        },
    ),
    "program_update": Endpoint(
        "patch",
        lambda w: f"/api/v1/programs/{w.program.pk}/",
        "staff",
        lambda w: {"name": "Renamed program"},
        lambda w: {
            "name": bad_text(200, required=True),
            "slug": BAD_SLUGS,
            "length_weeks": bad_ints(1, 260),
            "description": bad_text(5000, required=False),
        },
        ok_status=200,
    ),
    "module_create": Endpoint(
        "post",
        lambda w: "/api/v1/modules/",
        "staff",
        lambda w: {
            "program": w.program.pk,
            "order": 7,
            "title": "Transformers",
            "expected_hours": 12,
            "start_week": 5,
            "end_week": 6,
        },
        lambda w: {
            "program": bad_refs(),
            "order": bad_ints(0, 32767),
            "title": bad_text(200, required=True),
            "expected_hours": bad_ints(1, 2000),
            "start_week": bad_ints(1, 260),
            "end_week": [*bad_ints(1, 260), 4],
            "description": bad_text(5000, required=False),
        },
    ),
    "assignment_create": Endpoint(
        "post",
        lambda w: "/api/v1/assignments/",
        "staff",
        lambda w: {
            "program": w.program.pk,
            "module": w.module.pk,
            "order": 9,
            "title": "Attention from scratch",
            "kind": "exercise",
            "due_week": 3,
            "weight": 2,
            "rubric": [{"name": "Correctness", "max_score": 4}],
        },
        lambda w: {
            "program": bad_refs(),
            "module": [v for v in bad_refs() if v not in (None, "")],
            "order": bad_ints(0, 32767),
            "title": bad_text(200, required=True),
            "kind": bad_choice(["exercise", "project", "milestone"]),
            "due_week": bad_ints(1, 260),
            "weight": bad_ints(1, 1000),
            "description": bad_text(5000, required=False),
            "rubric": [
                "Correctness",
                {"name": "x", "max_score": 4},
                [1],
                [None],
                [{"name": "", "max_score": 4}],
                [{"name": "x\x00", "max_score": 4}],
                [{"name": "x", "max_score": 0}],
                [{"name": "x", "max_score": 101}],
                [{"name": "x", "max_score": "4"}],
                [{"name": "x", "max_score": 2**63}],
                [{"name": HUGE, "max_score": 4}],
                [{"max_score": 4}],
                [{"name": f"c{n}", "max_score": 1} for n in range(51)],
            ],
        },
    ),
    "cohort_create": Endpoint(
        "post",
        lambda w: "/api/v1/cohorts/",
        "staff",
        lambda w: {
            "program": w.program.pk,
            "name": "Autumn",
            "start_date": today_iso(30),
            "timezone": "Europe/Paris",
        },
        lambda w: {
            "program": bad_refs(),
            "name": bad_text(200, required=True),
            "start_date": BAD_DATES,
            "timezone": BAD_TIMEZONES,
        },
    ),
    "cohort_update": Endpoint(
        "patch",
        lambda w: f"/api/v1/cohorts/{w.cohort.pk}/",
        "staff",
        lambda w: {"name": "Renamed cohort", "timezone": "Asia/Tokyo"},
        lambda w: {
            "name": bad_text(200, required=True),
            "start_date": BAD_DATES,
            "timezone": BAD_TIMEZONES,
        },
        ok_status=200,
    ),
    "enrollment_create": Endpoint(
        "post",
        lambda w: "/api/v1/enrollments/",
        "staff",
        lambda w: {"cohort": w.cohort.pk, "learner": w.outsider.pk},
        lambda w: {
            "cohort": bad_refs(),
            "learner": [*bad_refs(), w.learner.pk],  # already enrolled in this cohort
        },
    ),
    "enrollment_status": Endpoint(
        "patch",
        lambda w: f"/api/v1/enrollments/{w.enrollment.pk}/",
        "staff",
        # Graduating keeps to the checklist (issue 15; "enrollment_graduate" below).
        lambda w: {"status": "withdrawn"},
        lambda w: {"status": bad_choice(["active", "paused", "withdrawn", "graduated"])},
        ok_status=200,
    ),
    "mentor_create": Endpoint(
        "post",
        lambda w: "/api/v1/mentors/",
        "staff",
        lambda w: {
            "user": w.other_outsider.pk,
            "capacity": 3,
            "expertise": ["python", "nlp"],
            "timezone": "America/Sao_Paulo",
            "bio": "Ten years of ML.",
        },
        lambda w: {
            "user": [*bad_refs(), w.mentor.user.pk],  # already a mentor
            "capacity": bad_ints(0, 200),
            "expertise": ["python", {}, 1, [1], [None], ["x" * 61], ["p\x00"], ["x"] * 31],
            "timezone": BAD_TIMEZONES,
            "bio": bad_text(5000, required=False),
        },
    ),
    "mentor_update": Endpoint(
        "patch",
        lambda w: f"/api/v1/mentors/{w.mentor.pk}/",
        "staff",
        lambda w: {"capacity": 6},
        lambda w: {
            "capacity": bad_ints(0, 200),
            "expertise": ["python", {}, 1, [1], [None], ["x" * 61], ["x"] * 31],
            "timezone": BAD_TIMEZONES,
            "bio": bad_text(5000, required=False),
            "is_active": [*WRONG_TYPES[:4], 1.5, None, 0, 1, "true", "false", ""],
        },
        ok_status=200,
    ),
    # --- capstone and graduation (issue 15) ---
    "enrollment_graduate": Endpoint(
        "post",
        lambda w: f"/api/v1/enrollments/{w.enrollment.pk}/graduate/",
        "staff",
        lambda w: {"override_reason": "Demoed live to the panel."},
        lambda w: {"override_reason": bad_text(2000, required=True)},
        ok_status=200,
    ),
}


def send(w: World, endpoint: Endpoint, body: Any):
    """Send ``body`` as raw JSON (ensure_ascii keeps lone surrogates as \\uXXXX escapes)."""
    # A fresh user object per request, as in production: services cache rows on the user.
    client = client_for(User.objects.get(pk=w.user(endpoint.role).pk))
    raw = body if isinstance(body, str | bytes) else json.dumps(body, ensure_ascii=True)
    return getattr(client, endpoint.method)(
        endpoint.url(w), data=raw, content_type="application/json"
    )


def assert_refused(response, field: str | None, before: dict) -> None:
    assert response.status_code == 400, (
        f"expected 400, got {response.status_code}: {response.content[:500]!r}"
    )
    errors = response.json()
    assert isinstance(errors, dict) and errors, errors
    if field is not None:
        # A pause's two dates are checked together: a bad one may be reported on the other.
        accepted = {field} | ({"start", "end"} if field in ("start", "end") else set())
        assert accepted & set(errors), f"no message for {field!r} in {errors}"
    assert snapshot() == before, "a refused request changed the database"


@pytest.mark.parametrize("name", sorted(ENDPOINTS))
def test_the_valid_body_of_each_endpoint_is_accepted(world, name):
    # The baseline: with nothing wrong, each write goes through. Rolled back afterwards.
    endpoint = ENDPOINTS[name]
    with transaction.atomic():
        response = send(world, endpoint, endpoint.body(world))
        assert response.status_code == endpoint.ok_status, response.content[:500]
        transaction.set_rollback(True)


@pytest.mark.parametrize("name", sorted(ENDPOINTS))
def test_one_bad_field_is_a_400_under_that_field_and_nothing_is_written(world, name):
    endpoint = ENDPOINTS[name]
    valid = endpoint.body(world)
    bad_values = endpoint.fields(world)
    before = snapshot()

    @HYPOTHESIS
    @given(case=one_bad_field(bad_values))
    def check(case):
        field, value = case
        with rolled_back():
            response = send(world, endpoint, {**valid, field: value})
            assert_refused(response, field, before)

    check()


@pytest.mark.parametrize("name", sorted(ENDPOINTS))
def test_every_field_of_the_valid_body_is_checked_every_value_at_least_once(world, name):
    # Hypothesis samples; this sweep makes sure no listed value is left out (one request each).
    endpoint = ENDPOINTS[name]
    valid = endpoint.body(world)
    before = snapshot()
    for field, values in endpoint.fields(world).items():
        for value in values:
            with rolled_back(field, value):
                response = send(world, endpoint, {**valid, field: value})
                assert_refused(response, field, before)


REQUIRED = {
    "progress_log_create": ["enrollment", "module", "logged_on", "minutes"],
    "submission_create": ["enrollment", "assignment", "url"],
    "review": ["verdict", "feedback"],
    "pause": ["start", "end"],
    "help": ["message"],
    "session_create": ["enrollment", "scheduled_at"],
    "pairing_create": ["enrollment", "mentor"],
    "program_create": ["name", "slug", "length_weeks"],
    "module_create": ["program", "order", "title", "expected_hours", "start_week", "end_week"],
    "assignment_create": ["program", "order", "title", "kind", "due_week"],
    "cohort_create": ["program", "name", "start_date"],
    "enrollment_create": ["cohort", "learner"],
    "enrollment_status": ["status"],
    "mentor_create": ["user", "capacity"],
}


@pytest.mark.parametrize(
    ("name", "field"), [(name, field) for name, fields in REQUIRED.items() for field in fields]
)
def test_a_missing_required_field_is_a_400_under_that_field(world, name, field):
    endpoint = ENDPOINTS[name]
    body = {k: v for k, v in endpoint.body(world).items() if k != field}
    before = snapshot()
    assert_refused(send(world, endpoint, body), field, before)


# --- Bodies that are not a JSON object at all -----------------------------------------------

RAW_BODIES = [
    "null",
    "[]",
    "[1, 2]",
    '"text"',
    "42",
    "true",
    "{",
    "{'single': 'quotes'}",
    '{"minutes": NaN}',
    '{"minutes": Infinity}',
    '{"minutes": -Infinity}',
    '{"minutes": 1' + "0" * 5000 + "}",  # longer than Python's int-digits limit
    '{"note": "bad escape \\x41"}',
    '{"a": 1}{"b": 2}',
    "\ufeff{}",
    "\x00",
    '{"note": "\x00"}',
    b'{"note": "\xff\xfe invalid utf-8"}',
    b"\xc3\x28",
]


@pytest.mark.parametrize("name", sorted(ENDPOINTS))
def test_bodies_that_are_not_a_json_object_are_a_400_and_write_nothing(world, name):
    endpoint = ENDPOINTS[name]
    before = snapshot()
    for raw in RAW_BODIES:
        cache.clear()
        response = send(world, endpoint, raw)
        label = repr(raw[:60])
        assert response.status_code == 400, f"{label}: {response.status_code}"
        assert isinstance(response.json(), dict), label
        assert snapshot() == before, label


# JSON that parses but that ``json.dumps`` cannot produce: spliced into one field at a time.
RAW_FIELD_LITERALS = [
    "1e999",  # parses as infinity
    "-1e999",
    "1" + "0" * 400,
    "[" * 500 + "]" * 500,
    '{"a":' * 500 + "1" + "}" * 500,
]


@pytest.mark.parametrize("name", sorted(ENDPOINTS))
def test_raw_json_literals_in_any_field_are_a_400_under_that_field(world, name):
    endpoint = ENDPOINTS[name]
    valid = endpoint.body(world)
    before = snapshot()
    for field in endpoint.fields(world):
        for literal in RAW_FIELD_LITERALS:
            cache.clear()
            raw = json.dumps({**valid, field: "SPLICE"}).replace('"SPLICE"', literal)
            with transaction.atomic():
                try:
                    assert_refused(send(world, endpoint, raw), field, before)
                except AssertionError as failure:
                    raise AssertionError(f"{field}={literal[:20]}: {failure}") from None
                finally:
                    transaction.set_rollback(True)


@pytest.mark.parametrize("name", sorted(ENDPOINTS))
def test_a_body_that_is_not_json_is_a_415_and_writes_nothing(world, name):
    endpoint = ENDPOINTS[name]
    before = snapshot()
    client = client_for(world.user(endpoint.role))
    for content_type, data in [
        ("application/x-www-form-urlencoded", "minutes=30&note=x"),
        ("text/plain", "hello"),
        ("application/xml", "<a/>"),
    ]:
        response = getattr(client, endpoint.method)(
            endpoint.url(world), data=data, content_type=content_type
        )
        assert response.status_code == 415, (content_type, response.status_code)
    assert snapshot() == before


# --- Odd Unicode that is legitimate: stored exactly, never a 500 ----------------------------

ODD_BUT_FINE = (
    st.lists(
        st.one_of(
            st.characters(
                blacklist_categories=("Cs", "Cc", "Zs", "Zl", "Zp", "Co", "Cn"),
                blacklist_characters="\x00",
            ),
            st.sampled_from(
                [
                    "\u200f",  # right-to-left mark
                    "\u200e",  # left-to-right mark
                    "\u202e",  # right-to-left override
                    "\u2066",  # left-to-right isolate
                    "\u200d",  # zero-width joiner
                    "\ufeff",  # byte order mark
                    "\u0301",  # combining acute accent
                    "👩🏽‍💻",
                    "ﷺ",
                    "\U0001d518\U0001d52b\U0001d526\U0001d520\U0001d52c\U0001d521\U0001d522",
                    "'; DROP TABLE learners_submission; --",
                    "<script>alert(1)</script>",
                    '=HYPERLINK("http://x")',
                ]
            ),
        ),
        min_size=1,
        max_size=20,
    )
    .map("".join)
    .filter(lambda value: len(value) <= 200 and value.strip())
)


@pytest.mark.parametrize(
    ("name", "field", "read_back"),
    [
        ("help", "message", lambda w: HelpRequest.objects.latest("pk").message),
        ("progress_log_create", "note", lambda w: ProgressLog.objects.latest("pk").note),
        ("session_create", "notes", lambda w: MentorSession.objects.latest("pk").notes),
        ("review", "feedback", lambda w: Review.objects.latest("pk").feedback),
        ("program_create", "name", lambda w: Program.objects.latest("pk").name),
    ],
)
def test_odd_but_legitimate_unicode_is_stored_exactly(world, name, field, read_back):
    endpoint = ENDPOINTS[name]
    valid = endpoint.body(world)

    @HYPOTHESIS
    @given(value=ODD_BUT_FINE)
    def check(value):
        cache.clear()
        with transaction.atomic():
            try:
                response = send(world, endpoint, {**valid, field: value})
                assert response.status_code == endpoint.ok_status, response.content[:300]
                assert read_back(world) == value.strip()
            finally:
                transaction.set_rollback(True)

    check()


# --- Roster upload --------------------------------------------------------------------------

ROSTER_POISON = [
    ("not-an-email", "Ann", "Lee"),
    ("", "Ann", "Lee"),
    ("a@@example.com", "Ann", "Lee"),
    ("ann\x00@example.com", "Ann", "Lee"),
    ("ann@example.com\ud800", "Ann", "Lee"),
    ("x" * 300 + "@example.com", "Ann", "Lee"),
    ("ann@example.com", "A" * 100_000, "Lee"),
    ("ann@example.com", "Ann", "L\x00e"),
    ("ann@example.com", "Ann", "L" * 151),
]

VALID_ROW = st.tuples(
    st.from_regex(r"[a-z]{1,12}\.[a-z]{1,12}@example\.org", fullmatch=True),
    st.text(alphabet=st.characters(whitelist_categories=("Lu", "Ll")), min_size=1, max_size=30),
    st.text(alphabet=st.characters(whitelist_categories=("Lu", "Ll")), min_size=1, max_size=30),
)


def roster_csv(rows: list[tuple[str, str, str]], *, header: str = "email,first_name,last_name"):
    lines = [header, *(",".join(f'"{cell}"' for cell in row) for row in rows)]
    return "\r\n".join(lines).encode("utf-8", "surrogatepass")


def upload(w: World, content: bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = client_for(w.staff)
    return client.post(
        f"/api/v1/cohorts/{w.cohort.pk}/roster/",
        {"file": SimpleUploadedFile("roster.csv", content, content_type="text/csv")},
        format="multipart",
    )


def test_a_valid_roster_is_accepted(world):
    # The baseline for the roster tests below.
    with transaction.atomic():
        response = upload(world, roster_csv([("ann.lee@example.org", "Ann", "Lee")]))
        assert response.status_code == 201, response.content[:300]
        transaction.set_rollback(True)


@HYPOTHESIS
@given(
    good=st.lists(VALID_ROW, max_size=4, unique_by=lambda row: row[0]),
    poison=st.sampled_from(ROSTER_POISON),
    position=st.integers(min_value=0, max_value=4),
)
def test_a_roster_with_one_bad_row_is_a_400_and_imports_nobody(world, good, poison, position):
    cache.clear()
    rows = list(good)
    rows.insert(min(position, len(rows)), poison)
    before = snapshot()
    response = upload(world, roster_csv(rows))
    assert response.status_code == 400, response.content[:300]
    assert response.json()
    assert snapshot() == before


@HYPOTHESIS
@given(
    content=st.one_of(
        st.binary(max_size=2000),
        st.text(max_size=500).map(lambda s: s.encode("utf-8")),
        st.sampled_from(
            [
                b"",
                b"\x00" * 100,
                b"\xff\xfe\x00e\x00m\x00a\x00i\x00l",  # UTF-16
                b"email,first_name,last_name\r\n",  # header only
                b"name,surname\r\nAnn,Lee\r\n",  # wrong columns
                b'email,first_name,last_name\r\n"unterminated,Ann,Lee\r\n',
                b"email,first_name,last_name\r\nann@example.org,Ann\r\n",  # short row
                b"email,first_name,last_name\r\nann@example.org,Ann,Lee,extra,more\r\n",
                b"email,first_name,last_name,mentor_email\r\nann@example.org,A,L,nobody@x.org\r\n",
                b"email,email,first_name,last_name\r\na@example.org,b@example.org,A,L\r\n",
                b"email,first_name,last_name\r\n" + b"ann@example.org,Ann,Lee\r\n" * 2,
            ]
        ),
    )
)
def test_garbage_roster_files_are_a_400_and_import_nobody(world, content):
    cache.clear()
    before = snapshot()
    response = upload(world, content)
    assert response.status_code == 400, (content[:80], response.status_code)
    assert response.json()
    assert snapshot() == before


def test_a_roster_over_the_size_limit_is_a_413_and_imports_nobody(world, settings):
    settings.STRIDE_MAX_UPLOAD_BYTES = 10_000
    before = snapshot()
    rows = [(f"p{n}.q@example.org", "Ann", "Lee") for n in range(1000)]
    response = upload(world, roster_csv(rows))
    assert response.status_code == 413
    assert snapshot() == before


def test_a_roster_sent_as_json_is_refused_and_imports_nobody(world):
    before = snapshot()
    response = client_for(world.staff).post(
        f"/api/v1/cohorts/{world.cohort.pk}/roster/",
        data=json.dumps({"file": "email,first_name,last_name\nann@example.org,Ann,Lee"}),
        content_type="application/json",
    )
    assert response.status_code in (400, 415)
    assert snapshot() == before


# --- List filters: bad query strings are never a 500 ----------------------------------------

LIST_URLS = [
    "/api/v1/enrollments/",
    "/api/v1/progress-logs/",
    "/api/v1/submissions/",
    "/api/v1/sessions/",
    "/api/v1/pairings/",
    "/api/v1/cohorts/",
    "/api/v1/help-requests/",
    "/api/v1/notifications/",
]
BAD_QUERY_VALUES = [
    "abc",
    "",
    "-1",
    "1.5",
    str(2**63),
    "9" * 40,
    "NaN",
    "\x00",
    "%00",
    "%ED%A0%80",  # an encoded lone surrogate
    "%FF",
    "\u202e1",
    "1,2",
    "0001-01-01",
    "9999-12-31",
    "x" * 5000,
]


@HYPOTHESIS
@given(
    url=st.sampled_from(LIST_URLS),
    key=st.sampled_from(["cohort", "enrollment", "status", "pace", "page", "ordering", "mentor"]),
    value=st.sampled_from(BAD_QUERY_VALUES),
)
def test_bad_list_filters_never_answer_a_server_error(world, url, key, value):
    cache.clear()
    response = client_for(world.staff).get(f"{url}?{key}={value}")
    assert response.status_code in (200, 400, 404), (url, key, value, response.status_code)
