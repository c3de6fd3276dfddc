"""The request id of every request, and its metrics.

``RequestIdMiddleware`` comes first: it takes the client's ``X-Request-ID`` when it is sane
(at most 64 of ``[A-Za-z0-9._-]``) or makes one (uuid4 hex), keeps it in ``context.request_id``
for the logging filter and the tasks the request publishes until the request is finished, and
echoes it in the response.
``RequestMetricsMiddleware`` comes right after: it counts and times every answer by view
(the route's name; ``<static>`` for WhiteNoise's files, ``<unresolved>`` for a 404 outside
every route), method and status.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.core.signals import request_finished

from . import context
from .metrics import record_request

HEADER = "X-Request-ID"
_STATIC_PREFIX = "/" + settings.STATIC_URL.lstrip("/")


class RequestIdMiddleware:
    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        request_id = context.sane_request_id(request.headers.get(HEADER))
        request.request_id = request_id
        # Not reset when the middleware returns: Django logs a 4xx/5xx answer ("Not Found: …")
        # after the whole middleware chain. ``request_finished`` clears it.
        context.request_id.set(request_id)
        response = self.get_response(request)
        response[HEADER] = request_id
        return response


def _request_finished(sender, **kwargs) -> None:
    context.request_id.set(None)


request_finished.connect(_request_finished, dispatch_uid="stride-request-id-clear")


class RequestMetricsMiddleware:
    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        if match is not None:
            view = match.view_name or match._func_path
        elif request.path.startswith(_STATIC_PREFIX):
            # Served by WhiteNoise before any route is resolved.
            view = "<static>"
        else:
            view = "<unresolved>"
        record_request(
            view=view,
            method=request.method,
            status=response.status_code,
            seconds=time.perf_counter() - started,
        )
        return response
