"""Pages and API answers follow the person's language preference, else the browser's
``Accept-Language``, else English; dates, relative times and numbers follow it too."""

from __future__ import annotations

import datetime as dt

import pytest
from django.template import Context, Template
from django.test import Client
from django.urls import reverse
from django.utils import translation
from django.utils.timesince import timesince

from tests.api.conftest import client_for
from tests.world import NOW
from tracker.models import UserPreferences
from tracker.notifications import preferences_update
from tracker.security.ratelimit import wait_text

pytestmark = pytest.mark.django_db


def signed_in(user, **headers) -> Client:
    client = Client(**headers)
    client.force_login(user)
    return client


def test_an_anonymous_page_follows_accept_language(client, world):
    url = reverse("password_reset")
    spanish = client.get(url, HTTP_ACCEPT_LANGUAGE="es-ES,es;q=0.9,en;q=0.5")
    assert "Restablece tu contraseña" in spanish.content.decode()
    assert spanish["Content-Language"] == "es"
    assert "Accept-Language" in spanish["Vary"]
    english = client.get(url, HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert "Reset your password" in english.content.decode()
    assert english["Content-Language"] == "en"
    # A language Stride does not speak falls back to English.
    assert "Reset your password" in client.get(url, HTTP_ACCEPT_LANGUAGE="de").content.decode()


def test_the_preference_wins_over_the_browser(world):
    preferences_update(actor=world.learner, language="es")
    page = signed_in(world.learner, HTTP_ACCEPT_LANGUAGE="en-US").get(reverse("preferences"))
    body = page.content.decode()
    assert page["Content-Language"] == "es"
    assert '<label for="id_timezone">Zona horaria</label>' in body
    assert '<label for="id_timezone">Time zone</label>' not in body
    assert '<option value="es" selected>Español</option>' in body


def test_no_preference_follows_the_browser(world):
    preferences_update(actor=world.learner, language="")
    spanish = signed_in(world.learner, HTTP_ACCEPT_LANGUAGE="es-MX").get(reverse("preferences"))
    assert "Zona horaria" in spanish.content.decode()
    english = signed_in(world.learner, HTTP_ACCEPT_LANGUAGE="en-GB").get(reverse("preferences"))
    assert "Time zone" in english.content.decode()


def test_choosing_spanish_on_the_page_turns_the_next_page_spanish(world):
    client = signed_in(world.learner, HTTP_ACCEPT_LANGUAGE="en")
    page = client.post(
        reverse("preferences"), {"timezone": "Europe/Madrid", "language": "es"}, follow=True
    )
    assert UserPreferences.objects.get(user=world.learner).language == "es"
    assert "Tus preferencias se guardaron." in page.content.decode()
    # An unknown language is an error in place, and nothing is saved.
    refused = client.post(reverse("preferences"), {"timezone": "UTC", "language": "fr"})
    assert refused.status_code == 200
    assert 'id="id_language_error"' in refused.content.decode()
    assert UserPreferences.objects.get(user=world.learner).timezone == "Europe/Madrid"


def test_dates_follow_the_language(world):
    """Lena's home lists her session with Max of Tuesday 10 March."""
    preferences_update(actor=world.learner, language="es")
    body = signed_in(world.learner).get(reverse("learner_home")).content.decode()
    assert "mar 10 Mar 2026, 10:00" in body and "Tue 10 Mar 2026" not in body
    preferences_update(actor=world.learner, language="en")
    body = signed_in(world.learner).get(reverse("learner_home")).content.decode()
    assert "Tue 10 Mar 2026, 10:00" in body


def test_relative_times_follow_the_language():
    with translation.override("es"):
        assert wait_text(45) == "dentro de 45 segundos"
        assert wait_text(120) == "dentro de 2 minutos"
        assert timesince(NOW - dt.timedelta(hours=1), NOW) == "1\xa0hora"
    with translation.override("en"):
        assert wait_text(60) == "in 60 seconds"
        assert wait_text(61 * 60) == "in 61 minutes"
        assert timesince(NOW - dt.timedelta(hours=1), NOW) == "1\xa0hour"


def test_numbers_follow_the_language():
    template = Template("{{ value|floatformat:1 }}")
    with translation.override("es"):
        assert template.render(Context({"value": 62.5})) == "62,5"
    with translation.override("en"):
        assert template.render(Context({"value": 62.5})) == "62.5"


def test_the_api_reads_and_changes_the_language(world):
    api = client_for(world.learner)
    assert api.get("/api/v1/me/preferences/").json()["language"] == ""
    changed = api.patch("/api/v1/me/preferences/", {"language": "es"}, format="json")
    assert changed.status_code == 200 and changed.json()["language"] == "es"
    refused = api.patch("/api/v1/me/preferences/", {"language": "fr"}, format="json")
    assert refused.status_code == 400 and "language" in refused.json()
    assert UserPreferences.objects.get(user=world.learner).language == "es"


def test_api_messages_follow_a_token_callers_preference(world):
    """DRF authenticates after the middleware ran: the view applies the caller's language."""
    preferences_update(actor=world.learner, language="es")
    api = client_for(world.learner)
    answer = api.patch("/api/v1/me/preferences/", ["not", "an", "object"], format="json")
    assert answer.status_code == 400
    assert "Envía un objeto JSON." in str(answer.json())
    assert answer["Content-Language"] == "es"
