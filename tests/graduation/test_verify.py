"""The public verification page: valid and revoked certificates with their facts, one 404 for
every unknown code (nothing to enumerate), and a rate limit per client address."""

from __future__ import annotations

import secrets

from django.test import override_settings
from django.urls import reverse

from tracker.graduation import certificate_revoke


def verify(client, code):
    return client.get(reverse("certificate_verify", args=[code]))


def test_valid_certificate_shows_its_facts_to_anyone(client, certificate):
    response = verify(client, certificate.code)
    assert response.status_code == 200
    body = response.content.decode()
    assert 'data-valid="true"' in body and "This certificate is valid." in body
    for fact in ("Lena Learner", "ML Engineering &amp; AI", "Spring", "Capstone demo"):
        assert fact in body
    assert certificate.code in body
    assert response["X-Robots-Tag"] == "noindex"
    assert "<script>" not in body and "style=" not in body


def test_revoked_certificate_says_so_with_the_reason(client, world, certificate):
    certificate_revoke(actor=world.staff, certificate=certificate, reason="Issued in error.")
    body = verify(client, certificate.code).content.decode()
    assert 'data-valid="false"' in body and "was revoked on" in body
    assert "Issued in error." in body and "Lena Learner" in body


def test_unknown_codes_all_answer_the_same_404(client, certificate):
    near_miss = certificate.code[:-1] + ("A" if certificate.code[-1] != "A" else "B")
    answers = [verify(client, code) for code in (near_miss, secrets.token_urlsafe(16), "x")]
    assert {response.status_code for response in answers} == {404}
    assert len({response.content for response in answers}) == 1
    # A code with characters no code has never reaches the lookup.
    assert client.get("/verify/../admin/").status_code == 404


@override_settings(REST_FRAMEWORK={"DEFAULT_THROTTLE_RATES": {"certificate_verify": "3/minute"}})
def test_verification_is_rate_limited_per_client(client, certificate):
    codes = [certificate.code, "unknown-1", "unknown-2"]
    assert [verify(client, code).status_code for code in codes] == [200, 404, 404]
    limited = verify(client, certificate.code)
    assert limited.status_code == 429 and int(limited["Retry-After"]) >= 1
    assert "Lena Learner" not in limited.content.decode()


def test_erasing_the_learner_blanks_and_revokes_the_certificate(client, world, certificate):
    from tracker.security.learner_data import learner_erase, learner_export

    exported = learner_export(actor=world.staff, user=world.learner)
    assert [row["code"] for row in exported["certificates"]] == [certificate.code]
    learner_erase(actor=world.staff, user=world.learner)
    body = verify(client, certificate.code).content.decode()
    assert "Lena" not in body and "lena-capstone" not in body
    assert 'data-valid="false"' in body and "learner erased" in body
