"""Logs: the request id (taken from a sane ``X-Request-ID`` or made) is echoed, carried by every
record of the request and into the tasks it publishes; JSON lines in production, text in
development."""

from __future__ import annotations

import io
import json
import logging
import os
import re
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from tracker.observability import celery_context, context
from tracker.observability.logs import JsonFormatter, RequestContextFilter, TextFormatter

ROOT = Path(__file__).resolve().parents[2]
GENERATED = re.compile(r"[0-9a-f]{32}")


@pytest.fixture
def json_lines():
    """Records of ``django.request`` (and ``stride.test``) as the production handler writes
    them."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestContextFilter())
    loggers = [logging.getLogger("django.request"), logging.getLogger("stride.test")]
    for logger in loggers:
        logger.addHandler(handler)
    try:
        yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    finally:
        for logger in loggers:
            logger.removeHandler(handler)


# --- the request id -------------------------------------------------------------------------
def test_a_sane_request_id_is_echoed_and_logged(client, db, json_lines):
    response = client.get("/no-such-page/", HTTP_X_REQUEST_ID="abc123")
    assert response.status_code == 404
    assert response["X-Request-ID"] == "abc123"
    (line,) = [entry for entry in json_lines() if entry["logger"] == "django.request"]
    assert line["request_id"] == "abc123"
    assert line["level"] == "WARNING"
    assert line["message"].startswith("Not Found: /no-such-page/")
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", line["timestamp"])


@pytest.mark.parametrize(
    "sent",
    ["", "a" * 65, "abc 123", "abc\n123", "<script>", "ünïcode", "a/b", "id;rm"],
)
def test_an_unfit_request_id_is_replaced_by_a_new_one(client, db, sent):
    response = client.get("/healthz", HTTP_X_REQUEST_ID=sent)
    assert GENERATED.fullmatch(response["X-Request-ID"]), response["X-Request-ID"]


def test_without_a_request_id_each_request_gets_its_own(client, db):
    first = client.get("/login/")["X-Request-ID"]
    second = client.get("/login/")["X-Request-ID"]
    assert GENERATED.fullmatch(first) and GENERATED.fullmatch(second) and first != second


def test_the_longest_sane_request_id_is_kept(client, db):
    sent = "A-z_0.9" * 9 + "x"  # 64 characters
    assert client.get("/login/", HTTP_X_REQUEST_ID=sent)["X-Request-ID"] == sent


def test_outside_a_request_the_id_is_null(json_lines):
    logging.getLogger("stride.test").warning("no request here")
    (line,) = json_lines()
    assert line["request_id"] is None and "task_id" not in line


# --- into tasks -----------------------------------------------------------------------------
def test_a_published_task_carries_the_request_id_in_its_headers():
    headers: dict = {}
    celery_context.add_request_id(headers=headers)
    assert headers == {}
    token = context.request_id.set("abc123")
    try:
        celery_context.add_request_id(headers=headers)
    finally:
        context.request_id.reset(token)
    assert headers == {celery_context.HEADER: "abc123"}


@pytest.mark.parametrize("where", ["attribute", "headers"])
def test_a_task_logs_with_the_request_id_it_was_published_with(json_lines, where):
    request = SimpleNamespace(headers=None)
    if where == "attribute":  # a worker: custom headers become request attributes
        setattr(request, celery_context.HEADER, "abc123")
    else:  # applied in-process: they stay in ``headers``
        request.headers = {celery_context.HEADER: "abc123"}
    task = SimpleNamespace(name="tracker.tasks.deliver_notification", request=request)
    celery_context.enter_task(task_id="t-1", task=task)
    logging.getLogger("stride.test").info("delivering")
    celery_context.leave_task(task_id="t-1", task=task)
    logging.getLogger("stride.test").warning("after the task")
    inside, after = json_lines()
    assert inside["request_id"] == "abc123"
    assert inside["task_id"] == "t-1"
    assert inside["task_name"] == "tracker.tasks.deliver_notification"
    assert after["request_id"] is None and "task_name" not in after


def test_a_task_published_by_a_task_passes_the_id_on():
    request = SimpleNamespace(headers={celery_context.HEADER: "abc123"})
    task = SimpleNamespace(name="tracker.tasks.flush_outbox", request=request)
    celery_context.enter_task(task_id="t-2", task=task)
    headers: dict = {}
    celery_context.add_request_id(headers=headers)
    celery_context.leave_task(task_id="t-2", task=task)
    assert headers == {celery_context.HEADER: "abc123"}


# --- formats --------------------------------------------------------------------------------
def test_the_text_format_shows_the_request_id_when_there_is_one():
    record = logging.LogRecord("stride.test", logging.INFO, __file__, 1, "hello %s", ("you",), None)
    RequestContextFilter().filter(record)
    assert TextFormatter().format(record).endswith("INFO stride.test hello you")
    token = context.request_id.set("abc123")
    try:
        record = logging.LogRecord("stride.test", logging.INFO, __file__, 1, "hi", (), None)
        RequestContextFilter().filter(record)
    finally:
        context.request_id.reset(token)
    assert TextFormatter().format(record).endswith("hi [request_id=abc123]")


def settings_value(name: str, **env: str) -> str:
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "SENTRY_", "OTEL_"))
    }
    environment.update(PYTHONPATH=str(ROOT), **env)
    done = subprocess.run(
        [sys.executable, "-c", f"import tracker.settings as s; print(s.{name})"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return done.stdout.strip().splitlines()[-1]


def test_json_in_production_and_text_in_development_by_default():
    production = {
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": "x" * 50,
        "DJANGO_ALLOWED_HOSTS": "stride.example",
    }
    assert settings_value("DJANGO_LOG_FORMAT", **production) == "json"
    assert settings_value("DJANGO_LOG_FORMAT") == "text"
    assert settings_value("DJANGO_LOG_FORMAT", DJANGO_LOG_FORMAT="json") == "json"
    assert settings_value("DJANGO_LOG_FORMAT", DJANGO_LOG_FORMAT="text", **production) == "text"
