"""Errors in the API's one shape: services speak Django, clients hear DRF.

A service raises ``django.core.exceptions.ValidationError`` (a dict of field → messages) or
``PermissionDenied``; the views let them through and this handler answers 400 ``{field:
[messages]}`` or 403. Oversized bodies answer 413; a database that cannot be reached answers
503 with ``Retry-After`` (``tracker.security.outage``).
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy
from rest_framework import exceptions, status
from rest_framework.views import exception_handler as drf_exception_handler

from tracker.security.outage import is_database_outage, outage_api_response


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = gettext_lazy("The upload is larger than allowed.")
    default_code = "payload_too_large"


def django_errors_as_dict(exc: DjangoValidationError) -> dict[str, list[str]]:
    if hasattr(exc, "error_dict"):
        return {
            ("non_field_errors" if field == "__all__" else field): messages
            for field, messages in exc.message_dict.items()
        }
    return {"non_field_errors": exc.messages}


def api_exception_handler(exc: Exception, context: dict[str, Any]):
    if is_database_outage(exc):
        return outage_api_response()
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(django_errors_as_dict(exc))
    elif isinstance(exc, RequestDataTooBig):
        exc = PayloadTooLarge()
    return drf_exception_handler(exc, context)
