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

Offers ``address_refusal`` (why an address may not be contacted), ``resolve_checked``,
``fetch`` (one request, any method, redirects followed by hand) and ``check_url`` (a GET that
never raises). Imports nothing of Stride: other rooms (webhooks) may reuse it through
``tracker.deployments``.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
import time
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

from django.conf import settings
from django.utils.translation import gettext_lazy as _

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
                    return _("an IPv6 tunnel to %(reason)s") % {"reason": reason}
    if address in METADATA_ADDRESSES:
        return _("a cloud metadata address")
    if settings.STRIDE_DEPLOY_CHECK_ALLOW_PRIVATE:
        return None
    for label, flag in (
        (_("a loopback address"), address.is_loopback),
        (_("a link-local address"), address.is_link_local),
        (_("a multicast address"), address.is_multicast),
        (_("an unspecified address"), address.is_unspecified),
        (_("a private address"), address.is_private),
        (_("a reserved address"), address.is_reserved),
        (_("a non-global address"), not address.is_global),
    ):
        if flag:
            return str(label)
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


@dataclass(frozen=True)
class Answer:
    """What one request brought back: the status, the body (at most the cap) and whether the
    body went on beyond the cap."""

    status: int
    location: str | None
    body: bytes
    truncated: bool


def _request_once(
    url: str,
    timeout: float,
    max_bytes: int,
    *,
    method: str = "GET",
    body: bytes | None = None,
    content_type: str = "",
    accept: str = "text/html,application/json;q=0.9,*/*;q=0.5",
) -> Answer:
    """One request to ``url`` at a checked address; returns the status, a redirect target and
    the body read up to ``max_bytes``."""
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
        connection.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
        connection.putheader("Host", host_header)
        connection.putheader("User-Agent", USER_AGENT)
        connection.putheader("Accept", accept)
        connection.putheader("Connection", "close")
        if body is not None:
            connection.putheader("Content-Type", content_type or "application/json")
            connection.putheader("Content-Length", str(len(body)))
        connection.endheaders(body)
        response = connection.getresponse()
        location = response.getheader("Location")
        chunks: list[bytes] = []
        read = 0
        truncated = False
        # Stream and stop: a deployment answers with a page, not with gigabytes.
        while time.monotonic() < deadline:
            chunk = response.read(min(65536, max_bytes + 1 - read))
            if not chunk:
                break
            chunks.append(chunk)
            read += len(chunk)
            if read > max_bytes:
                truncated = True
                break
        return Answer(response.status, location, b"".join(chunks)[:max_bytes], truncated)
    finally:
        connection.close()


def fetch(
    url: str,
    *,
    method: str = "GET",
    body: bytes | None = None,
    content_type: str = "",
    accept: str = "application/json",
    timeout: float | None = None,
) -> tuple[Answer, str]:
    """One request with every safeguard, redirects (up to three) followed by hand with the
    same method and body, each target checked again; returns the final answer and the URL that
    gave it. Raises ``CheckRefused``, ``TimeoutError``, ``OSError``, ``http.client.HTTPException``
    or ``ValueError`` (the caller records them)."""
    timeout = settings.STRIDE_DEPLOY_CHECK_TIMEOUT if timeout is None else timeout
    max_bytes = settings.STRIDE_DEPLOY_CHECK_MAX_BYTES
    current = url
    for _attempt in range(MAX_REDIRECTS + 1):
        answer = _request_once(
            current,
            timeout,
            max_bytes,
            method=method,
            body=body,
            content_type=content_type,
            accept=accept,
        )
        if answer.status in (301, 302, 303, 307, 308) and answer.location:
            current = urljoin(current, answer.location)
            continue
        return answer, current
    raise CheckRefused(f"More than {MAX_REDIRECTS} redirects.")


def check_url(url: str) -> CheckResult:
    """Request ``url`` with every safeguard; never raises."""
    timeout = settings.STRIDE_DEPLOY_CHECK_TIMEOUT
    started = time.monotonic()
    try:
        answer, _final = fetch(url, accept="text/html,application/json;q=0.9,*/*;q=0.5")
        status = answer.status
        latency = int((time.monotonic() - started) * 1000)
        ok = 200 <= status < 400
        error = "" if ok else f"HTTP {status}"
        return CheckResult(status, ok, latency, error)
    except CheckRefused as exc:
        return CheckResult(None, False, None, f"Refused: {exc}"[:500])
    except TimeoutError:
        return CheckResult(None, False, None, f"Timed out after {timeout:g} s.")
    except (OSError, http.client.HTTPException, ValueError) as exc:
        return CheckResult(None, False, None, f"{exc.__class__.__name__}: {exc}"[:500])
