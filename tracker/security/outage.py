"""A database that is away answers 503 with ``Retry-After``, not 500.

``DatabaseOutageMiddleware`` turns a connection failure raised by a view (pages and the API:
DRF lets non-API errors through) into 503: JSON ``{"detail": …}`` under ``/api/``, a plain page
elsewhere, with ``Retry-After: STRIDE_DB_OUTAGE_RETRY_AFTER``. ``server_error`` (the project's
``handler500``) does the same for a failure raised outside a view (a middleware reading the
session), and ``outage_api_response`` serves the API's exception handler. Any other database
error stays a 500: only what a retry can cure is called an outage.

The page is rendered without the request: its context processors would ask the database.
"""

from __future__ import annotations

import sqlite3
import sys
from collections.abc import Callable

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from django.views import defaults
from rest_framework.response import Response

API_PREFIX = "/api/"
API_DETAIL = _("The database is unavailable. Nothing was changed; try again shortly.")
# SQLSTATE classes a retry can cure: connection exception, insufficient resources (too many
# connections), operator intervention (shutdown, crash recovery, "cannot connect now").
TRANSIENT_SQLSTATE_CLASSES = {"08", "53", "57"}
SQLITE_TRANSIENT = {"SQLITE_BUSY", "SQLITE_LOCKED", "SQLITE_CANTOPEN", "SQLITE_IOERR"}


def retry_after() -> int:
    return int(getattr(settings, "STRIDE_DB_OUTAGE_RETRY_AFTER", 30))


def is_database_outage(error: BaseException | None) -> bool:
    """True when ``error`` means the database cannot be reached (or is refusing work for a
    while), not that a query was wrong."""
    if isinstance(error, InterfaceError):
        return True
    if not isinstance(error, OperationalError):
        return False
    cause = error.__cause__
    if isinstance(cause, sqlite3.OperationalError):
        return getattr(cause, "sqlite_errorname", "") in SQLITE_TRANSIENT
    sqlstate = getattr(cause, "sqlstate", None)
    if sqlstate is None:
        # psycopg found no server to talk to (refused, reset, closed): no SQLSTATE at all.
        return True
    return sqlstate[:2] in TRANSIENT_SQLSTATE_CLASSES


def outage_response(request: HttpRequest) -> HttpResponse:
    seconds = retry_after()
    if request.path.startswith(API_PREFIX):
        response: HttpResponse = JsonResponse({"detail": API_DETAIL}, status=503)
    else:
        # Before the language middleware has run (or after it gave up): the browser's language,
        # which needs no database.
        with translation.override(translation.get_language_from_request(request)):
            html = render_to_string(
                "security/database_unavailable.html", {"retry_after": seconds}, request=None
            )
        response = HttpResponse(html, status=503)
    response["Retry-After"] = str(seconds)
    response["Cache-Control"] = "no-store"
    return response


def outage_api_response():
    """The API exception handler's answer (a DRF Response keeps the negotiated renderer)."""
    return Response(
        {"detail": API_DETAIL},
        status=503,
        headers={"Retry-After": str(retry_after()), "Cache-Control": "no-store"},
    )


class DatabaseOutageMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception):
        if is_database_outage(exception):
            return outage_response(request)
        return None


def server_error(request: HttpRequest, *args, **kwargs) -> HttpResponse:
    """``handler500``: an outage raised outside a view is a 503 too; anything else is Django's
    500 page."""
    if is_database_outage(sys.exc_info()[1]):
        return outage_response(request)
    return defaults.server_error(request, *args, **kwargs)
