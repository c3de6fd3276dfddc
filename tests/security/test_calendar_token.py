"""The private calendar feed's token: random enough, the only credential, compared in constant
time, rotatable (the old address dies at once), and a feed holds only its owner's dates."""

from __future__ import annotations

import base64
import datetime as dt
import re

import pytest
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from tests.curriculum.factories import (
    AssignmentFactory,
    CohortFactory,
    ProgramFactory,
)
from tests.learners.factories import EnrollmentFactory, LearnerFactory
from tests.mentors.factories import MentorFactory, MentorSessionFactory, PairingFactory
from tracker.calendar import calendar_feed_text
from tracker.models import UserPreferences, new_calendar_token
from tracker.notifications import calendar_token_rotate
from tracker.security.tokens import token_issue

pytestmark = pytest.mark.django_db

URLSAFE = re.compile(r"^[A-Za-z0-9_-]+$")


def feed(token: str, client: Client | None = None):
    return (client or Client()).get(f"/calendar/{token}.ics")


def token_of(user) -> str:
    return UserPreferences.objects.get(user=user).calendar_token


@pytest.fixture
def calendar_people(world):
    """Beside the world's people, Ada and Bob learn in two programs of their own (so each feed
    holds exactly one task), with Grace and Alan as mentors. Sam is the world's staff."""
    now = timezone.now()
    start = now.date() - dt.timedelta(weeks=2)
    ada_program = ProgramFactory(name="Ada's program")
    bob_program = ProgramFactory(name="Bob's program")
    ada_task = AssignmentFactory(
        program=ada_program, module__program=ada_program, title="ADA-ONLY task", due_week=3
    )
    bob_task = AssignmentFactory(
        program=bob_program, module__program=bob_program, title="BOB-ONLY task", due_week=4
    )
    ada = LearnerFactory(username="ada", first_name="Ada", last_name="Lovelace")
    bob = LearnerFactory(username="bob", first_name="Bob", last_name="Babbage")
    ada_enrollment = EnrollmentFactory(
        cohort=CohortFactory(program=ada_program, start_date=start), learner=ada
    )
    bob_enrollment = EnrollmentFactory(
        cohort=CohortFactory(program=bob_program, start_date=start), learner=bob
    )
    grace = MentorFactory(
        user__username="grace", user__first_name="Grace", user__last_name="Hopper"
    )
    alan = MentorFactory(user__username="alan", user__first_name="Alan", user__last_name="Turing")
    ada_session = MentorSessionFactory(
        pairing=PairingFactory(enrollment=ada_enrollment, mentor=grace),
        scheduled_at=now + dt.timedelta(days=2),
    )
    bob_session = MentorSessionFactory(
        pairing=PairingFactory(enrollment=bob_enrollment, mentor=alan),
        scheduled_at=now + dt.timedelta(days=3),
    )
    staff = world.staff
    for user in (ada, bob, grace.user, alan.user, staff):
        calendar_token_rotate(actor=user)
    return {
        "ada": ada,
        "bob": bob,
        "grace": grace.user,
        "alan": alan.user,
        "staff": staff,
        "ada_task": ada_task,
        "bob_task": bob_task,
        "ada_enrollment": ada_enrollment,
        "bob_enrollment": bob_enrollment,
        "ada_session": ada_session,
        "bob_session": bob_session,
    }


# --- Randomness ------------------------------------------------------------------------------


def test_a_token_carries_at_least_128_random_bits():
    token = new_calendar_token()
    # The token is at least 16 bytes of randomness in URL-safe base64, not a shortened form.
    assert URLSAFE.match(token)
    assert len(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))) >= 16
    assert len(token) <= 64  # the column and the feed URL's pattern


def test_tokens_do_not_repeat_and_use_the_whole_alphabet():
    tokens = [new_calendar_token() for _ in range(500)]
    assert len(set(tokens)) == len(tokens)
    # 500 tokens of 43 characters draw on all 64 URL-safe characters; a token made from a
    # counter, a timestamp or hex would not.
    assert len(set("".join(tokens))) == 64


def test_every_user_gets_a_different_token_and_it_fits_the_feed_address(calendar_people):
    tokens = list(UserPreferences.objects.values_list("calendar_token", flat=True))
    assert len(tokens) == 5
    assert len(set(tokens)) == 5
    for token in tokens:
        assert feed(token).status_code == 200


# --- The token is the only credential -------------------------------------------------------


def near_misses(token: str) -> list[str]:
    flipped = token[:-1] + ("A" if token[-1] != "A" else "B")
    return [
        flipped,
        token.swapcase(),
        token.upper(),
        token[:-1],
        token[1:],
        token + "A",
        token[:32],
        "A" * len(token),
        new_calendar_token(),
    ]


def test_unknown_and_near_miss_tokens_are_a_404(calendar_people):
    token = token_of(calendar_people["ada"])
    for candidate in near_misses(token):
        assert feed(candidate).status_code == 404, candidate


@pytest.mark.parametrize(
    "path",
    [
        "/calendar/.ics",
        "/calendar/%20.ics",
        "/calendar/%00.ics",
        "/calendar/..%2F..%2Fetc%2Fpasswd.ics",
        "/calendar/" + "A" * 65 + ".ics",
        "/calendar/" + "A" * 5000 + ".ics",
        "/calendar/%E2%80%AE.ics",
        "/calendar/%ED%A0%80.ics",
        "/calendar/*.ics",
        "/calendar/%25.ics",
        "/calendar/_.ics",
    ],
)
def test_malformed_feed_addresses_are_a_404(calendar_people, path):
    assert Client().get(path).status_code == 404


