"""The guards under the bad-input suites, one layer at a time: the API's JSON parser, its typed
fields, the page forms' fields, the sign-in form and the services' NUL check."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core.exceptions import ValidationError
from rest_framework import serializers
from rest_framework.test import APIClient

from curriculum.models import Program
from curriculum.services import program_create
from mentors.services import mentor_update
from tests.curriculum.factories import StaffFactory, UserFactory
from tests.mentors.factories import MentorFactory
from tracker.api.fields import (
    BoundedDateField,
    BoundedDateTimeField,
    ScopedPrimaryKeyField,
    StrictIntegerField,
    StrictTimeField,
)
from tracker.api.parsers import MAX_DEPTH
from tracker.models import UserPreferences
from tracker.web.forms import (
    IsoDateField,
    IsoDateTimeField,
    IsoTimeField,
    SignInForm,
    WholeNumberField,
)

PREFERENCES = "/api/v1/me/preferences/"
ARABIC_INDIC_22_00 = "\u0662\u0662:\u0660\u0660"
ARABIC_INDIC_2024_01_01 = "\u0662\u0660\u0662\u0664-\u0660\u0661-\u0660\u0661"
FULLWIDTH_3 = "\uff13"


@pytest.fixture
def api(db):
    user = UserFactory()
    client = APIClient()
    client.force_authenticate(user)
    return client, user


def patch_raw(client: APIClient, raw: str | bytes):
    return client.patch(PREFERENCES, data=raw, content_type="application/json")


# --- The JSON parser -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "literal",
    [
        "1e999",
        "-1e999",
        "[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1),
        '{"a":' * 500 + "1" + "}" * 500,
    ],
)
def test_an_infinite_or_too_deep_value_is_a_400_under_its_field(api, literal):
    client, user = api
    response = patch_raw(client, '{"quiet_hours_start": ' + literal + "}")
    assert response.status_code == 400
    assert list(response.json()) == ["quiet_hours_start"]
    assert not UserPreferences.objects.filter(user=user, quiet_hours_start__isnull=False).exists()


@pytest.mark.parametrize(
    "raw",
    [
        "[" * 100_000 + "]" * 100_000,  # deeper than Python's recursion: was a 500
        '{"a": ' + "[" * 100_000 + "]" * 100_000 + "}",
        '{"email_reminders": NaN}',
        '{"email_reminders": Infinity}',
        b'{"timezone": "\xff"}',
        '{"timezone": "UTC"' + "}" * 2,
    ],
)
def test_unparseable_or_bottomless_bodies_are_a_400(api, raw):
    client, _ = api
    response = patch_raw(client, raw)
    assert response.status_code == 400
    assert isinstance(response.json(), dict)


def test_nesting_within_the_limit_is_parsed(api):
    client, _ = api
    nested = "[" * (MAX_DEPTH - 1) + "]" * (MAX_DEPTH - 1)
    response = patch_raw(client, '{"email_muted_kinds": ' + nested + "}")
    # Parsed, then refused by the field (a list of lists is no list of kinds).
    assert response.status_code == 400
    assert "Nested too deeply" not in json.dumps(response.json())


def test_a_body_over_the_upload_limit_is_a_413(api, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    client, _ = api
    response = patch_raw(client, json.dumps({"timezone": "x" * 2000}))
    assert response.status_code == 413


# --- The API's typed fields ----------------------------------------------------------------


def refused(field: serializers.Field, value) -> bool:
    try:
        field.run_validation(value)
    except serializers.ValidationError:
        return True
    return False


@pytest.mark.parametrize(
    "value",
    [
        ARABIC_INDIC_22_00,
        "\uff12\uff12:00",
        "2200",
        "22",
        "T22:00",
        "22:00+01:00",
        "22:00\n",
        "22:00:00.5",
    ],
)
def test_a_time_is_hh_mm_in_ascii_digits(value):
    assert refused(StrictTimeField(), value)


def test_a_plain_time_still_passes():
    assert StrictTimeField().run_validation("22:00") == dt.time(22, 0)
    assert StrictTimeField().run_validation("07:30:15") == dt.time(7, 30, 15)


@pytest.mark.parametrize(
    "value", [ARABIC_INDIC_2024_01_01, "\uff12\uff10\uff12\uff14-01-01", "20240101", "2024-W01-1"]
)
def test_a_date_is_yyyy_mm_dd_in_ascii_digits(value):
    assert refused(BoundedDateField(), value)


@pytest.mark.parametrize(
    "value",
    [
        f"{ARABIC_INDIC_2024_01_01}T10:00Z",
        "2024-01-01T\u0661\u0660:00Z",
        "2024-01-01T10:00:00.123456789Z",
        "20240101T1000Z",
    ],
)
def test_an_instant_is_iso_in_ascii_digits(value):
    assert refused(BoundedDateTimeField(), value)


def test_plain_instants_still_pass():
    field = BoundedDateTimeField()
    assert field.run_validation("2024-01-01T10:00:00.5+02:00").hour == 8
    assert field.run_validation("2024-01-01 10:00").minute == 0


@pytest.mark.parametrize("value", [10**30, -(10**30), 10**5000], ids=["1e30", "-1e30", "1e5000"])
def test_huge_integers_are_refused_not_a_crash(value):
    assert refused(StrictIntegerField(min_value=0, max_value=100), value)
    assert refused(StrictIntegerField(), value)


@pytest.mark.django_db
@pytest.mark.parametrize("value", [0, -1, 2**63, 10**30])
def test_references_outside_any_id_do_not_exist(value):
    field = ScopedPrimaryKeyField(queryset=Program.objects.all())
    with pytest.raises(serializers.ValidationError) as info:
        field.run_validation(value)
    assert info.value.detail[0].code == "does_not_exist"


def test_a_review_score_key_is_ascii_digits(db):
    from tracker.api.inputs import ReviewInput

    serializer = ReviewInput(
        data={"verdict": "approved", "feedback": "ok", "scores": {"\u0663": 1}}
    )
    assert not serializer.is_valid()
    assert "scores" in serializer.errors


# --- The page forms' fields ----------------------------------------------------------------


def form_refuses(field, value) -> bool:
    try:
        field.clean(value)
    except ValidationError:
        return True
    return False


@pytest.mark.parametrize(
    "value", ["\u0663", FULLWIDTH_3, "3.0", "1e3", "3\x00", "9" * 40, "1" + "0" * 5000]
)
def test_a_whole_number_is_ascii_digits(value):
    assert form_refuses(WholeNumberField(), value)


def test_a_whole_number_still_takes_plain_digits():
    assert WholeNumberField().clean(" 30 ") == 30
    assert WholeNumberField().clean("-3") == -3
    assert WholeNumberField(required=False).clean("") is None


@pytest.mark.parametrize(
    "value",
    [
        ARABIC_INDIC_2024_01_01,
        "01/02/2024",
        "2024-01-01\x00",
        "\x002024-01-01",
        "9999-12-31",
        "0001-01-01",
    ],
)
def test_a_form_date_is_iso_ascii_and_in_range(value):
    assert form_refuses(IsoDateField(), value)


@pytest.mark.parametrize(
    "value",
    [
        "2024-01-01T10:00\x00",  # Django's parser stopped reading at the minutes
        f"{ARABIC_INDIC_2024_01_01}T10:00",
        "2024-01-01T10:00:00+05:00",
        "9999-12-31T23:59",
        "2024-01-01",
    ],
)
def test_a_form_instant_is_what_datetime_local_sends(value):
    assert form_refuses(IsoDateTimeField(), value)


def test_a_form_instant_still_takes_datetime_local_values():
    assert IsoDateTimeField().clean("2024-01-01T10:00").hour == 10
    assert IsoDateTimeField().clean("2024-01-01T10:00:30").second == 30


@pytest.mark.parametrize("value", [ARABIC_INDIC_22_00, "22:00\x00", "22:00:00.5", "10:00 PM"])
def test_a_form_time_is_hh_mm_in_ascii_digits(value):
    assert form_refuses(IsoTimeField(), value)


def test_a_huge_username_is_refused_before_authentication(db):
    form = SignInForm(data={"username": "x" * 100_000, "password": "secret"})
    assert not form.is_valid()
    assert "username" in form.errors


# --- The services ----------------------------------------------------------------------------


def test_a_nul_in_a_unique_text_field_is_a_validation_error(db):
    with pytest.raises(ValidationError) as info:
        program_create(actor=StaffFactory(), name="Data\x00", slug="data", length_weeks=4)
    assert "name" in info.value.message_dict
    assert not Program.objects.exists()


def test_a_nul_inside_a_json_field_is_a_validation_error(db):
    mentor = MentorFactory(expertise=["python"])
    with pytest.raises(ValidationError) as info:
        mentor_update(actor=StaffFactory(), mentor=mentor, expertise=["ml\x00"])
    assert "expertise" in info.value.message_dict
    mentor.refresh_from_db()
    assert mentor.expertise == ["python"]


# --- Sign-in with an over-long name, on every door -------------------------------------------


@pytest.mark.parametrize("path", ["/login/", "/admin/login/"])
def test_an_over_long_username_is_a_failed_sign_in_not_a_server_error(client, db, path):
    from axes.models import AccessAttempt

    response = client.post(path, {"username": "x" * 100_000, "password": "wrong"})
    assert response.status_code == 200
    assert all(len(attempt.username or "") <= 255 for attempt in AccessAttempt.objects.all())


def test_an_over_long_username_on_the_token_endpoint_is_a_400(db):
    response = APIClient().post(
        "/api/v1/auth/token/", {"username": "x" * 100_000, "password": "wrong"}, format="json"
    )
    assert response.status_code == 400


def test_the_sign_in_page_uses_the_length_checked_form(client, db):
    response = client.get("/login/")
    assert isinstance(response.context["form"], SignInForm)


# --- Dates the services refuse whoever calls them ----------------------------------------------


def test_a_session_in_year_9999_is_refused_by_the_service_and_the_feed_stays_up(db):
    from mentors.services import session_create
    from tests.mentors.factories import PairingFactory
    from tracker.notifications import calendar_token_rotate

    pairing = PairingFactory()
    with pytest.raises(ValidationError) as refused_far:
        session_create(
            actor=pairing.mentor.user,
            enrollment=pairing.enrollment,
            scheduled_at=dt.datetime(9999, 12, 31, 23, 59, tzinfo=dt.UTC),
        )
    assert "scheduled_at" in refused_far.value.message_dict
    token = calendar_token_rotate(actor=pairing.mentor.user).calendar_token
    from django.test import Client

    assert Client().get(f"/calendar/{token}.ics").status_code == 200


def test_a_progress_log_in_year_1_is_refused_by_the_service(db):
    from learners.services import progress_log_create
    from tests.curriculum.factories import ModuleFactory
    from tests.learners.factories import EnrollmentFactory

    enrollment = EnrollmentFactory()
    module = ModuleFactory(program=enrollment.cohort.program)
    with pytest.raises(ValidationError) as refused_early:
        progress_log_create(
            actor=enrollment.learner,
            enrollment=enrollment,
            module=module,
            logged_on=dt.date(1, 1, 1),
            minutes=30,
        )
    assert "logged_on" in refused_early.value.message_dict


def test_an_empty_pairing_post_shows_a_field_error(client, db):
    from tests.learners.factories import EnrollmentFactory

    staff = StaffFactory()
    client.force_login(staff)
    enrollment = EnrollmentFactory()
    response = client.post(f"/staff/enrollments/{enrollment.pk}/pair/", {})
    assert response.status_code == 200
    assert response.context["form"].errors.get("mentor")
