"""A request's id reaches the log lines of the task it caused, in a real worker.

A mentor saves a review through the API with ``X-Request-ID: abc123``; the feedback email is
published to a private Redis and delivered by a real ``celery worker`` process writing JSON
lines (``DJANGO_LOG_FORMAT=json``). The worker helpers are the integration suite's.
"""

from __future__ import annotations

import json

import pytest

from tests.integration.test_reminders_worker import emails, publishing_to, wait_for
from tracker import jobs

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.integration,
    pytest.mark.django_db(transaction=True),
]


def json_lines(text: str) -> list[dict]:
    lines = []
    for line in text.splitlines():
        if line.startswith("{"):
            try:
                lines.append(json.loads(line))
            except ValueError:
                continue
    return lines


def test_the_task_a_request_caused_logs_with_its_request_id(
    throwaway_redis, workers, review_setup, email_dir
):
    _pairing, submission, client = review_setup
    worker = workers(throwaway_redis.url, DJANGO_LOG_FORMAT="json")
    with publishing_to(throwaway_redis.url):
        response = client.post(
            f"/api/v1/submissions/{submission.pk}/review/",
            {"verdict": "approved", "feedback": "Well done."},
            format="json",
            HTTP_X_REQUEST_ID="abc123",
        )
    assert response.status_code == 201, response.content
    assert response["X-Request-ID"] == "abc123"
    wait_for(lambda: emails(email_dir), timeout=30, what="the feedback email")

    def task_lines():
        return [
            line
            for line in json_lines(worker.output())
            if line.get("task_name") == jobs.DELIVER_NOTIFICATION
        ]

    lines = wait_for(task_lines, timeout=15, what=f"the task's log line ({worker.log})")
    assert all(line["request_id"] == "abc123" for line in lines), lines
    assert all(line["task_id"] for line in lines)
    assert {"timestamp", "level", "logger", "message"} <= set(lines[0])
    # Lines outside the task (the worker's own) carry no request id.
    ready = [line for line in json_lines(worker.output()) if "ready." in line["message"]]
    assert ready and ready[0]["request_id"] is None
