"""The capstone deployment check against a local server, and its refusals."""

from __future__ import annotations

import http.server
import ipaddress
import socket
import ssl
import subprocess
import threading
import time

import pytest

from curriculum.models import Assignment
from learners.models import DeploymentCheck
from learners.services import submission_create
from tests.curriculum.factories import AssignmentFactory
from tests.learners.factories import SubmissionFactory
from tests.tracker.test_reminders_fixtures import (  # noqa: F401
    at,
    bootcamp_fixture,
    eager_celery_fixture,
    frozen_fixture,
)
from tracker import deployments, tasks
from tracker.deployments import guard


class Handler(http.server.BaseHTTPRequestHandler):
    routes: dict = {}

    def do_GET(self):
        self.server.seen_hosts.append(self.headers.get("Host"))
        route = self.routes.get(self.path, ("status", 404))
        kind, value = route
        if kind == "status":
            self.send_response(value)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")
        elif kind == "redirect":
            self.send_response(302)
            self.send_header("Location", value)
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif kind == "endless":
            self.send_response(200)
            self.end_headers()
            try:
                for _ in range(10_000):
                    self.wfile.write(b"x" * 65536)
            except OSError:
                pass

    def log_message(self, *args):
        pass


@pytest.fixture
def site():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.seen_hosts = []
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    Handler.routes = {
        "/": ("status", 200),
        "/broken": ("status", 500),
        "/hop": ("redirect", "/"),
        "/loop": ("redirect", "/loop"),
        "/to-metadata": ("redirect", "http://169.254.169.254/latest/meta-data/"),
        "/to-private": ("redirect", "http://10.1.2.3/admin"),
        "/to-loopback-v6": ("redirect", f"http://[::1]:{server.server_address[1]}/"),
        "/huge": ("endless", None),
    }
    server.base = base
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def allow_private(settings):
    settings.STRIDE_DEPLOY_CHECK_ALLOW_PRIVATE = True
    settings.STRIDE_DEPLOY_CHECK_TIMEOUT = 2.0


def test_a_working_deployment_is_ok_with_its_latency(site, allow_private):
    result = deployments.check_url(site.base + "/")
    assert (result.status_code, result.ok, result.error) == (200, True, "")
    assert result.latency_ms is not None and result.latency_ms < 2000
    assert site.seen_hosts[-1] == site.base.removeprefix("http://")


def test_a_server_error_is_recorded_as_not_ok(site, allow_private):
    result = deployments.check_url(site.base + "/broken")
    assert (result.status_code, result.ok, result.error) == (500, False, "HTTP 500")


def test_redirects_are_followed_by_hand_up_to_three(site, allow_private):
    assert deployments.check_url(site.base + "/hop").status_code == 200
    looping = deployments.check_url(site.base + "/loop")
    assert not looping.ok and "More than 3 redirects" in looping.error


def test_redirects_into_metadata_are_refused_even_when_private_is_allowed(site, allow_private):
    result = deployments.check_url(site.base + "/to-metadata")
    assert not result.ok and "metadata" in result.error


def test_private_and_loopback_addresses_are_refused_by_default(site, settings):
    settings.STRIDE_DEPLOY_CHECK_ALLOW_PRIVATE = False
    result = deployments.check_url(site.base + "/")
    assert not result.ok and "loopback" in result.error
    assert site.seen_hosts == []  # no request was made
    for url in (
        "http://10.0.0.8/",
        "http://192.168.1.1/",
        "http://169.254.169.254/",
        "http://[fd00:ec2::254]/",
        "http://[::1]/",
        "http://224.0.0.1/",
        "http://0.0.0.0/",
        "http://localhost/",
    ):
        refused = deployments.check_url(url)
        assert not refused.ok and refused.error.startswith("Refused"), url


def test_a_redirect_from_a_public_address_into_the_private_network_is_refused(
    site, settings, monkeypatch
):
    settings.STRIDE_DEPLOY_CHECK_ALLOW_PRIVATE = False
    real = deployments.address_refusal
    local = ipaddress.ip_address("127.0.0.1")
    # Treat the test server as a public site; every other address gets the real verdict.
    monkeypatch.setattr(
        guard, "address_refusal", lambda address: None if address == local else real(address)
    )
    assert deployments.check_url(site.base + "/").ok
    for path, reason in (("/to-private", "private"), ("/to-loopback-v6", "loopback")):
        result = deployments.check_url(site.base + path)
        assert not result.ok and reason in result.error, result.error


