"""The capstone deployment check: request a submission's ``deployment_url`` safely.

The URL is the learner's, so the request is treated as hostile input (SSRF):
- the host is resolved once and every address is checked; private, loopback, link-local,
  multicast, reserved, unspecified and cloud metadata addresses are refused unless
  ``STRIDE_DEPLOY_CHECK_ALLOW_PRIVATE`` is set;
- the connection goes to the checked address itself (no second lookup that DNS rebinding could
  answer differently), with the original name in the Host header and in TLS SNI/verification;
- short timeouts, a cap on the bytes read (streamed, then stopped);
- redirects are never followed automatically: up to three are followed by hand, each target
  resolved and checked again.
Every attempt is stored as a ``DeploymentCheck`` row.

Offers ``deployment_check_run`` (one check, recorded; the task ``check_deployment`` calls it)
and ``deployment_recheck_all`` (publishes a check of every deployed capstone, daily). Publishes
through ``tracker.jobs``, never importing the task module.
"""

from __future__ import annotations

import http.client
import ipaddress
import logging
import socket
import ssl
import time
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

from django.conf import settings
from django.db import transaction

from curriculum.kernel import clock
from learners.models import DeploymentCheck, Submission
from tracker import jobs

logger = logging.getLogger(__name__)

MAX_REDIRECTS = 3
METADATA_ADDRESSES = {
    ipaddress.ip_address("169.254.169.254"),
    ipaddress.ip_address("fd00:ec2::254"),
    ipaddress.ip_address("100.100.100.200"),  # Alibaba Cloud's metadata service
}
USER_AGENT = "Stride-deployment-check/1.0"


class CheckRefused(Exception):
    """The URL may not be requested (scheme, address, too many redirects)."""


@dataclass(frozen=True)
class CheckResult:
    status_code: int | None
    ok: bool
    latency_ms: int | None
    error: str


