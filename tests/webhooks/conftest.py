"""The webhooks' outside party: a real HTTP receiver on 127.0.0.1 (``http.server`` in a
thread) that verifies every delivery with the snippet of docs/API.md and answers as the test
scripts it; and the settings that let Stride send there."""

from __future__ import annotations

import http.server
import json
import re
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.tracker.test_reminders_fixtures import eager_celery_fixture  # noqa: F401
from tracker import tasks  # noqa: F401  (registers the tasks eager Celery runs)

DOCS = Path(__file__).resolve().parents[2] / "docs" / "API.md"
SNIPPET_MARK = "<!-- webhook-verify-snippet"


def docs_verify():
    """The ``verify`` function of docs/API.md's snippet, executed as a reader would paste it."""
    text = DOCS.read_text()
    after = text[text.index(SNIPPET_MARK) :]
    code = re.search(r"```python\n(.*?)```", after, re.S).group(1)
    assert len(code.strip().splitlines()) <= 10, "the snippet promises ten lines"
    namespace: dict[str, Any] = {}
    exec(compile(code, str(DOCS), "exec"), namespace)
    return namespace["verify"]


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes
    verified: bool
    answered: int | None

    @property
    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Receiver:
    """What the receiver saw, and the answers it gives next (``script``: status codes, or
    ``"silent"`` to keep the connection open past Stride's timeout)."""

    url: str
    secret: str = "whsec_receiver-test-secret"
    script: list = field(default_factory=list)
    received: list[Received] = field(default_factory=list)
    accepted_ids: list[str] = field(default_factory=list)
    silence_seconds: float = 2.0


@pytest.fixture
def verify():
    return docs_verify()


@pytest.fixture
def receiver(verify, settings):
    settings.STRIDE_WEBHOOKS_ALLOW_PRIVATE = True
    settings.STRIDE_WEBHOOKS_TIMEOUT = 0.5
    state: dict[str, Receiver] = {}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            hook = state["receiver"]
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            verified = verify(hook.secret, self.headers.get("Stride-Signature", ""), body)
            answer = hook.script.pop(0) if hook.script else 200
            if answer == "silent":
                hook.received.append(Received(dict(self.headers), body, verified, None))
                time.sleep(hook.silence_seconds)
                return
            if not verified:
                answer = 401
            elif 200 <= answer < 300:
                event_id = self.headers.get("Stride-Event-Id")
                # A receiver that drops duplicates, as the docs ask.
                if event_id not in hook.accepted_ids:
                    hook.accepted_ids.append(event_id)
            hook.received.append(Received(dict(self.headers), body, verified, answer))
            reply = b'{"received": true}' if answer < 300 else b"try again later"
            self.send_response(answer)
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state["receiver"] = Receiver(url=f"http://127.0.0.1:{server.server_address[1]}/hooks/stride")
    try:
        yield state["receiver"]
    finally:
        server.shutdown()
        server.server_close()
