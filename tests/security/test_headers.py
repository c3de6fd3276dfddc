"""Browser protections on every page: CSP with no inline-script exception, frames, referrer;
and ``check --deploy`` clean under production settings."""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

from tests.curriculum.factories import StaffFactory
from tests.learners.factories import EnrollmentFactory, ProgressLogFactory
from tests.mentors.factories import PairingFactory

BASE_DIR = Path(settings.BASE_DIR)
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
INLINE_HANDLER = re.compile(r"<[^>]+\son[a-z]+\s*=", re.IGNORECASE)
INLINE_STYLE = re.compile(r"<style\b|\sstyle\s*=", re.IGNORECASE)


def directives(header: str) -> dict[str, list[str]]:
    parsed = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            parsed[words[0]] = words[1:]
    return parsed


def assert_protected(response) -> None:
    policy = directives(response["Content-Security-Policy"])
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    assert policy["img-src"] == ["'self'", "data:"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["form-action"] == ["'self'"]
    assert policy["base-uri"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    for name, sources in policy.items():
        assert "'unsafe-inline'" not in sources, name
        assert "'unsafe-eval'" not in sources, name
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "camera=()" in response["Permissions-Policy"]


def assert_no_inline_code(html: str) -> None:
    assert not INLINE_SCRIPT.search(html), INLINE_SCRIPT.search(html).group(0)
    assert not INLINE_HANDLER.search(html), INLINE_HANDLER.search(html).group(0)
    assert not INLINE_STYLE.search(html), INLINE_STYLE.search(html).group(0)


@pytest.mark.django_db
def test_login_page_has_the_policy_and_honours_it(client):
    response = client.get("/login/")
    assert response.status_code == 200
    assert_protected(response)
    assert_no_inline_code(response.content.decode())


@pytest.mark.django_db
def test_api_answers_carry_the_headers_too(client):
    assert_protected(client.get("/api/v1/me/"))


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["learner", "mentor", "staff"])
def test_each_roles_home_page_honours_the_policy(client, role):
    pairing = PairingFactory()
    ProgressLogFactory(enrollment=pairing.enrollment)
    user = {
        "learner": pairing.enrollment.learner,
        "mentor": pairing.mentor.user,
        "staff": StaffFactory(),
    }[role]
    EnrollmentFactory(cohort=pairing.enrollment.cohort)
    client.force_login(user)
    response = client.get("/", follow=True)
    assert response.status_code == 200
    assert_protected(response)
    assert_no_inline_code(response.content.decode())


def page_templates() -> list[Path]:
    # Emails are read in mail clients (inline styles are their norm), not under the site's CSP.
    return sorted(
        path
        for path in (BASE_DIR / "templates").rglob("*.html")
        if "email" not in path.relative_to(BASE_DIR / "templates").parts
    )


def test_there_are_page_templates():
    assert len(page_templates()) > 5


@pytest.mark.parametrize("path", page_templates(), ids=lambda p: str(p.name))
def test_no_page_template_needs_an_inline_exception(path):
    source = path.read_text(encoding="utf-8")
    assert_no_inline_code(source)
    assert "javascript:" not in source.lower()


def test_check_deploy_is_clean_with_production_environment(tmp_path):
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "DATABASE_URL", "STRIDE_TEST"))
    }
    env.update(
        DJANGO_SETTINGS_MODULE="tracker.settings",
        DJANGO_DEBUG="false",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(64),
        DJANGO_ALLOWED_HOSTS="stride.example.org",
        STRIDE_VAR_DIR=str(tmp_path),
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout + result.stderr


def test_production_refuses_to_start_without_secret_key(tmp_path):
    env = {key: value for key, value in os.environ.items() if not key.startswith("DJANGO_")}
    env.update(
        DJANGO_SETTINGS_MODULE="tracker.settings",
        DJANGO_DEBUG="false",
        DJANGO_ALLOWED_HOSTS="stride.example.org",
        STRIDE_VAR_DIR=str(tmp_path),
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be set" in result.stderr
