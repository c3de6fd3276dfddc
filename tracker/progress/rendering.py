"""Stored report rows as a page: the rows' JSON text joined into the response unparsed.

A cohort progress page is mostly its stored rows (``snapshots``), kept as the very JSON text
DRF's ``JSONRenderer`` writes. ``StoredRows`` carries a page's texts and behaves as the list of
row dicts (parsed only if someone reads them: the browsable API, a test, ``?pace=``);
``StoredRowsJSONRenderer`` writes a paginated body whose ``results`` are ``StoredRows`` by
joining the texts, which is what keeps the page after a write inside figure 2 of
docs/PERFORMANCE.md. Imports DRF's renderer and nothing of Stride.
"""

from __future__ import annotations

import json
from collections import UserDict, UserList
from typing import Any

from rest_framework.renderers import JSONRenderer


class StoredRows(UserList):
    """Report rows given as their stored JSON texts (``texts``), parsed on first read."""

    def __init__(self, texts: list[str]) -> None:
        # UserList.__init__ would assign ``data``; the rows are parsed lazily instead.
        self.texts = list(texts)
        self._parsed: list[dict[str, Any]] | None = None

    @property
    def data(self) -> list[dict[str, Any]]:
        if self._parsed is None:
            self._parsed = [json.loads(text) for text in self.texts]
        return self._parsed

    @property
    def untouched(self) -> bool:
        """True while nobody has read (and so possibly changed) the parsed rows."""
        return self._parsed is None

    def tolist(self) -> list[dict[str, Any]]:
        """The parsed rows, for DRF's JSON encoder when the texts are not joined."""
        return self.data


def to_json(value: Any) -> str:
    """JSON text as DRF's ``JSONRenderer`` writes it with its default settings (compact, UTF-8,
    U+2028 and U+2029 escaped), so stored rows can be joined into a response as they are."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


class StoredRowsJSONRenderer(JSONRenderer):
    """``JSONRenderer`` that joins ``StoredRows`` results as text (compact output only; an
    indented answer parses them and renders as usual)."""

    def render(self, data, accepted_media_type=None, renderer_context=None):
        results = data.get("results") if isinstance(data, dict) else None
        if (
            not isinstance(results, StoredRows)
            or not results.untouched
            or self.get_indent(accepted_media_type or "", renderer_context or {})
        ):
            return super().render(data, accepted_media_type, renderer_context)
        # ``results`` is the last key of a paginated body: render the rest, then splice.
        head = super().render({**data, "results": []}, accepted_media_type, renderer_context)
        if not head.endswith(b"[]}"):
            return super().render(data, accepted_media_type, renderer_context)
        return head[:-3] + b"[" + ",".join(results.texts).encode() + b"]}"


class EncodedJSON(UserDict):
    """A whole answer already written as ``to_json`` writes it (``text``; the matrix: tens of
    thousands of cells, written without a dict per cell), behaving as the dict it encodes
    (parsed only if someone reads it: the browsable API, a test)."""

    def __init__(self, text: str) -> None:
        # UserDict.__init__ would assign ``data``; the answer is parsed lazily instead.
        self.text = text
        self._parsed: dict[str, Any] | None = None

    @property
    def data(self) -> dict[str, Any]:
        if self._parsed is None:
            self._parsed = json.loads(self.text)
        return self._parsed

    @property
    def untouched(self) -> bool:
        """True while nobody has read (and so possibly changed) the parsed answer."""
        return self._parsed is None


class EncodedJSONRenderer(JSONRenderer):
    """``JSONRenderer`` that sends an untouched ``EncodedJSON`` answer as its text (compact
    output only; an indented answer, the browsable API's, is parsed and rendered as usual)."""

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if isinstance(data, EncodedJSON):
            if data.untouched and not self.get_indent(
                accepted_media_type or "", renderer_context or {}
            ):
                return data.text.encode()
            data = data.data
        return super().render(data, accepted_media_type, renderer_context)
