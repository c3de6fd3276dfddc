"""The theme preference on the pages: every page (signed in) carries the person's choice on
<html data-theme>, the preferences page saves it, a bad value is refused in place."""

import re

import pytest
from django.urls import reverse

from tracker.models import UserPreferences
from tracker.notifications import preferences_update

pytestmark = pytest.mark.django_db


def theme_of(body: str) -> str:
    return re.search(r'<html lang="[^"]+" data-theme="(\w+)">', body).group(1)


def test_pages_follow_the_device_until_a_theme_is_chosen(client, world):
    assert theme_of(client.get(reverse("login")).content.decode()) == "auto"
    client.force_login(world.learner)
    body = client.get(reverse("learner_home")).content.decode()
    assert theme_of(body) == "auto"
    assert '<meta name="color-scheme" content="light dark">' in body
    preferences_update(actor=world.learner, theme="dark")
    for name in ("learner_home", "preferences", "password_change"):
        body = client.get(reverse(name)).content.decode()
        assert theme_of(body) == "dark", name
        assert '<meta name="color-scheme" content="dark">' in body
    client.force_login(world.staff)  # another person keeps their own
    assert theme_of(client.get("/").content.decode()) == "auto"


def test_preferences_page_saves_the_theme_and_refuses_a_bad_one(client, world):
    client.force_login(world.mentor.user)
    page = client.get(reverse("preferences")).content.decode()
    assert 'name="theme" value="auto"' in page and "checked" in page
    form = {"timezone": "Europe/Madrid", "email_reminders": "on"}
    response = client.post(reverse("preferences"), {**form, "theme": "light"})
    assert response.status_code == 302
    assert UserPreferences.objects.get(user=world.mentor.user).theme == "light"
    response = client.post(reverse("preferences"), {**form, "theme": "neon"})
    assert response.status_code == 200
    body = response.content.decode()
    assert 'id="id_theme_error"' in body
    assert '<fieldset aria-describedby="id_theme_error">' in body
    assert UserPreferences.objects.get(user=world.mentor.user).theme == "light"
    # A form without the field (an older page) leaves the theme alone.
    assert client.post(reverse("preferences"), form).status_code == 302
    assert UserPreferences.objects.get(user=world.mentor.user).theme == "light"
