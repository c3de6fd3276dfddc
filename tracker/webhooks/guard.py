"""Where a webhook may be sent: the capstone check's address guard, with the webhooks' own
switch for private networks (``STRIDE_WEBHOOKS_ALLOW_PRIVATE``).

A webhook URL is typed by staff, but what its name resolves to can change after registration,
so the address is checked when the endpoint is registered and again before every attempt, and
the connection goes to the address that was checked (no second lookup DNS rebinding could
answer differently). Cloud metadata addresses are refused even when private addresses are
allowed.
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.translation import gettext as _

from tracker.deployments import METADATA_ADDRESSES, address_refusal

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


class AddressRefused(Exception):
    """The URL may not be contacted (scheme, credentials, address)."""


def _unwrapped(address: Address) -> list[Address]:
    """``address`` and any IPv4 address it carries (mapped, 6to4, Teredo)."""
    found = [address]
    if isinstance(address, ipaddress.IPv6Address):
        inner = [
            address.ipv4_mapped,
            address.sixtofour,
            address.teredo[1] if address.teredo else None,
        ]
        found.extend(filter(None, inner))
    return found


def webhook_address_refusal(address: Address) -> str | None:
    """Why a webhook may not go to ``address``, or None when it may."""
    if settings.STRIDE_WEBHOOKS_ALLOW_PRIVATE:
        if any(inner in METADATA_ADDRESSES for inner in _unwrapped(address)):
            return _("a cloud metadata address")
        return None
    # The capstone check's guard; it may have been told to allow private addresses for
    # deployments, which must not open them to webhooks, hence the second look.
    reason = address_refusal(address)
    if reason:
        return reason
    if any(not inner.is_global for inner in _unwrapped(address)):
        return _("a non-global address")
    return None


def check_url_form(url: str) -> tuple[str, str, int]:
    """The scheme, host and port of ``url`` if its form is acceptable."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise AddressRefused(_("Only http and https addresses can receive webhooks."))
    if not parts.hostname:
        raise AddressRefused(_("The address has no host."))
    if parts.username or parts.password:
        raise AddressRefused(_("Put no user name or password in the address."))
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:
        raise AddressRefused(_("The address has an invalid port.")) from exc
    return parts.scheme, parts.hostname, port


def resolve_checked(host: str, port: int) -> list[str]:
    """Resolve ``host`` once; its addresses if every one of them is allowed."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise AddressRefused(_("Cannot resolve %(host)s.") % {"host": host}) from exc
    addresses: list[str] = []
    for info in infos:
        address = ipaddress.ip_address(str(info[4][0]).split("%", 1)[0])
        reason = webhook_address_refusal(address)
        if reason:
            raise AddressRefused(
                _("%(host)s resolves to %(reason)s (%(address)s); webhooks are not sent there.")
                % {"host": host, "reason": reason, "address": address}
            )
        if str(address) not in addresses:
            addresses.append(str(address))
    if not addresses:
        raise AddressRefused(_("Cannot resolve %(host)s.") % {"host": host})
    return addresses


def check_url(url: str) -> list[str]:
    """The checked addresses ``url`` may be sent to (``AddressRefused`` otherwise)."""
    _scheme, host, port = check_url_form(url)
    return resolve_checked(host, port)
