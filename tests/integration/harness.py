"""What the integration tests share: real processes (a Celery worker, a gunicorn server) started
against private servers, waiting without sleeping blindly, reading the emails they wrote, and
pointing this process's Celery app (the web side) at a broker with production timeouts."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import kombu.pools
from django.db import connection

from tests.services import free_port, port_open
from tracker import jobs
from tracker.celery import app as celery_app

ROOT = Path(__file__).resolve().parents[2]


def database_url() -> str:
    db = connection.settings_dict
    credentials = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    return f"postgres://{credentials}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


class Worker:
    """One ``celery -A tracker worker`` process (solo pool: the process that sends is the one
    a test kills)."""

    def __init__(
        self,
        broker_url: str,
        email_dir: Path,
        log_dir: Path,
        *,
        pool: str = "solo",
        supervised: bool = False,
        gossip: bool = False,
        **env: str,
    ) -> None:
        # gossip, mingle and heartbeat, as deployed (off by default: they slow the start).
        self.gossip = gossip
        self.pool = pool
        # Under bin/supervise (as ``make run`` starts it): restarted whenever it exits.
        self.supervised = supervised
        self.broker_url = broker_url
        self.email_dir = email_dir
        self.log = log_dir / f"worker-{uuid.uuid4().hex[:8]}.log"
        self.env = env
        self.process: subprocess.Popen | None = None

    def start(self) -> Worker:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "tests.integration.worker_settings",
            "DATABASE_URL": database_url(),
            "CELERY_BROKER_URL": self.broker_url,
            "STRIDE_TEST_EMAIL_DIR": str(self.email_dir),
            "PYTHONPATH": str(ROOT),
            **self.env,
        }
        env.pop("CELERY_TASK_ALWAYS_EAGER", None)
        env.pop("REDIS_URL", None)
        supervisor = [sys.executable, "bin/supervise", "--name", "worker", "--"]
        self.process = subprocess.Popen(
            [
                *(supervisor if self.supervised else []),
                sys.executable, "-m", "celery", "-A", "tracker", "worker",
                f"--pool={self.pool}", "--concurrency=1",
                *([] if self.gossip else ["--without-gossip", "--without-mingle"]),
                *([] if self.gossip else ["--without-heartbeat"]),
                "--loglevel=INFO", f"--hostname=stride-test-{uuid.uuid4().hex[:8]}@%h",
            ],
            cwd=ROOT,
            env=env,
            stdout=self.log.open("ab"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        wait_for(lambda: "ready." in self.output(), timeout=60, what=f"worker ({self.log})")
        return self

    def alive(self) -> bool:
        """The process started (the supervisor, when supervised) is running."""
        return self.process is not None and self.process.poll() is None

    def celery_pids(self) -> list[int]:
        """Supervised: the pid of each celery worker the supervisor started, in order."""
        return [
            int(line.rsplit("(pid ", 1)[1].rstrip(")"))
            for line in self.output().splitlines()
            if line.startswith("supervise[worker]: started (pid ")
        ]

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def kill(self) -> None:
        """SIGKILL, no goodbye: the worker cannot ack, requeue or finish anything."""
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        stop_group(self.process)


def stop_group(process: subprocess.Popen | None) -> None:
    """SIGTERM to the process group ``process`` leads (a worker's or gunicorn's children too),
    SIGKILL after 15 s."""
    if process and process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


def wait_for(predicate, *, timeout: float, what: str, interval: float = 0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"Timed out after {timeout:.0f} s waiting for {what}")


def emails(directory: Path) -> list[str]:
    """Every message written by the file backend (one file per connection, messages split)."""
    messages = []
    for path in sorted(directory.glob("*.log")):
        text = path.read_text(errors="replace")
        messages.extend(part for part in text.split("-" * 79) if "Message-ID:" in part)
    return messages


def production_broker_settings(url: str) -> dict:
    """What ``tracker.settings`` configures for a broker at ``url`` (they depend on the URL,
    and this process was configured for the in-memory test broker)."""
    script = (
        "import json, tracker.settings as s; print(json.dumps({"
        "'broker_transport_options': s.CELERY_BROKER_TRANSPORT_OPTIONS, "
        "'broker_connection_timeout': s.CELERY_BROKER_CONNECTION_TIMEOUT}))"
    )
    env = {**os.environ, "CELERY_BROKER_URL": url, "PYTHONPATH": str(ROOT)}
    output = subprocess.run(
        [sys.executable, "-c", script],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


@contextlib.contextmanager
def publishing_to(url: str):
    """Point this process's Celery app (the web side) at ``url`` with production timeouts."""
    conf = celery_app.conf
    saved = {
        "broker_url": conf.broker_url,
        "broker_transport_options": conf.broker_transport_options,
        "broker_connection_timeout": conf.broker_connection_timeout,
    }

    def reset_pools():
        # Drop every cached connection and producer so the next publish uses the new URL.
        kombu.pools.reset()
        celery_app._pool = None
        celery_app.amqp._producer_pool = None

    conf.update(broker_url=url, **production_broker_settings(url))
    reset_pools()
    jobs.broker_backoff_reset()
    try:
        yield
    finally:
        conf.update(saved)
        reset_pools()
        jobs.broker_backoff_reset()