def test_only_http_urls_without_credentials(allow_private):
    assert "http and https" in deployments.check_url("ftp://example.org/").error
    assert "credentials" in deployments.check_url("http://u:p@example.org/").error


def test_the_body_is_read_up_to_the_size_cap(site, allow_private, settings):
    settings.STRIDE_DEPLOY_CHECK_MAX_BYTES = 100_000
    started = time.monotonic()
    result = deployments.check_url(site.base + "/huge")
    assert result.ok and result.status_code == 200
    assert time.monotonic() - started < 2


def test_a_silent_server_times_out(allow_private, settings):
    settings.STRIDE_DEPLOY_CHECK_TIMEOUT = 0.5
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    try:
        started = time.monotonic()
        result = deployments.check_url(f"http://127.0.0.1:{listener.getsockname()[1]}/")
        assert not result.ok and "Timed out" in result.error
        assert time.monotonic() - started < 3
    finally:
        listener.close()


@pytest.mark.django_db
def test_a_capstone_submission_is_checked_on_create_and_every_result_kept(
    bootcamp, frozen, site, allow_private, eager_celery, django_capture_on_commit_callbacks
):
    frozen(at(2026, 3, 8, 10))
    capstone = AssignmentFactory(
        program=bootcamp.cohort.program, kind=Assignment.Kind.MILESTONE, due_week=26
    )
    with django_capture_on_commit_callbacks(execute=True):
        submission = submission_create(
            actor=bootcamp.learner,
            enrollment=bootcamp.enrollment,
            assignment=capstone,
            url="https://github.com/me/capstone",
            deployment_url=site.base + "/",
        )
    first = DeploymentCheck.objects.get(submission=submission)
    assert (first.ok, first.status_code, first.checked_at) == (True, 200, at(2026, 3, 8, 10))
    frozen(at(2026, 3, 9, 3, 30))
    Handler.routes["/"] = ("status", 503)
    assert tasks.recheck_deployments.apply().get() == 1
    checks = list(DeploymentCheck.objects.filter(submission=submission).order_by("checked_at"))
    assert [(c.ok, c.status_code) for c in checks] == [(True, 200), (False, 503)]


@pytest.mark.django_db
def test_submissions_without_a_deployment_are_not_checked(bootcamp, allow_private):
    submission = SubmissionFactory(enrollment=bootcamp.enrollment, assignment=bootcamp.assignment)
    assert deployments.deployment_check_run(submission_id=submission.pk) is None
    assert tasks.check_deployment.apply(args=[999_999]).get() is None
    assert not DeploymentCheck.objects.exists()


@pytest.fixture
def tls_site(tmp_path):
    """An HTTPS server with a certificate for ``localhost`` signed by nobody we trust."""
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
            "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost",
            "-keyout", str(key), "-out", str(cert),
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server_names = []
    context.sni_callback = lambda sock, name, ctx: server_names.append(name)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    server.seen_hosts = []
    server.server_names = server_names
    server.cert = cert
    Handler.routes = {"/": ("status", 200)}
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def test_https_connects_to_the_checked_address_and_verifies_the_original_name(
    tls_site, allow_private, monkeypatch
):
    url = f"https://localhost:{tls_site.server_address[1]}/"
    untrusted = deployments.check_url(url)
    assert not untrusted.ok and "CERTIFICATE_VERIFY_FAILED" in untrusted.error
    trusting = ssl.create_default_context(cafile=str(tls_site.cert))
    monkeypatch.setattr(guard.ssl, "create_default_context", lambda: trusting)
    result = deployments.check_url(url)
    assert (result.ok, result.status_code) == (True, 200), result.error
    # SNI and Host carry the name while the socket went to the resolved, checked address.
    assert tls_site.server_names[-1] == "localhost"
    assert tls_site.seen_hosts[-1] == f"localhost:{tls_site.server_address[1]}"
