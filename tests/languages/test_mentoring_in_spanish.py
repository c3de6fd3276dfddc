"""Mentor operations in Spanish: the session, availability, metrics and payout pages carry no
English a person reads, and a booking refused by the rules says why in the caller's language."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from mentors import booking
from tests.api.conftest import client_for
from tests.languages.test_no_english_left import leftovers, texts
from tests.mentors.operations import max_with_thursdays, utc
from tracker.notifications import preferences_update

pytestmark = pytest.mark.django_db
# Max's Thursday slots of this week (10:00 and 11:00 in Madrid).
THURSDAY_10 = utc(2026, 3, 12, 9)
THURSDAY_11 = utc(2026, 3, 12, 10)


@pytest.fixture
def world_history() -> bool:
    return False


def _both(client: Client, url: str) -> tuple[set[str], set[str]]:
    english = client.get(url, HTTP_ACCEPT_LANGUAGE="en")
    spanish = client.get(url, HTTP_ACCEPT_LANGUAGE="es")
    assert english.status_code == spanish.status_code == 200, url
    return texts(english.content.decode()), texts(spanish.content.decode())


@pytest.mark.parametrize(
    ("who", "page"),
    [
        ("learner", "sessions"),
        ("mentor", "sessions"),
        ("mentor", "mentor_availability"),
        ("staff", "staff_mentor_metrics"),
        ("staff", "staff_payouts"),
    ],
)
def test_mentoring_pages_have_no_english_left(world, who, page):
    max_with_thursdays(world)
    user = {"learner": world.learner, "mentor": world.mentor.user, "staff": world.staff}[who]
    client = Client()
    client.force_login(user)
    english, spanish = _both(client, reverse(page))
    assert english, "the page's main content was found"
    names = {world.learner.get_full_name()}
    names |= {
        m.user.get_full_name() for m in (world.mentor, world.other_mentor, world.spare_mentor)
    }
    # The same in both languages on purpose: "Mentor", "Total" and the minutes' unit.
    same = names | {"Mentor", "Total", "45 min"}
    assert not leftovers(english, spanish, same), (who, page, leftovers(english, spanish, same))


def test_a_refused_booking_says_why_in_the_callers_language(world, clock):
    """Lena has this week's call already: a second booking that week is a 400 on ``starts_at``
    in the rule's own words, in the language she chose."""
    max_with_thursdays(world)
    booking.session_book(actor=world.learner, enrollment=world.enrollment, starts_at=THURSDAY_10)
    said = {}
    for language in ("es", "en"):
        preferences_update(actor=world.learner, language=language)
        response = client_for(world.learner).post(
            "/api/v1/sessions/book/",
            {"enrollment": world.enrollment.pk, "starts_at": THURSDAY_11.isoformat()},
            format="json",
        )
        assert response.status_code == 400
        said[language] = response.json()["starts_at"]
    assert said["es"] == ["Puedes reservar 1 sesión por semana; esta semana ya está completa."]
    assert said["en"] == ["You can book 1 session per week; this week is full."]