def test_a_signed_in_session_or_an_api_token_is_no_substitute_for_the_feed_token(calendar_people):
    session_client = Client()
    session_client.force_login(calendar_people["ada"])
    assert feed(new_calendar_token(), session_client).status_code == 404
    _token, api_token = token_issue(user=calendar_people["ada"], name="test")
    api_client = APIClient()
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {api_token}")
    assert api_client.get(f"/calendar/{new_calendar_token()}.ics").status_code == 404
    assert api_client.get(f"/calendar/{api_token}.ics").status_code == 404


def test_a_deactivated_users_feed_is_a_404(calendar_people):
    token = token_of(calendar_people["bob"])
    calendar_people["bob"].is_active = False
    calendar_people["bob"].save(update_fields=["is_active"])
    assert feed(token).status_code == 404


def test_the_feed_is_not_cached_publicly_and_leaks_no_referrer(calendar_people):
    response = feed(token_of(calendar_people["ada"]))
    assert response.status_code == 200
    assert "private" in response["Cache-Control"]
    assert "public" not in response["Cache-Control"]
    assert response["Referrer-Policy"] == "no-referrer"


# --- Exact comparison ------------------------------------------------------------------------


@pytest.mark.parametrize("variant", [str.swapcase, str.upper, str.lower, lambda t: t + " "])
def test_only_the_exact_token_opens_the_feed(calendar_people, variant):
    # Whatever a database collation would match (case, padding), the final comparison is exact.
    token = token_of(calendar_people["ada"])
    assert calendar_feed_text(token=token) is not None
    if variant(token) != token:
        assert calendar_feed_text(token=variant(token)) is None


# --- Rotation -------------------------------------------------------------------------------


def test_rotating_through_the_api_ends_the_old_address_at_once(calendar_people):
    old = token_of(calendar_people["ada"])
    client = APIClient()
    client.force_authenticate(calendar_people["ada"])
    response = client.post("/api/v1/me/calendar-token/")
    assert response.status_code == 201
    new = token_of(calendar_people["ada"])
    assert new != old
    assert response.json()["calendar_url"].endswith(f"/calendar/{new}.ics")
    assert feed(old).status_code == 404
    assert feed(new).status_code == 200
    # Rotating again ends the second address too.
    client.post("/api/v1/me/calendar-token/")
    assert feed(new).status_code == 404
    assert feed(token_of(calendar_people["ada"])).status_code == 200


def test_rotating_on_the_page_ends_the_old_address_at_once(calendar_people):
    old = token_of(calendar_people["grace"])
    client = Client()
    client.force_login(calendar_people["grace"])
    # A GET (a followed link, a browser prefetch) never rotates.
    assert client.get("/calendar/rotate/").status_code == 405
    assert token_of(calendar_people["grace"]) == old
    assert client.post("/calendar/rotate/").status_code == 302
    new = token_of(calendar_people["grace"])
    assert new != old
    assert feed(old).status_code == 404
    assert feed(new).status_code == 200


def test_rotation_touches_only_the_callers_own_token(calendar_people):
    others = {name: token_of(calendar_people[name]) for name in ("bob", "grace", "alan", "staff")}
    client = APIClient()
    client.force_authenticate(calendar_people["ada"])
    client.post("/api/v1/me/calendar-token/")
    for name, token in others.items():
        assert token_of(calendar_people[name]) == token
        assert feed(token).status_code == 200


def test_nobody_signed_out_can_rotate(calendar_people):
    before = dict(UserPreferences.objects.values_list("user_id", "calendar_token"))
    assert APIClient().post("/api/v1/me/calendar-token/").status_code == 401
    response = Client().post("/calendar/rotate/")
    assert response.status_code == 302 and "/login/" in response["Location"]
    assert dict(UserPreferences.objects.values_list("user_id", "calendar_token")) == before


# --- Only the owner's dates -----------------------------------------------------------------


def uids(body: str) -> set[str]:
    return set(re.findall(r"^UID:(.+?)\r$", body, flags=re.M))


def test_a_learners_feed_holds_only_their_own_dates(calendar_people):
    body = feed(token_of(calendar_people["ada"])).content.decode()
    ada_enrollment = calendar_people["ada_enrollment"]
    assert uids(body) == {
        f"assignment-{ada_enrollment.pk}-{calendar_people['ada_task'].pk}@stride",
        f"session-{calendar_people['ada_session'].pk}@stride",
    }
    assert "ADA-ONLY task" in body
    assert "BOB-ONLY task" not in body
    assert "Babbage" not in body and "Turing" not in body


def test_a_mentors_feed_holds_only_their_own_sessions(calendar_people):
    body = feed(token_of(calendar_people["grace"])).content.decode()
    assert uids(body) == {f"session-{calendar_people['ada_session'].pk}@stride"}
    assert "Lovelace" in body
    assert "Babbage" not in body and "BOB-ONLY" not in body and "ADA-ONLY" not in body


def test_a_staff_members_feed_is_not_a_window_onto_everyone(calendar_people):
    body = feed(token_of(calendar_people["staff"])).content.decode()
    assert uids(body) == set()
    assert "Lovelace" not in body and "Babbage" not in body


def test_one_users_token_never_opens_another_users_feed(calendar_people):
    bodies = {
        name: feed(token_of(calendar_people[name])).content.decode() for name in ("ada", "bob")
    }
    assert not uids(bodies["ada"]) & uids(bodies["bob"])
    assert f"session-{calendar_people['bob_session'].pk}@stride" in uids(bodies["bob"])
    assert f"session-{calendar_people['bob_session'].pk}@stride" not in uids(bodies["ada"])
