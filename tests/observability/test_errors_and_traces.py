"""Sentry and OpenTelemetry: off (not even imported) without their variables, and with them a
real Django process reports to a local receiver — errors without personal data, traces to
``/v1/traces``. The receivers are ``http.server`` on 127.0.0.1 in this process; the Django
process is a subprocess (``probe_site``) so nothing of it leaks into the other tests."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tracker.observability.errors import scrub_event

ROOT = Path(__file__).resolve().parents[2]


class Receiver:
    """Records every POST (path, headers, decompressed body) and answers 200."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, dict, bytes]] = []
        received = self.requests

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                encoding = self.headers.get("Content-Encoding")
                if encoding == "gzip":
                    body = gzip.decompress(body)
                elif encoding == "br":
                    # sentry-sdk compresses with brotli when the module is installed (the same
                    # interpreter runs this receiver, so it is here too).
                    import brotli

                    body = brotli.decompress(body)
                received.append((self.path, {k.lower(): v for k, v in self.headers.items()}, body))
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def port(self) -> int:
        return self.server.server_address[1]

    def __enter__(self) -> Receiver:
        self.thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.server.shutdown()
        self.server.server_close()


def run_probe(mode: str, *, preamble: str = "", **env: str) -> tuple[dict, str]:
    """Run ``probe_site`` in a fresh interpreter; its JSON line and its log output."""
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("SENTRY_", "OTEL_", "DJANGO_SETTINGS_MODULE"))
    }
    environment.update(PYTHONPATH=str(ROOT), DJANGO_LOG_FORMAT="json", **env)
    code = f"{preamble}\nimport runpy, sys\nsys.argv = ['probe', {mode!r}]\n"
    code += "runpy.run_module('tests.observability.probe_site', run_name='__main__')\n"
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1]), done.stderr


# --- Sentry ---------------------------------------------------------------------------------
def test_sentry_is_off_in_the_tests():
    # The test settings drop SENTRY_DSN, so no test can send anything.
    if "sentry_sdk" in sys.modules:
        import sentry_sdk

        assert not sentry_sdk.get_client().is_active()


def test_without_dsn_neither_sdk_is_imported_and_nothing_is_sent():
    with Receiver() as receiver:
        outcome, _ = run_probe("boom")
    assert outcome == {"status": 500, "sentry_imported": False, "otel_instrumented": False}
    assert receiver.requests == []


def test_with_a_dsn_an_error_reaches_sentry_without_personal_data():
    with Receiver() as receiver:
        outcome, _ = run_probe(
            "boom",
            SENTRY_DSN=f"http://publickey@127.0.0.1:{receiver.port}/42",
            SENTRY_ENVIRONMENT="probe",
        )
    assert outcome["status"] == 500 and outcome["sentry_imported"]
    envelopes = [body for path, _, body in receiver.requests if path == "/api/42/envelope/"]
    assert envelopes, receiver.requests
    events = [
        json.loads(line)
        for body in envelopes
        for line in body.splitlines()
        if line.startswith(b"{") and b'"exception"' in line
    ]
    assert len(events) == 1, envelopes
    event = events[0]
    assert event["environment"] == "probe"
    assert event["exception"]["values"][-1]["type"] == "BoomError"
    assert event["request"]["method"] == "POST"
    raw = b"".join(envelopes)
    for secret in (
        b"lena.private@example.org",
        b"lena.private%40example.org",
        b"secret-session-cookie",
        b"secret-body-password",
        b"secret-api-token",
    ):
        assert secret not in raw, secret
    assert "cookies" not in event["request"] and "data" not in event["request"]
    assert event.get("user", {}).get("email") is None


def test_scrub_event_keeps_the_user_id_only_and_filters_secret_headers():
    event = {
        "request": {
            "url": "https://stride.example/api/v1/me/",
            "headers": {"Cookie": "a=b", "Authorization": "Token x", "Accept": "json"},
            "cookies": {"sessionid": "x"},
            "data": {"password": "x"},
            "query_string": "email=a@b.org",
        },
        "user": {"id": 3, "email": "a@b.org", "username": "ana", "ip_address": "1.2.3.4"},
        "message": "mail to ana@example.org failed",
        "logentry": {"message": "mail to %s failed", "params": ["ana@example.org"]},
        "exception": {"values": [{"type": "SMTPError", "value": "550 ana@example.org"}]},
    }
    scrubbed = scrub_event(event, {})
    assert scrubbed["user"] == {"id": 3}
    assert scrubbed["request"] == {
        "url": "https://stride.example/api/v1/me/",
        "headers": {"Cookie": "[Filtered]", "Authorization": "[Filtered]", "Accept": "json"},
    }
    assert "@" not in json.dumps(scrubbed)


# --- OpenTelemetry --------------------------------------------------------------------------
def test_with_an_otlp_endpoint_a_request_is_exported_as_a_trace():
    with Receiver() as receiver:
        outcome, _ = run_probe(
            "ok", OTEL_EXPORTER_OTLP_ENDPOINT=f"http://127.0.0.1:{receiver.port}"
        )
    assert outcome["status"] == 200 and outcome["otel_instrumented"]
    traces = [(headers, body) for path, headers, body in receiver.requests if path == "/v1/traces"]
    assert traces, receiver.requests
    headers, body = traces[0]
    assert headers["content-type"] == "application/x-protobuf"
    # The protobuf carries the service name and the request's route as plain strings.
    assert b"stride" in body and b"probe/ok" in body


BLOCK_OPENTELEMETRY = """
import sys
class _NoOpenTelemetry:
    def find_spec(self, name, path=None, target=None):
        if name == "opentelemetry" or name.startswith("opentelemetry."):
            raise ImportError(f"No module named {name!r} (blocked by the test)")
sys.meta_path.insert(0, _NoOpenTelemetry())
"""


def test_an_endpoint_without_the_packages_logs_how_to_install_them():
    with Receiver() as receiver:
        outcome, log = run_probe(
            "ok",
            preamble=BLOCK_OPENTELEMETRY,
            OTEL_EXPORTER_OTLP_ENDPOINT=f"http://127.0.0.1:{receiver.port}",
        )
    assert outcome["status"] == 200
    errors = [json.loads(line) for line in log.splitlines() if line.startswith("{")]
    assert any(
        entry["level"] == "ERROR" and "pip install 'stride[otel]'" in entry["message"]
        for entry in errors
    ), log
    assert receiver.requests == []


@pytest.mark.parametrize("value", ["xml", ""])
def test_a_wrong_log_format_refuses_to_start(value):
    environment = {**os.environ, "PYTHONPATH": str(ROOT), "DJANGO_LOG_FORMAT": value or "yaml"}
    done = subprocess.run(
        [sys.executable, "-c", "import tracker.settings"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode != 0
    assert "DJANGO_LOG_FORMAT must be json or text" in done.stderr
