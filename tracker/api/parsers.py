"""The API's JSON parser: a bounded body, UTF-8, finite numbers and shallow nesting.

DRF's stock parser reads a body of any size, lets ``1e999`` through as infinity, and answers
a 500 when nesting is deep enough to exhaust Python's recursion. Here each of those is the
client's mistake: 413 for an oversized body, 400 otherwise. A bad value inside a field of the
top-level object is reported under that field, like every other bad value.
"""

from __future__ import annotations

import json
import math
from typing import Any

from django.conf import settings
from django.utils.translation import gettext
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

from tracker.api.exceptions import PayloadTooLarge

# No write takes anything deeper than a list of objects (a rubric): this is generous.
MAX_DEPTH = 16
# Used when DATA_UPLOAD_MAX_MEMORY_SIZE is switched off (None).
DEFAULT_MAX_BYTES = 2_621_440


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number.")


def _problem(value: Any) -> str | None:
    """What is wrong with a parsed value (too deep, a non-finite number), or None."""
    pending = [(value, 1)]
    while pending:
        node, depth = pending.pop()
        if depth > MAX_DEPTH:
            return gettext("Nested too deeply (at most %(depth)s levels).") % {"depth": MAX_DEPTH}
        if isinstance(node, dict):
            pending.extend((child, depth + 1) for child in node.values())
        elif isinstance(node, list):
            pending.extend((child, depth + 1) for child in node)
        elif isinstance(node, float) and not math.isfinite(node):
            return gettext("Numbers must be finite.")
    return None


class StrictJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None) -> Any:
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE or DEFAULT_MAX_BYTES
        raw = stream.read(limit + 1) if stream is not None else b""
        if len(raw) > limit:
            raise PayloadTooLarge(
                gettext("The request body is larger than %(limit)s bytes.") % {"limit": limit}
            )
        try:
            data = json.loads(raw.decode("utf-8"), parse_constant=_refuse_constant)
        except (ValueError, UnicodeDecodeError) as exc:
            raise ParseError(gettext("JSON parse error - %(error)s") % {"error": exc}) from None
        except RecursionError:
            raise ParseError(
                gettext("Nested too deeply (at most %(depth)s levels).") % {"depth": MAX_DEPTH}
            ) from None
        if isinstance(data, dict):
            errors = {key: [message] for key, value in data.items() if (message := _problem(value))}
            if errors:
                raise ParseError(errors)
        elif message := _problem(data):
            raise ParseError(message)
        return data
