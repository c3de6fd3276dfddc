"""The preferences page: time zone, reminder emails, muted kinds, quiet hours, calendar feed."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import Client
from django.urls import reverse

from tests.curriculum.factories import UserFactory
from tracker.models import Notification, UserPreferences
from tracker.notifications import preferences_for, preferences_update

pytestmark = pytest.mark.django_db
URL = "/preferences/"


def valid_post(**changes) -> dict:
    data = {
        "timezone": "Europe/Berlin",
        "email_reminders": "on",
        "email_muted_kinds": ["weekly_digest", "due_soon"],
        "quiet_hours_start": "22:00",
        "quiet_hours_end": "07:30",
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def checked_kinds(body: str) -> set[str]:
    return set(re.findall(r'name="email_muted_kinds" value="(\w+)"[^>]*checked', body))


def selected_zone(body: str) -> str:
    match = re.search(r'<option value="([^"]+)" selected>', body)
    return match.group(1) if match else ""


def test_every_signed_in_role_finds_the_page_in_the_header(client, world):
    for user in (world.learner, world.mentor.user, world.staff, UserFactory(username="newbie")):
        client.force_login(user)
        home = client.get(reverse("home"), follow=True)
        assert f'href="{URL}"' in home.content.decode(), user
        assert client.get(URL).status_code == 200


def test_page_shows_current_settings_without_inline_code(learner_client, world):
    preferences_update(
        actor=world.learner,
        timezone="America/New_York",
        email_muted_kinds=["inactive"],
        quiet_hours_start="21:00",
        quiet_hours_end="06:00",
    )
    response = learner_client.get(URL)
    body = response.content.decode()
    assert response.status_code == 200
    assert selected_zone(body) == "America/New_York"
    assert checked_kinds(body) == {"inactive"}
    for kind in Notification.Kind.values:
        assert f'value="{kind}"' in body
    assert 'value="21:00"' in body and 'value="06:00"' in body
    assert 'name="csrfmiddlewaretoken"' in body
    token = preferences_for(world.learner).calendar_token
    assert f"/calendar/{token}.ics" in body
    assert "<script>" not in body and "style=" not in body and "onclick" not in body
    assert "script-src 'self'" in response["Content-Security-Policy"]


def test_saving_changes_every_setting(learner_client, world):
    response = learner_client.post(URL, valid_post(email_reminders=None))
    assert response.status_code == 302 and response["Location"] == URL
    preferences = UserPreferences.objects.get(user=world.learner)
    assert preferences.timezone == "Europe/Berlin"
    assert preferences.email_reminders is False
    assert preferences.email_muted_kinds == ["due_soon", "weekly_digest"]
    assert preferences.quiet_hours_start == dt.time(22, 0)
    assert preferences.quiet_hours_end == dt.time(7, 30)
    page = learner_client.get(URL).content.decode()
    assert "Your preferences were saved." in page
    assert checked_kinds(page) == {"due_soon", "weekly_digest"}
    assert 'id="id_email_reminders" checked' not in page

    # Unchecking every kind and clearing the quiet hours is saved too.
    learner_client.post(
        URL, valid_post(email_muted_kinds=[], quiet_hours_start="", quiet_hours_end="")
    )
    preferences.refresh_from_db()
    assert preferences.email_muted_kinds == []
    assert preferences.quiet_hours_start is None and preferences.quiet_hours_end is None
    assert preferences.email_reminders is True


def field_errors(body: str, field: str) -> str:
    match = re.search(rf'id="id_{field}_error"[^>]*>(.*?)</ul>', body, re.S)
    return match.group(1) if match else ""


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"timezone": "Nowhere/City"}, "timezone", "not a known time zone"),
        ({"quiet_hours_end": ""}, "quiet_hours_end", "both ends"),
        ({"quiet_hours_start": "25:00"}, "quiet_hours_start", "valid time"),
        ({"email_muted_kinds": ["spam"]}, "email_muted_kinds", "valid choice"),
    ],
)
def test_errors_show_in_place_and_keep_what_was_typed(
    learner_client, world, changes, field, message
):
    before = UserPreferences.objects.get_or_create(user=world.learner)[0]
    response = learner_client.post(URL, valid_post(**changes))
    body = response.content.decode()
    assert response.status_code == 200
    assert message in field_errors(body, field)
    typed = valid_post(**changes)
    assert selected_zone(body) == typed["timezone"]
    assert f'value="{typed["quiet_hours_start"]}"' in body
    if field != "email_muted_kinds":
        assert checked_kinds(body) == {"weekly_digest", "due_soon"}
    after = UserPreferences.objects.get(user=world.learner)
    assert (after.timezone, after.email_muted_kinds, after.quiet_hours_start) == (
        before.timezone,
        before.email_muted_kinds,
        before.quiet_hours_start,
    )


def test_posting_needs_the_csrf_token(world):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.learner)
    assert client.post(URL, valid_post()).status_code == 403
    assert UserPreferences.objects.get_or_create(user=world.learner)[0].timezone != "Europe/Berlin"


def test_replacing_the_calendar_link_returns_to_the_page(learner_client, world):
    old = preferences_for(world.learner).calendar_token
    response = learner_client.post(
        reverse("calendar_rotate"), {"next": f"{URL}#calendar"}, follow=True
    )
    assert response.redirect_chain[-1][0] == f"{URL}#calendar"
    new = UserPreferences.objects.get(user=world.learner).calendar_token
    assert new != old
    body = response.content.decode()
    assert f"/calendar/{new}.ics" in body and f"/calendar/{old}.ics" not in body
    # Somewhere else entirely is not a place to return to.
    away = learner_client.post(reverse("calendar_rotate"), {"next": "https://evil.example/"})
    assert away["Location"] == reverse("home")


def test_each_user_changes_only_their_own_preferences(client, world):
    client.force_login(world.mentor.user)
    client.post(URL, valid_post(timezone="Asia/Tokyo"))
    assert preferences_for(world.mentor.user).timezone == "Asia/Tokyo"
    assert UserPreferences.objects.get_or_create(user=world.learner)[0].timezone != "Asia/Tokyo"