def address_refusal(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str | None:
    """Why ``address`` may not be contacted, or None when it may."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped:
            address = address.ipv4_mapped
        else:
            # 6to4 and Teredo addresses carry an IPv4 address that a relay would reach: judge the
            # tunnel by where it leads.
            tunnelled = [address.sixtofour, address.teredo[1] if address.teredo else None]
            for inner in filter(None, tunnelled):
                reason = address_refusal(inner)
                if reason:
                    return f"an IPv6 tunnel to {reason}"
    if address in METADATA_ADDRESSES:
        return "a cloud metadata address"
    if settings.STRIDE_DEPLOY_CHECK_ALLOW_PRIVATE:
        return None
    for label, flag in (
        ("a loopback", address.is_loopback),
        ("a link-local", address.is_link_local),
        ("a multicast", address.is_multicast),
        ("an unspecified", address.is_unspecified),
        ("a private", address.is_private),
        ("a reserved", address.is_reserved),
        ("a non-global", not address.is_global),
    ):
        if flag:
            return f"{label} address"
    return None


def resolve_checked(host: str, port: int) -> list[str]:
    """Resolve ``host`` once and return its addresses, all of which the checks allow (or
    refuse)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise CheckRefused(f"Cannot resolve {host}: {exc.strerror or exc}") from exc
    addresses = []
    for info in infos:
        address = ipaddress.ip_address(info[4][0].split("%", 1)[0])
        reason = address_refusal(address)
        if reason:
            # One bad answer refuses the host: a name that points inward is not a public site.
            raise CheckRefused(f"{host} resolves to {reason} ({address}).")
        if str(address) not in addresses:
            addresses.append(str(address))
    if not addresses:
        raise CheckRefused(f"Cannot resolve {host}.")
    return addresses


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """HTTPS to a fixed address while verifying the certificate for the original name."""

    def __init__(self, address: str, hostname: str, **kwargs) -> None:
        super().__init__(address, **kwargs)
        self._hostname = hostname

    def connect(self) -> None:
        sock = socket.create_connection((self.host, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self._hostname)


def _connect(scheme: str, hostname: str, port: int, timeout: float) -> http.client.HTTPConnection:
    """A connection to the first checked address of ``hostname`` that answers."""
    error: OSError | None = None
    for address in resolve_checked(hostname, port):
        if scheme == "https":
            connection: http.client.HTTPConnection = _PinnedHTTPSConnection(
                address, hostname, port=port, timeout=timeout, context=ssl.create_default_context()
            )
        else:
            connection = http.client.HTTPConnection(address, port=port, timeout=timeout)
        try:
            connection.connect()
        except ssl.SSLError:
            raise  # the address answered; its certificate is wrong
        except OSError as exc:
            connection.close()
            error = exc
            continue
        return connection
    raise error or CheckRefused(f"Cannot resolve {hostname}.")


def _request_once(url: str, timeout: float, max_bytes: int) -> tuple[int, str | None]:
    """One GET to ``url`` at a checked address; returns the status and a redirect target."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise CheckRefused("Only http and https URLs are checked.")
    if not parts.hostname:
        raise CheckRefused("The URL has no host.")
    if parts.username or parts.password:
        raise CheckRefused("URLs with credentials are not checked.")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    connection = _connect(parts.scheme, parts.hostname, port, timeout)
    host_header = parts.hostname if ":" not in parts.hostname else f"[{parts.hostname}]"
    if parts.port:
        host_header += f":{parts.port}"
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    deadline = time.monotonic() + timeout * 2
    try:
        connection.putrequest("GET", path, skip_host=True, skip_accept_encoding=True)
        connection.putheader("Host", host_header)
        connection.putheader("User-Agent", USER_AGENT)
        connection.putheader("Accept", "text/html,application/json;q=0.9,*/*;q=0.5")
        connection.putheader("Connection", "close")
        connection.endheaders()
        response = connection.getresponse()
        location = response.getheader("Location")
        read = 0
        # Stream and stop: a deployment answers with a page, not with gigabytes.
        while read < max_bytes and time.monotonic() < deadline:
            chunk = response.read(min(65536, max_bytes - read))
            if not chunk:
                break
            read += len(chunk)
        return response.status, location
    finally:
        connection.close()


def check_url(url: str) -> CheckResult:
    """Request ``url`` with every safeguard; never raises."""
    timeout = settings.STRIDE_DEPLOY_CHECK_TIMEOUT
    max_bytes = settings.STRIDE_DEPLOY_CHECK_MAX_BYTES
    started = time.monotonic()
    current = url
    try:
        for _ in range(MAX_REDIRECTS + 1):
            status, location = _request_once(current, timeout, max_bytes)
            if status in (301, 302, 303, 307, 308) and location:
                current = urljoin(current, location)
                continue
            latency = int((time.monotonic() - started) * 1000)
            ok = 200 <= status < 400
            error = "" if ok else f"HTTP {status}"
            return CheckResult(status, ok, latency, error)
        raise CheckRefused(f"More than {MAX_REDIRECTS} redirects.")
    except CheckRefused as exc:
        return CheckResult(None, False, None, f"Refused: {exc}"[:500])
    except TimeoutError:
        return CheckResult(None, False, None, f"Timed out after {timeout:g} s.")
    except (OSError, http.client.HTTPException, ValueError) as exc:
        return CheckResult(None, False, None, f"{exc.__class__.__name__}: {exc}"[:500])


def deployment_check_run(*, submission_id: int) -> DeploymentCheck | None:
    """Check one submission's deployment and store the result (None if there is nothing to
    check)."""
    url = (
        Submission.objects.filter(pk=submission_id)
        .exclude(deployment_url="")
        .values_list("deployment_url", flat=True)
        .first()
    )
    if not url:
        return None
    checked_at = clock.now()
    result = check_url(url)
    with transaction.atomic():
        if not Submission.objects.filter(pk=submission_id).exists():
            return None
        check = DeploymentCheck(
            submission_id=submission_id,
            checked_at=checked_at,
            status_code=result.status_code,
            ok=result.ok,
            latency_ms=result.latency_ms,
            error=result.error,
        )
        check.full_clean()
        check.save()
    return check


def submissions_to_recheck():
    """The latest version of every deployed capstone submission of an active learner."""
    return (
        Submission.objects.exclude(deployment_url="")
        .filter(enrollment__status__in=["active", "paused", "graduated"])
        .order_by("enrollment_id", "assignment_id", "-version")
        .values_list("id", "enrollment_id", "assignment_id")
    )


def deployment_recheck_all() -> int:
    """Publish one check of the latest deployed version of every capstone submission; the
    number published."""
    seen: set[tuple[int, int]] = set()
    queued = 0
    for submission_id, enrollment_id, assignment_id in submissions_to_recheck():
        if (enrollment_id, assignment_id) in seen:
            continue
        seen.add((enrollment_id, assignment_id))
        queued += jobs.publish(jobs.CHECK_DEPLOYMENT, args=[submission_id])
    logger.info("Queued %d deployment re-checks at %s", queued, clock.now().isoformat())
    return queued
