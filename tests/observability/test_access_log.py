"""gunicorn's access log, as the image runs it: the calendar feed's token and a reset link's
secret never reach it, and each line carries the request id."""

from __future__ import annotations

import contextlib
import json
import os
import re
import shlex
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from tests.services import free_port, port_open
from tracker.observability.access_log import mask

ROOT = Path(__file__).resolve().parents[2]


def image_gunicorn_options() -> list[str]:
    """The logging options of the Dockerfile's CMD (``sh -c "gunicorn …"``)."""
    cmd = next(
        line for line in (ROOT / "Dockerfile").read_text().splitlines() if line.startswith("CMD")
    )
    words = shlex.split(json.loads(cmd[len("CMD") :])[2])
    options = []
    for name in ("--logger-class", "--access-logformat"):
        options += [name, words[words.index(name) + 1]]
    return options


def test_masking_keeps_everything_but_the_secret():
    assert mask("GET /calendar/AbC_12-x.ics HTTP/1.1") == "GET /calendar/….ics HTTP/1.1"
    assert mask("/reset/MTI/cz3k-9a1b2c/") == "/reset/…/…/"
    assert mask("/reset/MTI/set-password/") == "/reset/…/…/"
    assert mask("/learner/?enrollment=3") == "/learner/?enrollment=3"


def test_the_image_access_log_masks_secrets_and_names_the_request(tmp_path):
    port = free_port()
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("SENTRY_", "OTEL_", "DJANGO_"))
    }
    environment.update(
        PYTHONPATH=str(ROOT), DJANGO_SETTINGS_MODULE="tests.observability.probe_site"
    )
    log_path = tmp_path / "access.log"
    server = subprocess.Popen(
        [
            sys.executable, "-m", "gunicorn", "tracker.wsgi:application",
            "--bind", f"127.0.0.1:{port}", "--workers", "1", "--access-logfile", str(log_path),
            *image_gunicorn_options(),
        ],
        cwd=ROOT, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while not port_open("127.0.0.1", port):
            assert server.poll() is None and time.monotonic() < deadline
            time.sleep(0.2)
        for path in ("/calendar/SeCrEt-Token_123.ics", "/reset/MTI/cz3k-9a1b2c/", "/probe/ok"):
            request = urllib.request.Request(
                f"http://127.0.0.1:{port}{path}", headers={"X-Request-ID": "rid42"}
            )
            # The probe site has no such page: the line in the log is what is checked.
            with contextlib.suppress(urllib.error.HTTPError):
                urllib.request.urlopen(request, timeout=30).close()
        deadline = time.monotonic() + 10
        while log_path.read_text().count("\n") < 3 and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        server.terminate()
        server.wait(timeout=30)
    text = log_path.read_text()
    assert "SeCrEt-Token_123" not in text and "cz3k-9a1b2c" not in text, text
    assert '"GET /calendar/….ics HTTP/1.1"' in text
    assert '"GET /reset/…/…/ HTTP/1.1"' in text
    assert len(re.findall(r" rid=rid42$", text, re.M)) == 3, text
