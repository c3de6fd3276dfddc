"""SSRF: the capstone deployment check (``tracker.deployments``) never reaches inward.

Every refused URL must (a) come back as a failed check whose error says why, (b) be stored as a
``DeploymentCheck`` row with ``ok=False`` when run for a submission, and (c) open no connection
at all: ``socket.create_connection`` (what ``http.client`` and the pinned HTTPS connection use)
is spied on for the whole test.
"""

from __future__ import annotations

import http.server
import socket
import threading

import pytest

from learners.models import DeploymentCheck
from tests.learners.factories import SubmissionFactory
from tracker import deployments
from tracker.deployments import guard

REAL_GETADDRINFO = socket.getaddrinfo
REAL_CREATE_CONNECTION = socket.create_connection


@pytest.fixture
def connections(monkeypatch):
    """Addresses the check connected to (it delegates to the real call)."""
    seen: list[str] = []

    def spy(address, *args, **kwargs):
        seen.append(str(address[0]))
        return REAL_CREATE_CONNECTION(address, *args, **kwargs)

    monkeypatch.setattr(socket, "create_connection", spy)
    return seen


@pytest.fixture
def fake_dns(monkeypatch):
    """``fake_dns[name] = [addresses]`` makes ``name`` resolve to them; other names resolve
    for real (the check calls ``socket.getaddrinfo``)."""
    answers: dict[str, list[str]] = {}

    def getaddrinfo(host, port, *args, **kwargs):
        if host in answers:
            infos = []
            for address in answers[host]:
                if ":" in address:
                    infos.append(
                        (socket.AF_INET6, socket.SOCK_STREAM, 6, "", (address, port, 0, 0))
                    )
                else:
                    infos.append((socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port)))
            return infos
        return REAL_GETADDRINFO(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return answers


@pytest.fixture(autouse=True)
def private_addresses_refused(settings):
    settings.STRIDE_DEPLOY_CHECK_ALLOW_PRIVATE = False
    settings.STRIDE_DEPLOY_CHECK_TIMEOUT = 2.0


# URL → words the refusal must contain (the reason, and sometimes the address it concerns).
DIRECT = {
    # private ranges
    "http://10.0.0.1/": ["private", "10.0.0.1"],
    "http://10.255.255.254:8080/admin": ["private"],
    "http://172.16.0.1/": ["private"],
    "http://172.31.255.255/": ["private"],
    "http://192.168.1.1/": ["private"],
    "https://192.168.0.10/": ["private"],
    "http://[fc00::1]/": ["private"],
    "http://[fd12:3456::1]/": ["private"],
    "http://100.64.0.1/": ["non-global"],  # carrier-grade NAT
    # loopback
    "http://127.0.0.1/": ["loopback", "127.0.0.1"],
    "http://127.1.2.3:8000/": ["loopback"],
    "https://127.0.0.1:443/": ["loopback"],
    "http://[::1]/": ["loopback", "::1"],
    "http://[::1]:8000/": ["loopback"],
    "http://localhost/": ["loopback"],
    # link-local
    "http://169.254.1.1/": ["link-local"],
    "http://[fe80::1]/": ["link-local"],
    "http://[fe80::1%25lo]/": [],  # the zone id makes it unresolvable: refused all the same
    # cloud metadata
    "http://169.254.169.254/latest/meta-data/": ["metadata", "169.254.169.254"],
    "http://169.254.169.254/computeMetadata/v1/": ["metadata"],
    "http://[fd00:ec2::254]/latest/meta-data/": ["metadata"],
    "http://100.100.100.200/latest/meta-data/": ["metadata"],
    # IPv4-mapped IPv6
    "http://[::ffff:127.0.0.1]/": ["loopback"],
    "http://[::ffff:7f00:1]/": ["loopback"],
    "http://[::ffff:10.0.0.1]/": ["private"],
    "http://[::ffff:192.168.1.1]/": ["private"],
    "http://[::ffff:169.254.169.254]/": ["metadata"],
    "http://[0:0:0:0:0:ffff:a9fe:a9fe]/": ["metadata"],
    # decimal, octal, hexadecimal and short IPv4 spellings
    "http://2130706433/": ["loopback"],
    "http://017700000001/": ["loopback"],
    "http://0177.0.0.1/": ["loopback"],
    "http://0x7f.0.0.1/": ["loopback"],
    "http://0x7f000001/": ["loopback"],
    "http://127.1/": ["loopback"],
    "http://0251.0376.0251.0376/": ["metadata"],  # 169.254.169.254 in octal
    "http://2852039166/": ["metadata"],  # 169.254.169.254 as one number
    "http://0xa9fea9fe/": ["metadata"],
    "http://167772161/": ["private"],  # 10.0.0.1
    # unspecified, multicast, reserved
    "http://0.0.0.0/": ["unspecified"],
    "http://0/": ["unspecified"],
    "http://[::]/": ["unspecified"],
    "http://224.0.0.1/": ["multicast"],
    "http://[ff02::1]/": ["multicast"],
    "http://240.0.0.1/": ["private"],  # reserved (240/4), which Python counts as private
    "http://255.255.255.255/": ["private"],  # the limited broadcast address
}

NOT_HTTP = [
    "file:///etc/passwd",
    "gopher://127.0.0.1:6379/_FLUSHALL",
    "ftp://10.0.0.1/",
    "dict://127.0.0.1:11211/",
    "javascript:alert(1)",
    "http://user:secret@example.com/",
    "http:///nohost",
]


def assert_refused(result: deployments.CheckResult, words: list[str] = ()) -> None:
    """A failed check, no status, no latency, an error saying it was refused and why."""
    assert result.ok is False
    assert result.status_code is None
    assert result.latency_ms is None
    assert result.error.startswith("Refused:"), result.error
    for word in words:
        assert word in result.error, result.error


@pytest.mark.parametrize("url", sorted(DIRECT))
def test_inward_addresses_are_refused_without_a_connection(url, connections):
    assert_refused(deployments.check_url(url), DIRECT[url])
    assert connections == []


@pytest.mark.parametrize("url", NOT_HTTP)
def test_other_schemes_and_credentials_are_refused_without_a_connection(url, connections):
    result = deployments.check_url(url)
    assert_refused(result)
    assert connections == []


@pytest.mark.parametrize(
    "url",
    [
        "http://169.254.169.254/latest/meta-data/",
        "http://[fd00:ec2::254]/",
        "http://[::ffff:169.254.169.254]/",
        "http://100.100.100.200/",
        "http://2852039166/",
    ],
)
def test_metadata_is_refused_even_when_private_addresses_are_allowed(url, connections, settings):
    settings.STRIDE_DEPLOY_CHECK_ALLOW_PRIVATE = True
    assert_refused(deployments.check_url(url), ["metadata"])
    assert connections == []


# --- Names that resolve inward ----------------------------------------------------------------

RESOLVING = {
    "intranet.example.com": (["10.0.0.5"], "private"),
    "router.example.com": (["192.168.1.1"], "private"),
    "loop.example.com": (["127.0.0.1"], "loopback"),
    "loop6.example.com": (["::1"], "loopback"),
    "linklocal.example.com": (["169.254.7.7"], "link-local"),
    "metadata.example.com": (["169.254.169.254"], "metadata"),
    "metadata6.example.com": (["fd00:ec2::254"], "metadata"),
    "mapped.example.com": (["::ffff:127.0.0.1"], "loopback"),
    # One inward answer among public ones refuses the host: the check must not pick and choose.
    "mixed.example.com": (["93.184.216.34", "127.0.0.1"], "loopback"),
    "mixed6.example.com": (["2606:2800:220:1:248:1893:25c8:1946", "fe80::1"], "link-local"),
}


@pytest.mark.parametrize("host", sorted(RESOLVING))
def test_names_that_resolve_inward_are_refused_without_a_connection(host, fake_dns, connections):
    addresses, reason = RESOLVING[host]
    fake_dns[host] = addresses
    result = deployments.check_url(f"https://{host}/status")
    assert_refused(result, [reason])
    assert host in result.error
    assert connections == []


def test_a_name_that_does_not_resolve_is_a_failed_check_without_a_connection(connections):
    result = deployments.check_url("http://no-such-host.invalid/")
    assert_refused(result)
    assert "resolve" in result.error
    assert connections == []


# --- Each refusal is recorded on the submission -----------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url",
    [
        "http://10.0.0.1/",
        "http://127.0.0.1:8000/",
        "http://[::1]/",
        "http://169.254.169.254/latest/meta-data/",
        "http://[fd00:ec2::254]/",
        "http://[::ffff:127.0.0.1]/",
        "http://2130706433/",
        "http://localhost/",
        "http://metadata.example.com/",
    ],
)
def test_a_refused_url_is_stored_as_a_failed_check_with_its_reason(url, fake_dns, connections):
    fake_dns["metadata.example.com"] = ["169.254.169.254"]
    submission = SubmissionFactory(deployment_url=url)
    check = deployments.deployment_check_run(submission_id=submission.pk)
    assert check is not None
    stored = DeploymentCheck.objects.get(submission=submission)
    assert stored.pk == check.pk
    assert stored.ok is False
    assert stored.status_code is None
    assert stored.latency_ms is None
    assert stored.error.startswith("Refused:")
    assert "address" in stored.error
    assert connections == []


