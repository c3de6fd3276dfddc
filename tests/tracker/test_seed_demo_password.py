"""``seed_demo`` in production (``DJANGO_DEBUG=false``) never uses the documented demo password."""

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

pytestmark = pytest.mark.django_db


def seed(*args: str) -> str:
    out = StringIO()
    call_command("seed_demo", "--learners", "2", *args, stdout=out)
    return out.getvalue()


def test_without_a_password_in_production_it_refuses_and_names_the_option(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="--password"):
        seed()
    assert not get_user_model().objects.exists()


def test_the_documented_demo_password_is_refused_in_production(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="--password"):
        seed("--password", "stride-demo")
    assert not get_user_model().objects.exists()


def test_with_a_chosen_password_in_production_it_seeds(settings):
    settings.DEBUG = False
    output = seed("--password", "a-chosen-Pass-4821")
    staff = get_user_model().objects.get(username="staff")
    assert staff.check_password("a-chosen-Pass-4821")
    assert not staff.check_password("stride-demo")
    assert "a-chosen-Pass-4821" in output


def test_in_development_the_demo_password_is_the_default(settings):
    settings.DEBUG = True
    seed()
    assert get_user_model().objects.get(username="staff").check_password("stride-demo")
