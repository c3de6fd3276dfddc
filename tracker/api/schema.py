"""drf-spectacular's inspector with the API's error answers on every operation.

Each operation documents what it can really answer besides success: 401 (no credentials),
403 (the role may not), 404 (out of scope, unknown id, or a page past the end), 400 (bad
body or query parameters), 415 (a body in another media type) and 429 (throttled). Views add
what is specific to them (413 on uploads) themselves.
"""

from __future__ import annotations

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiResponse

from tracker.api.serializers import VALIDATION_ERROR_SCHEMA, ErrorDetailSerializer

UNAUTHENTICATED = OpenApiResponse(ErrorDetailSerializer, description="No or invalid credentials.")
FORBIDDEN = OpenApiResponse(ErrorDetailSerializer, description="The caller's role may not do this.")
NOT_FOUND = OpenApiResponse(
    ErrorDetailSerializer, description="Unknown, or outside the caller's scope."
)
BAD_REQUEST = OpenApiResponse(VALIDATION_ERROR_SCHEMA, description="Invalid input; nothing saved.")
UNSUPPORTED = OpenApiResponse(
    ErrorDetailSerializer, description="The body is not in a media type this operation reads."
)
THROTTLED = OpenApiResponse(
    ErrorDetailSerializer, description="Too many requests; retry after `Retry-After` seconds."
)


class StrideAutoSchema(AutoSchema):
    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        extra: dict[str, OpenApiResponse] = {"400": BAD_REQUEST, "429": THROTTLED}
        if self.method in ("POST", "PUT", "PATCH"):
            extra["415"] = UNSUPPORTED
        if self.view.permission_classes:  # an open view (token sign-in) never answers these
            extra["401"] = UNAUTHENTICATED
            extra["403"] = FORBIDDEN
            extra["404"] = NOT_FOUND
        for code, response in extra.items():
            if code not in responses:
                responses[code] = self._get_response_for_code(response, code)
        return responses