# --- Redirects from an allowed site into the inside --------------------------------------------


class RedirectingHandler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.server.requests.append(self.path)
        target = self.server.redirects.get(self.path)
        if target is None:
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")
            return
        self.send_response(self.server.status_for.get(self.path, 302))
        self.send_header("Location", target)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def public_site(monkeypatch, fake_dns):
    """A local server that plays an allowed public site: its first hop is let through (the
    module's setting is all-or-nothing, so the first resolution alone is waved past here); every
    later hop goes through the real checks."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), RedirectingHandler)
    server.daemon_threads = True
    server.requests = []
    server.redirects = {}
    server.status_for = {}
    port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()

    fake_dns["public.example.com"] = ["127.0.0.1"]
    real_resolve = deployments.resolve_checked
    real_refusal = deployments.address_refusal
    hops: list[tuple[str, int]] = []
    first_hop = {"now": False}

    def refusal(address):
        if first_hop["now"] and str(address) == "127.0.0.1":
            return None
        return real_refusal(address)

    def resolve(host: str, hop_port: int):
        hops.append((host, hop_port))
        first_hop["now"] = len(hops) == 1 and host == "public.example.com"
        try:
            return real_resolve(host, hop_port)
        finally:
            first_hop["now"] = False

    monkeypatch.setattr(guard, "address_refusal", refusal)
    monkeypatch.setattr(guard, "resolve_checked", resolve)
    server.base = f"http://public.example.com:{port}"
    server.port = port
    server.hops = hops
    yield server
    server.shutdown()
    server.server_close()


def redirect_targets(port: int) -> dict[str, str]:
    return {
        "/to-private": "http://10.1.2.3/admin",
        "/to-private-172": "http://172.16.5.4/",
        "/to-private-192": "http://192.168.0.1/",
        "/to-loopback": f"http://127.0.0.1:{port}/",
        "/to-loopback-v6": f"http://[::1]:{port}/",
        "/to-localhost": f"http://localhost:{port}/",
        "/to-decimal": f"http://2130706433:{port}/",
        "/to-octal": f"http://0177.0.0.1:{port}/",
        "/to-mapped": f"http://[::ffff:127.0.0.1]:{port}/",
        "/to-link-local": "http://169.254.10.10/",
        "/to-link-local-v6": "http://[fe80::1]/",
        "/to-metadata": "http://169.254.169.254/latest/meta-data/iam/",
        "/to-metadata-v6": "http://[fd00:ec2::254]/latest/meta-data/",
        "/to-metadata-mapped": "http://[::ffff:169.254.169.254]/",
        "/to-inward-name": f"http://inward.example.com:{port}/",
        "/to-file": "file:///etc/passwd",
        "/to-gopher": "gopher://127.0.0.1:6379/_INFO",
        "/protocol-relative": f"//127.0.0.1:{port}/",
    }


@pytest.mark.parametrize("path", sorted(redirect_targets(0)))
@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_redirects_into_the_inside_are_refused_and_never_followed(
    public_site, fake_dns, connections, path, status
):
    fake_dns["inward.example.com"] = ["127.0.0.1"]
    public_site.redirects = redirect_targets(public_site.port)
    public_site.status_for = {path: status}
    result = deployments.check_url(public_site.base + path)
    assert_refused(result)
    assert "address" in result.error or "http and https" in result.error, result.error
    # Only the allowed first hop was contacted, once; the redirect target never was.
    assert public_site.requests == [path]
    assert connections == ["127.0.0.1"]


def test_a_chain_of_public_looking_redirects_ending_inside_is_refused(
    public_site, fake_dns, connections
):
    fake_dns["inward.example.com"] = ["10.9.8.7"]
    public_site.redirects = {"/a": "/b", "/b": "/c", "/c": "http://inward.example.com/"}
    # Later hops to the site itself are checked for real (127.0.0.1 is refused), so the chain
    # stops at the first relative hop already: nothing inward is ever reached.
    result = deployments.check_url(public_site.base + "/a")
    assert_refused(result, ["loopback"])
    assert public_site.requests == ["/a"]
    assert connections == ["127.0.0.1"]


@pytest.mark.django_db
def test_a_refused_redirect_is_stored_on_the_submission(public_site, connections):
    public_site.redirects = redirect_targets(public_site.port)
    submission = SubmissionFactory(deployment_url=public_site.base + "/to-metadata")
    deployments.deployment_check_run(submission_id=submission.pk)
    stored = DeploymentCheck.objects.get(submission=submission)
    assert stored.ok is False
    assert stored.status_code is None
    assert "metadata" in stored.error
    assert "169.254.169.254" in stored.error
    assert connections == ["127.0.0.1"]


def test_with_private_addresses_allowed_a_redirect_to_metadata_is_still_refused(
    settings, connections
):
    # The real setting (not the first-hop stand-in): the local site is reachable, metadata not.
    settings.STRIDE_DEPLOY_CHECK_ALLOW_PRIVATE = True
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), RedirectingHandler)
    server.daemon_threads = True
    server.requests = []
    server.status_for = {}
    server.redirects = {
        "/meta": "http://169.254.169.254/latest/meta-data/",
        "/meta6": "http://[fd00:ec2::254]/",
        "/meta-mapped": "http://[::ffff:a9fe:a9fe]/",
        "/meta-decimal": "http://2852039166/",
    }
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        base = f"http://127.0.0.1:{server.server_address[1]}"
        for path in server.redirects:
            result = deployments.check_url(base + path)
            assert_refused(result, ["metadata"])
        assert server.requests == list(server.redirects)
        assert set(connections) == {"127.0.0.1"}
        assert len(connections) == len(server.redirects)
    finally:
        server.shutdown()
        server.server_close()


def test_the_allowed_site_itself_is_reached_so_the_refusals_above_mean_something(
    public_site, connections
):
    result = deployments.check_url(public_site.base + "/")
    assert result.ok is True
    assert result.status_code == 200
    assert connections == ["127.0.0.1"]
    assert public_site.requests == ["/"]


@pytest.mark.parametrize(
    ("address", "inner"),
    [
        ("2002:a9fe:a9fe::1", "metadata"),  # 6to4 wrapping 169.254.169.254
        ("2002:7f00:1::1", "loopback"),  # 6to4 wrapping 127.0.0.1
        ("2002:c0a8:101::1", "private"),  # 6to4 wrapping 192.168.1.1
        ("2001:0:4136:e378:8000:63bf:f5ff:fefe", "private"),  # Teredo client 10.0.1.1
    ],
)
def test_ipv6_tunnel_addresses_are_judged_by_the_ipv4_address_inside(address, inner):
    import ipaddress

    reason = deployments.address_refusal(ipaddress.ip_address(address))
    assert reason is not None and reason.startswith("an IPv6 tunnel to")
    assert inner in reason or (inner == "metadata" and "metadata" in reason)


def test_a_6to4_address_of_a_public_host_is_allowed():
    import ipaddress

    # 2002:5db8:d822::1 wraps 93.184.216.34, a public address.
    assert deployments.address_refusal(ipaddress.ip_address("2002:5db8:d822::1")) is None
