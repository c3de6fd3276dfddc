"""Rate limits where a stranger can make Stride work, at their default rates: password reset
(per address and per client), roster import (API and page share one budget), token sign-in,
deployment "check now". Over a limit: 429 with ``Retry-After``, and no work done."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from rest_framework.response import Response
from rest_framework.test import APIClient, APIRequestFactory, force_authenticate
from rest_framework.views import APIView

from tracker.security import ratelimit

pytestmark = pytest.mark.django_db

RESET_PER_ADDRESS = 3  # STRIDE_THROTTLE_PASSWORD_RESET_EMAIL = 3/hour
RESET_PER_CLIENT = 20  # STRIDE_THROTTLE_PASSWORD_RESET_CLIENT = 20/hour
ROSTER_PER_STAFF = 30  # STRIDE_THROTTLE_ROSTER = 30/hour
TOKENS_PER_CLIENT = 60  # STRIDE_THROTTLE_LOGIN = 60/minute
CHECKS_PER_CALLER = 10  # STRIDE_THROTTLE_DEPLOYMENT_CHECK = 10/hour


def test_the_default_rates_are_the_documented_ones():
    assert ratelimit.rate_of(ratelimit.PASSWORD_RESET_EMAIL) == (RESET_PER_ADDRESS, 3600)
    assert ratelimit.rate_of(ratelimit.PASSWORD_RESET_CLIENT) == (RESET_PER_CLIENT, 3600)
    assert ratelimit.rate_of(ratelimit.ROSTER) == (ROSTER_PER_STAFF, 3600)
    assert ratelimit.rate_of("login") == (TOKENS_PER_CLIENT, 60)
    assert ratelimit.rate_of(ratelimit.DEPLOYMENT_CHECK) == (CHECKS_PER_CALLER, 3600)


def assert_refused_with_retry_after(response, *, at_most: int) -> None:
    assert response.status_code == 429, response.content[:300]
    retry_after = int(response["Retry-After"])
    assert 1 <= retry_after <= at_most


# --- Password reset --------------------------------------------------------------------------


def reset(client: Client, email: str):
    return client.post(reverse("password_reset"), {"email": email})


def test_password_reset_is_limited_per_address_and_says_so_without_sending(world, clock):
    client = Client()
    for _ in range(RESET_PER_ADDRESS):
        assert reset(client, world.learner.email).status_code == 302
    assert len(mail.outbox) == RESET_PER_ADDRESS

    refused = reset(client, world.learner.email)
    assert_refused_with_retry_after(refused, at_most=3600)
    assert "Too many password reset requests" in refused.content.decode()
    assert len(mail.outbox) == RESET_PER_ADDRESS
    # The address is counted whatever its case; another address still gets its email.
    assert reset(client, world.learner.email.upper()).status_code == 429
    assert reset(client, world.mentor.user.email).status_code == 302
    assert len(mail.outbox) == RESET_PER_ADDRESS + 1


def test_the_per_address_limit_answers_alike_for_an_unknown_address(world, clock):
    client = Client()
    known = [reset(client, world.learner.email).status_code for _ in range(4)]
    unknown = [reset(client, "nobody-here@example.org").status_code for _ in range(4)]
    assert known == unknown == [302, 302, 302, 429]


def test_password_reset_is_limited_per_client_across_addresses(world, clock):
    client = Client()
    for number in range(RESET_PER_CLIENT):
        assert reset(client, f"someone{number}@example.org").status_code == 302
    refused = reset(client, world.learner.email)
    assert_refused_with_retry_after(refused, at_most=3600)
    assert mail.outbox == []
    # Another client address is not held back by this one.
    other = Client(REMOTE_ADDR="203.0.113.9")
    assert reset(other, world.learner.email).status_code == 302
    assert len(mail.outbox) == 1


def test_the_limit_window_ends_and_reset_works_again(world, clock):
    client = Client()
    for _ in range(RESET_PER_ADDRESS):
        reset(client, world.learner.email)
    refused = reset(client, world.learner.email)
    assert refused.status_code == 429
    clock.shift(dt.timedelta(seconds=int(refused["Retry-After"]) + 1))
    assert reset(client, world.learner.email).status_code == 302


# --- Roster import ---------------------------------------------------------------------------


def empty_roster():
    return SimpleUploadedFile("roster.csv", b"", content_type="text/csv")


def test_roster_upload_through_the_api_is_limited_per_staff_member(world, clock):
    api = APIClient()
    api.force_authenticate(world.staff)
    url = f"/api/v1/cohorts/{world.cohort.pk}/roster/"
    for _ in range(ROSTER_PER_STAFF):
        assert api.post(url, {"file": empty_roster()}, format="multipart").status_code == 400
    refused = api.post(url, {"file": empty_roster()}, format="multipart")
    assert_refused_with_retry_after(refused, at_most=3600)
    assert "detail" in refused.json()


def test_the_roster_page_shares_the_api_budget_and_says_so(world, clock):
    api = APIClient()
    api.force_authenticate(world.staff)
    for _ in range(ROSTER_PER_STAFF):
        api.post(
            f"/api/v1/cohorts/{world.cohort.pk}/roster/",
            {"file": empty_roster()},
            format="multipart",
        )
    page = Client()
    page.force_login(world.staff)
    refused = page.post(f"/staff/cohorts/{world.cohort.pk}/roster/", {"file": empty_roster()})
    assert_refused_with_retry_after(refused, at_most=3600)
    assert "Too many roster imports" in refused.content.decode()


# --- Token sign-in ---------------------------------------------------------------------------


def test_token_sign_in_is_limited_per_client_with_retry_after(world, clock):
    api = APIClient()
    url = "/api/v1/auth/token/"
    # A different (unknown) name each time: the per-username lockout never comes into play.
    for number in range(TOKENS_PER_CLIENT):
        answer = api.post(url, {"username": f"guess{number}", "password": "x"}, format="json")
        assert answer.status_code == 400
    refused = api.post(url, {"username": "lena", "password": "x"}, format="json")
    assert_refused_with_retry_after(refused, at_most=60)


# --- Deployment "check now" (the throttle the endpoint will use) ------------------------------


class CheckNow(APIView):
    throttle_classes = [ratelimit.DeploymentCheckLimit]
    permission_classes: list = []

    def post(self, request):
        return Response(status=202)


def test_deployment_check_now_is_limited_per_caller(world, clock):
    factory = APIRequestFactory()
    view = CheckNow.as_view()

    def check(user):
        request = factory.post("/api/v1/submissions/1/check/")
        force_authenticate(request, user)
        return view(request)

    for _ in range(CHECKS_PER_CALLER):
        assert check(world.learner).status_code == 202
    assert_refused_with_retry_after(check(world.learner), at_most=3600)
    assert check(world.mentor.user).status_code == 202
