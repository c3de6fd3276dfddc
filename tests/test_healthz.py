"""``/healthz``: 200 with both parts healthy, 503 with JSON naming the broken part, and never
slower than the broker deadline, even when the broker accepts connections and stays silent."""

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.test import RequestFactory

from tests.services import free_port
from tracker.celery import app as celery_app
from tracker.health import BROKER_TIMEOUT_SECONDS, healthz


def get_healthz():
    """Call the view directly: these tests are about the checks, not the URLconf."""
    response = healthz(RequestFactory().get("/healthz"))
    response.json = lambda: json.loads(response.content)
    return response


@pytest.fixture
def broker_at(monkeypatch):
    """Point the Celery app at another broker for one test."""
    monkeypatch.delenv("CELERY_BROKER_URL", raising=False)

    def point(url: str) -> None:
        monkeypatch.setitem(celery_app.conf, "broker_url", url)
        monkeypatch.setitem(
            celery_app.conf,
            "broker_transport_options",
            {"socket_timeout": 1, "socket_connect_timeout": 1, "max_retries": 0},
        )

    return point


@pytest.mark.django_db
def test_healthy_database_and_broker_answer_200():
    response = get_healthz()

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert "no-cache" in response["Cache-Control"]
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"]["ok"] is True
    broker = body["broker"]
    assert broker["ok"] is True
    assert broker["transport"] == "memory"
    # Other tests in this process may have published to the in-memory queue.
    assert isinstance(broker["queue_length"], int)
    assert broker["latency_ms"] < BROKER_TIMEOUT_SECONDS * 1000


@pytest.mark.django_db
def test_served_at_healthz_without_login(client):
    # Load balancers call it without credentials; no login redirect, no trailing slash.
    response = client.get("/healthz", follow=False)
    assert response.status_code == 200
    assert response.json()["status"] == "ok"


@pytest.mark.django_db
def test_refused_broker_answers_503_with_json(broker_at):
    broker_at(f"redis://127.0.0.1:{free_port()}/0")  # nothing listens there

    started = time.monotonic()
    response = get_healthz()
    elapsed = time.monotonic() - started

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "degraded"
    assert body["database"]["ok"] is True
    assert body["broker"]["ok"] is False
    assert body["broker"]["error"]
    assert elapsed < BROKER_TIMEOUT_SECONDS + 1


@pytest.mark.django_db
def test_silent_broker_cannot_hold_the_request(broker_at):
    # A socket that accepts connections and never says a word: the worst kind of broken broker.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(16)
        broker_at(f"redis://127.0.0.1:{silent.getsockname()[1]}/0")

        started = time.monotonic()
        response = get_healthz()
        elapsed = time.monotonic() - started

    assert response.status_code == 503
    assert response.json()["broker"]["ok"] is False
    assert elapsed < BROKER_TIMEOUT_SECONDS + 1


@pytest.mark.django_db
@pytest.mark.redis
def test_real_redis_broker_reports_its_queue(broker_at, redis_url):
    broker_at(redis_url)

    response = get_healthz()

    assert response.status_code == 200, response.content
    broker = response.json()["broker"]
    assert broker["ok"] is True
    assert broker["transport"] == "redis"
    assert broker["queue_length"] >= 0


@pytest.mark.django_db
@pytest.mark.redis
def test_redis_stopped_then_back(broker_at, throwaway_redis):
    broker_at(throwaway_redis.url)
    assert get_healthz().status_code == 200

    throwaway_redis.stop()
    assert get_healthz().status_code == 503

    throwaway_redis.start()
    assert get_healthz().status_code == 200


def test_database_unusable_answers_503():
    # No django_db mark: pytest-django refuses every database access in this test, which the
    # check must report as a broken database rather than crash.
    response = get_healthz()

    assert response.status_code == 503
    body = response.json()
    assert body["database"]["ok"] is False
    assert body["broker"]["ok"] is True


@pytest.mark.django_db(transaction=True)
def test_container_healthcheck_script(live_server):
    """bin/healthcheck (Dockerfile and compose) exits 0 against a healthy server, 1 otherwise."""
    root = Path(__file__).resolve().parent.parent

    def run(port: str) -> int:
        env = {**os.environ, "PORT": port, "DJANGO_ALLOWED_HOSTS": "localhost,.example.org"}
        return subprocess.run(
            [sys.executable, str(root / "bin" / "healthcheck")],
            env=env, capture_output=True, timeout=30, check=False,
        ).returncode  # fmt: skip

    assert run(live_server.url.rsplit(":", 1)[1]) == 0
    assert run(str(free_port())) == 1
