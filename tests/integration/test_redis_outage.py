"""Redis away under a running Stride, seen from outside.

gunicorn in the production shape on a private PostgreSQL cluster, with a private Redis as its
cache (throttles, rate limits) and broker (REDIS_URL). The test stops Redis, then freezes it
(SIGSTOP: connections are accepted and never answered): the learner's API reads and writes
still answer 2xx within 5 s each. Once Redis is back, one outbox flush (what beat runs every
minute) sends each email caused meanwhile, and a second flush sends nothing more.
"""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import os
import signal
import time

import pytest

from tests.integration.harness import Gunicorn, emails, manage, production_env

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.integration]

PASSWORD = "Outage-pass-4821"
BOUND_SECONDS = 5  # the bound for every answer while Redis is away
# The cache breaker and the publish backoff, short so the frozen phase meets Redis afresh.
BREAKERS = 2

FLUSH = """
import tracker.tasks  # registers the tasks, as a worker does
from tracker import jobs
assert jobs.publish(jobs.FLUSH_OUTBOX)
"""


def readable(raw: str) -> str:
    """Headers and decoded text parts of one message as the file backend wrote it."""
    message = email.message_from_string(raw.strip(), policy=email.policy.default)
    parts = [message] if not message.is_multipart() else list(message.walk())
    texts = [part.get_content() for part in parts if part.get_content_type() == "text/plain"]
    return f"To: {message['To']}\nSubject: {message['Subject']}\n\n" + "\n".join(texts)


class Learner:
    """The learner's API calls, each checked for a 2xx within the bound."""

    def __init__(self, server: Gunicorn, token: str) -> None:
        self.server = server
        self.headers = {"Authorization": f"Token {token}"}
        me = self.call("GET", "/api/v1/me/").json()
        self.enrollment = me["learner_enrollments"][0]
        self.module = self.call("GET", "/api/v1/modules/").json()["results"][0]["id"]

    def call(self, method: str, path: str, body: dict | None = None):
        answer = self.server.request(method, path, body=body, headers=self.headers)
        assert 200 <= answer.status < 300, (method, path, answer)
        assert answer.elapsed < BOUND_SECONDS, (method, path, answer)
        return answer

    def day_of_work(self, note: str) -> None:
        """Reads, a progress log, and a help request (which emails the mentor)."""
        self.call("GET", "/api/v1/me/")
        self.call("GET", f"/api/v1/enrollments/{self.enrollment}/progress/")
        self.call("GET", "/api/v1/notifications/")
        self.call(
            "POST",
            "/api/v1/progress-logs/",
            {
                "enrollment": self.enrollment,
                "module": self.module,
                "logged_on": dt.date.today().isoformat(),
                "minutes": 45,
                "note": note,
            },
        )
        self.call(
            "POST", f"/api/v1/enrollments/{self.enrollment}/help/", {"message": f"Stuck: {note}"}
        )


def test_api_answers_with_redis_stopped_and_frozen_and_the_emails_follow_once(
    cluster, throwaway_redis, tmp_path
):
    mail_dir = tmp_path / "mail"
    mail_dir.mkdir()
    env = production_env(
        DATABASE_URL=cluster.url,
        REDIS_URL=throwaway_redis.url,
        EMAIL_URL=f"filemail:///{mail_dir}",  # django-environ drops one leading slash
        STRIDE_VAR_DIR=str(tmp_path / "var"),
        STRIDE_CACHE_BREAKER_SECONDS=str(BREAKERS),
        STRIDE_BROKER_BACKOFF_SECONDS=str(BREAKERS),
    )
    manage("migrate", "--noinput", env=env)
    manage("seed_demo", "--learners", "2", "--password", PASSWORD, env=env)
    server = Gunicorn(env, tmp_path).start()
    try:
        token = server.request(
            "POST", "/api/v1/auth/token/", body={"username": "learner1", "password": PASSWORD}
        )
        assert token.status == 200, token
        learner = Learner(server, token.json()["token"])

        throwaway_redis.stop()
        learner.day_of_work("Redis stopped")

        throwaway_redis.start()
        time.sleep(BREAKERS + 0.5)  # both breakers close again: the next failure is a new one
        learner.day_of_work("Redis back")

        time.sleep(BREAKERS + 0.5)
        os.kill(throwaway_redis.process.pid, signal.SIGSTOP)
        try:
            learner.day_of_work("Redis frozen")
        finally:
            os.kill(throwaway_redis.process.pid, signal.SIGCONT)
    finally:
        server.stop()

    # Redis is back: what beat does every minute, run once here (tasks in-process).
    flush_env = {**env, "CELERY_TASK_ALWAYS_EAGER": "true"}
    manage("shell", "-c", FLUSH, env=flush_env)
    sent = [readable(message) for message in emails(mail_dir)]
    help_emails = [message for message in sent if "Stuck: Redis" in message]
    assert len(help_emails) == 2, sent
    assert sum("Stuck: Redis stopped" in message for message in help_emails) == 1
    assert sum("Stuck: Redis frozen" in message for message in help_emails) == 1

    manage("shell", "-c", FLUSH, env=flush_env)
    assert len(emails(mail_dir)) == len(sent)
