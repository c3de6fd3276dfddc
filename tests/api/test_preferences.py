"""``me/preferences/``: the contract's four fields plus ``email_muted_kinds``, read and changed
by their owner only, every bad value a 400 in the one error shape with nothing written."""

from __future__ import annotations

import re

import pytest

from tests.api.conftest import ROLES, client_for
from tracker.models import Notification, UserPreferences
from tracker.notifications import preferences_for, preferences_update

pytestmark = pytest.mark.django_db
URL = "/api/v1/me/preferences/"
CONTRACT_FIELDS = {"timezone", "email_reminders", "quiet_hours_start", "quiet_hours_end"}


def test_get_shows_the_contract_fields_and_the_muted_kinds(world):
    preferences_update(
        actor=world.learner, timezone="Europe/Paris", email_muted_kinds=["weekly_digest"]
    )
    response = client_for(world.learner).get(URL)
    assert response.status_code == 200
    body = response.json()
    assert set(body) >= CONTRACT_FIELDS
    assert body["timezone"] == "Europe/Paris"
    assert body["email_muted_kinds"] == ["weekly_digest"]


def test_reading_preferences_writes_nothing_and_shows_the_defaults(world):
    world.cohort.timezone = "America/Bogota"
    world.cohort.save(update_fields=["timezone"])
    UserPreferences.objects.filter(user=world.learner).delete()
    body = client_for(world.learner).get(URL).json()
    assert body == {
        "timezone": "America/Bogota",
        "email_reminders": True,
        "quiet_hours_start": None,
        "quiet_hours_end": None,
        "email_muted_kinds": [],
        "language": "",
        "theme": "auto",
    }
    assert not UserPreferences.objects.filter(user=world.learner).exists()
    # The first change stores the row, with the default zone kept.
    client_for(world.learner).patch(URL, {"email_reminders": False}, format="json")
    stored = UserPreferences.objects.get(user=world.learner)
    assert (stored.timezone, stored.email_reminders) == ("America/Bogota", False)


def test_patch_mutes_and_unmutes_kinds(world):
    client = client_for(world.learner)
    response = client.patch(
        URL, {"email_muted_kinds": ["overdue", "due_soon", "overdue"]}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["email_muted_kinds"] == ["due_soon", "overdue"]
    assert UserPreferences.objects.get(user=world.learner).email_muted_kinds == [
        "due_soon",
        "overdue",
    ]
    # Other fields are untouched by a partial update, and an empty list unmutes everything.
    client.patch(URL, {"email_reminders": False}, format="json")
    assert client.get(URL).json()["email_muted_kinds"] == ["due_soon", "overdue"]
    response = client.patch(URL, {"email_muted_kinds": []}, format="json")
    assert response.json()["email_muted_kinds"] == []
    assert response.json()["email_reminders"] is False


def test_every_kind_can_be_muted(world):
    response = client_for(world.mentor_user).patch(
        URL, {"email_muted_kinds": Notification.Kind.values}, format="json"
    )
    assert response.status_code == 200
    assert set(response.json()["email_muted_kinds"]) == set(Notification.Kind.values)


@pytest.mark.parametrize(
    ("value", "needle"),
    [
        (["spam"], "Item 1"),
        (["due_soon", 3], "Item 2"),
        ("due_soon", "list"),
        (None, "null"),
        ({"due_soon": True}, "list"),
        (["due_soon"] * (len(Notification.Kind.values) + 1), "no more than"),
    ],
)
def test_bad_kinds_are_a_400_listing_messages_and_change_nothing(world, value, needle):
    preferences_update(actor=world.learner, email_muted_kinds=["inactive"])
    response = client_for(world.learner).patch(
        URL, {"email_muted_kinds": value, "timezone": "Asia/Tokyo"}, format="json"
    )
    assert response.status_code == 400
    errors = response.json()["email_muted_kinds"]
    assert isinstance(errors, list) and all(isinstance(message, str) for message in errors)
    assert any(needle in message for message in errors), errors
    preferences = UserPreferences.objects.get(user=world.learner)
    assert preferences.email_muted_kinds == ["inactive"]
    assert preferences.timezone != "Asia/Tokyo"


def test_each_caller_sees_and_changes_only_their_own(world):
    client_for(world.learner).patch(URL, {"email_muted_kinds": ["due_soon"]}, format="json")
    for role in ROLES[2:]:
        user = world.user(role)
        assert client_for(user).get(URL).json()["email_muted_kinds"] == []
    assert preferences_for(world.learner).email_muted_kinds == ["due_soon"]


def test_anonymous_is_refused(world):
    client = client_for(None)
    assert client.get(URL).status_code == 401
    assert client.patch(URL, {"email_muted_kinds": []}, format="json").status_code == 401


def test_muted_kinds_and_the_page_agree(client, world):
    client_for(world.learner).patch(URL, {"email_muted_kinds": ["help_requested"]}, format="json")
    client.force_login(world.learner)
    body = client.get("/preferences/").content.decode()
    assert re.search(r'value="help_requested"[^>]*checked', body)
    assert not re.search(r'value="due_soon"[^>]*checked', body)


def test_theme_is_a_preference_and_a_bad_one_is_refused(world):
    api = client_for(world.learner)
    response = api.patch(URL, {"theme": "dark"}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["theme"] == "dark"
    assert api.get(URL).json()["theme"] == "dark"
    response = api.patch(URL, {"theme": "purple"}, format="json")
    assert response.status_code == 400
    assert "theme" in response.json()
    assert api.get(URL).json()["theme"] == "dark"
