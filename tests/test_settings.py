"""The environment-driven configuration: production refuses to start half-configured, and
``manage.py check --deploy`` is clean with production settings. Each case runs in a fresh
interpreter because settings are read once per process."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PRODUCTION = {
    "DJANGO_DEBUG": "false",
    "DJANGO_SECRET_KEY": "k3y-for-tests-only-" + "8f2c1e9a7b6d5c4f3e2a1b0c9d8e7f6a5b4c3d2e1f0a",
    "DJANGO_ALLOWED_HOSTS": "stride.example.org",
}


def run_python(code: str, env_overrides: dict[str, str], *args: str, tmp_path: Path):
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "CELERY_", "STRIDE_"))
        and key not in {"DATABASE_URL", "REDIS_URL", "EMAIL_URL"}
    }
    env.update(
        DJANGO_SETTINGS_MODULE="tracker.settings", STRIDE_VAR_DIR=str(tmp_path), **env_overrides
    )
    command = [sys.executable, "-c", code, *args] if code else [sys.executable, *args]
    return subprocess.run(
        command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False
    )


SETUP = "import django; django.setup(); print('started')"


@pytest.mark.parametrize(
    ("missing", "named"),
    [("DJANGO_SECRET_KEY", "DJANGO_SECRET_KEY"), ("DJANGO_ALLOWED_HOSTS", "DJANGO_ALLOWED_HOSTS")],
)
def test_production_refuses_to_start_without(missing, named, tmp_path):
    env = {key: value for key, value in PRODUCTION.items() if key != missing}

    result = run_python(SETUP, env, tmp_path=tmp_path)

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert named in result.stderr
    assert "started" not in result.stdout


def test_production_starts_when_configured(tmp_path):
    result = run_python(SETUP, PRODUCTION, tmp_path=tmp_path)

    assert result.returncode == 0, result.stderr
    assert "started" in result.stdout


def test_local_defaults_need_no_environment(tmp_path):
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.DEBUG, s.DATABASES['default']['ENGINE'], s.CELERY_BROKER_URL.split(':')[0], "
        "s.EMAIL_BACKEND.rsplit('.', 2)[-2])"
    )
    result = run_python(code, {}, tmp_path=tmp_path)

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", "django.db.backends.sqlite3", "sqla+sqlite", "console"]


def test_redis_url_switches_broker_and_cache(tmp_path):
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.CELERY_BROKER_URL, s.CACHES['default']['BACKEND'].rsplit('.', 1)[-1], "
        "sorted(s.CELERY_BROKER_TRANSPORT_OPTIONS))"
    )
    result = run_python(code, {"REDIS_URL": "redis://cache.internal:6379/2"}, tmp_path=tmp_path)

    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("redis://cache.internal:6379/2 ResilientRedisCache ")
    assert "'socket_timeout'" in result.stdout


def test_embedded_broker_accepts_a_published_task(tmp_path):
    # Kombu passes transport options to SQLAlchemy's create_engine() for the sqla transport;
    # a socket option there would break every publish. Publish for real and read it back.
    code = (
        "import django; django.setup()\n"
        "from tracker.celery import app\n"
        "app.send_task('stride.test.noop', args=[1])\n"
        "with app.connection_for_read() as conn:\n"
        "    print(conn.default_channel.queue_declare(queue='celery', passive=True)[1])\n"
    )
    result = run_python(code, {}, tmp_path=tmp_path)

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "1"
    assert (tmp_path / "celery-broker.sqlite3").exists()


def test_check_deploy_is_clean_with_production_settings(tmp_path):
    result = run_python(
        "",
        PRODUCTION,
        "manage.py",
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        tmp_path=tmp_path,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_tests_run_on_hermetic_settings(settings):
    # This suite itself: no broker, mail kept in memory, fast hashing, per-process cache.
    assert settings.CELERY_BROKER_URL == "memory://"
    assert settings.EMAIL_BACKEND == "django.core.mail.backends.locmem.EmailBackend"
    assert settings.PASSWORD_HASHERS[0].endswith("MD5PasswordHasher")
    assert settings.CACHES["default"]["BACKEND"].endswith("LocMemCache")
