"""``GET /metrics``: the Prometheus text format, for a scraper only.

With ``STRIDE_METRICS_TOKEN`` set, the request must carry ``Authorization: Bearer <token>``
(401 without it, 403 with another; compared in constant time), from anywhere. Without a token,
only clients inside ``STRIDE_METRICS_ALLOWED_NETS`` are answered (403 otherwise). No session,
no CSRF, no database write.
"""

from __future__ import annotations

import functools
import hmac
import ipaddress

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry

from .collector import StrideCollector
from .metrics import exposition


@functools.cache
def _stride_registry() -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(StrideCollector())
    return registry


@functools.cache
def allowed_networks(
    nets: tuple[str, ...],
) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(net.strip(), strict=False) for net in nets if net.strip())


def client_address(request: HttpRequest) -> str:
    """REMOTE_ADDR, or with ``STRIDE_NUM_PROXIES`` trusted proxies in front the address the
    first of them saw (as DRF's throttles identify a client): a header a client writes itself
    is never believed beyond that."""
    num_proxies = settings.REST_FRAMEWORK.get("NUM_PROXIES") or 0
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if num_proxies and forwarded:
        hops = [hop.strip() for hop in forwarded.split(",")]
        return hops[-min(num_proxies, len(hops))]
    return request.META.get("REMOTE_ADDR", "")


def _from_allowed_network(request: HttpRequest) -> bool:
    try:
        address = ipaddress.ip_address(client_address(request).split("%", 1)[0])
    except ValueError:
        return False
    if getattr(address, "ipv4_mapped", None):
        address = address.ipv4_mapped
    nets = allowed_networks(tuple(settings.STRIDE_METRICS_ALLOWED_NETS))
    return any(address in net for net in nets if net.version == address.version)


def _refused(status: int, reason: str) -> HttpResponse:
    response = HttpResponse(reason + "\n", status=status, content_type="text/plain")
    if status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
    return response


@csrf_exempt
@require_GET
@never_cache
def metrics(request: HttpRequest) -> HttpResponse:
    token = settings.STRIDE_METRICS_TOKEN
    if token:
        scheme, _, given = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not given.strip():
            return _refused(401, "A bearer token is required.")
        if not hmac.compare_digest(given.strip().encode(), token.encode()):
            return _refused(403, "Wrong token.")
    elif not _from_allowed_network(request):
        return _refused(403, "Not from an allowed network.")
    return HttpResponse(exposition(_stride_registry()), content_type=CONTENT_TYPE_LATEST)
