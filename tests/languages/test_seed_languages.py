"""The demo shows both languages: ``seed_demo`` makes a Spanish-reading mentor and learners,
and keeps doing so when run again."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from tracker.models import UserPreferences
from tracker.seed.languages import SPANISH_READERS

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def development(settings, clock):
    settings.DEBUG = True  # the demo's default password is a development convenience
    clock.move_to(dt.datetime(2026, 3, 18, 10, 30, tzinfo=dt.UTC))


def test_the_demo_has_spanish_readers_and_their_pages_are_spanish():
    for _ in range(2):  # idempotent
        call_command("seed_demo", "--learners", "8", stdout=StringIO())
    readers = UserPreferences.objects.filter(language="es")
    assert sorted(readers.values_list("user__username", flat=True)) == sorted(SPANISH_READERS)
    # Their time zone stays the default one (the learners' cohort zone), not UTC.
    learner = readers.get(user__username="learner3")
    assert learner.timezone == learner.user.enrollments.get().cohort.timezone
    client = Client()
    client.force_login(learner.user)
    page = client.get(reverse("preferences"))
    assert page["Content-Language"] == "es"
    assert "Zona horaria" in page.content.decode()