def production_env(**overrides: str) -> dict[str, str]:
    """Stride's own settings (not the test suite's) in production mode, over plain HTTP."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tracker.settings",
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": "integration-" + uuid.uuid4().hex * 2,
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DJANGO_SECURE_SSL_REDIRECT": "false",
        "PYTHONPATH": str(ROOT),
        **overrides,
    }
    for name in ("CELERY_TASK_ALWAYS_EAGER", "REDIS_URL", "CELERY_BROKER_URL"):
        if name not in overrides:
            env.pop(name, None)
    return env


def manage(*args: str, env: dict[str, str], timeout: float = 300) -> str:
    """``manage.py`` in a subprocess; its standard output (fails the test on an error)."""
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if result.returncode != 0:
        raise AssertionError(f"manage.py {' '.join(args)} failed:\n{result.stdout}{result.stderr}")
    return result.stdout


class HttpAnswer:
    def __init__(self, status: int, headers, body: bytes, elapsed: float) -> None:
        self.status = status
        self.headers = headers
        self.body = body
        self.elapsed = elapsed

    def json(self):
        return json.loads(self.body)

    def __repr__(self) -> str:
        return f"<{self.status} in {self.elapsed:.2f} s: {self.body[:200]!r}>"


class Gunicorn:
    """``gunicorn tracker.wsgi`` on a free port: the production shape, seen from outside."""

    def __init__(self, env: dict[str, str], log_dir: Path) -> None:
        self.env = env
        self.port = free_port()
        self.log = log_dir / f"gunicorn-{uuid.uuid4().hex[:8]}.log"
        self.process: subprocess.Popen | None = None

    def start(self) -> Gunicorn:
        self.process = subprocess.Popen(
            [
                sys.executable, "-m", "gunicorn", "tracker.wsgi",
                "--bind", f"127.0.0.1:{self.port}",
                "--workers", "1", "--threads", "4", "--timeout", "60",
            ],
            cwd=ROOT,
            env=self.env,
            stdout=self.log.open("ab"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        wait_for(
            lambda: port_open("127.0.0.1", self.port) or self.process.poll() is not None,
            timeout=60,
            what=f"gunicorn ({self.log})",
        )
        assert self.process.poll() is None, self.log.read_text(errors="replace")[-3000:]
        return self

    def request(
        self, method: str, path: str, *, body: dict | None = None, headers: dict | None = None
    ) -> HttpAnswer:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}{path}",
            data=data,
            method=method,
            headers={
                **({"Content-Type": "application/json"} if data is not None else {}),
                **(headers or {}),
            },
        )
        started = time.monotonic()
        try:
            with urllib.request.urlopen(request, timeout=30) as answer:
                return HttpAnswer(
                    answer.status, answer.headers, answer.read(), time.monotonic() - started
                )
        except urllib.error.HTTPError as error:
            return HttpAnswer(error.code, error.headers, error.read(), time.monotonic() - started)

    def stop(self) -> None:
        stop_group(self.process)
