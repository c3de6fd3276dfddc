"""Input fields that take JSON types at their word.

DRF's stock fields are lenient (``"5"`` passes as an integer, ``1`` as a string, ``"yes"`` as a
boolean). The API promises that a value of the wrong JSON type is a 400, so its input
serializers use these strict variants.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.core.validators import URLValidator
from django.utils.translation import gettext, gettext_lazy
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from curriculum.kernel.access import scope
from curriculum.kernel.dates import EARLIEST_DATE, LATEST_DATE, in_accepted_span

# The one spelling of each, in ASCII digits only: ``\d`` and ``int()`` take any script's
# digits (Arabic-Indic ones too), and ISO 8601's other forms ("2200", week dates) are not ours.
DATE_PATTERN = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", re.ASCII)
TIME_PATTERN = re.compile(r"[0-9]{2}:[0-9]{2}(?::[0-9]{2})?", re.ASCII)
DATETIME_PATTERN = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]{1,6})?)?"
    r"(?:Z|[+-][0-9]{2}:[0-9]{2})?",
    re.ASCII,
)
# Far beyond any count the API takes, and small enough for every database's bigint.
INTEGER_LIMIT = 2**53


class StrictCharField(serializers.CharField):
    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictIntegerField(serializers.IntegerField):
    def to_internal_value(self, data: Any) -> int:
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        # Checked before DRF turns the number into text (which fails past 4300 digits).
        if data > INTEGER_LIMIT:
            self.fail("max_value", max_value=self.max_value or INTEGER_LIMIT)
        if data < -INTEGER_LIMIT:
            self.fail("min_value", min_value=self.min_value or -INTEGER_LIMIT)
        return super().to_internal_value(data)


class StrictBooleanField(serializers.BooleanField):
    def to_internal_value(self, data: Any) -> bool:
        if not isinstance(data, bool):
            self.fail("invalid", input=data)
        return data


class StrictChoiceField(serializers.ChoiceField):
    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid_choice", input=data)
        return super().to_internal_value(data)


class HttpUrlField(serializers.URLField):
    """An http(s) URL: no ``ftp:``, ``javascript:`` or ``file:``."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 500)
        super().__init__(**kwargs)
        self.validators.append(
            URLValidator(
                schemes=["http", "https"], message=gettext_lazy("Enter an http or https URL.")
            )
        )

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class BoundedDateField(serializers.DateField):
    def to_internal_value(self, data: Any) -> dt.date:
        if not isinstance(data, str) or not DATE_PATTERN.fullmatch(data):
            self.fail("invalid", format="YYYY-MM-DD")
        value = super().to_internal_value(data)
        if not in_accepted_span(value):
            raise serializers.ValidationError(
                gettext("Enter a date between %(earliest)s and %(latest)s.")
                % {"earliest": EARLIEST_DATE, "latest": LATEST_DATE}
            )
        return value


class BoundedDateTimeField(serializers.DateTimeField):
    def to_internal_value(self, data: Any) -> dt.datetime:
        if not isinstance(data, str) or not DATETIME_PATTERN.fullmatch(data):
            self.fail("invalid", format="YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z]")
        value = super().to_internal_value(data)
        if not in_accepted_span(value.date()):
            raise serializers.ValidationError(
                gettext("Enter an instant between %(earliest)s and %(latest)s.")
                % {"earliest": EARLIEST_DATE, "latest": LATEST_DATE}
            )
        return value


class StrictTimeField(serializers.TimeField):
    def to_internal_value(self, data: Any) -> dt.time:
        if not isinstance(data, str) or not TIME_PATTERN.fullmatch(data):
            self.fail("invalid", format="hh:mm[:ss]")
        return super().to_internal_value(data)


class ScopedPrimaryKeyField(serializers.PrimaryKeyRelatedField):
    """A reference by id to a row the caller can read; others are "does not exist" (400)."""

    def __init__(self, *, rule: Any = None, **kwargs: Any) -> None:
        self.rule = rule
        super().__init__(**kwargs)

    def get_queryset(self):
        queryset = super().get_queryset()
        request = self.context.get("request")
        if self.rule is not None and request is not None:
            queryset = scope(queryset, self.rule, request.user)
        return queryset

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("incorrect_type", data_type=type(data).__name__)
        # No row has such an id, and the database driver would overflow looking for it.
        if not 0 < data <= INTEGER_LIMIT:
            self.fail("does_not_exist", pk_value=data if abs(data) <= INTEGER_LIMIT else "…")
        return super().to_internal_value(data)


_ENUM_CLASSES: dict[tuple[bool, tuple[str, ...]], type] = {}


def enum_field(choices: Any, *, strict: bool = True, **kwargs: Any) -> serializers.ChoiceField:
    """A choice field whose schema is an inline ``enum`` of its values: models share field
    names with different words (``status``, ``kind``), which named enums would collide on."""
    values = tuple(
        str(choice[0] if isinstance(choice, list | tuple) else choice) for choice in choices
    )
    key = (strict, values)
    if key not in _ENUM_CLASSES:
        base = StrictChoiceField if strict else serializers.ChoiceField
        # In allOf, so drf-spectacular's enum hook leaves it inline.
        schema = {
            "allOf": [{"type": "string", "enum": list(values)}],
            "description": "One of: " + ", ".join(f"`{value}`" for value in values) + ".",
        }
        _ENUM_CLASSES[key] = extend_schema_field(schema)(
            type(f"Enum{len(_ENUM_CLASSES)}Field", (base,), {})
        )
    return _ENUM_CLASSES[key](choices=choices, **kwargs)


class FlatListField(serializers.ListField):
    """A list whose bad items are reported in the API's one error shape, ``{field:
    [messages]}``, each message naming the item (DRF would nest them by index)."""

    def run_child_validation(self, data: list) -> list:
        result, errors = [], []
        for position, item in enumerate(data, start=1):
            try:
                result.append(self.child.run_validation(item))
            except serializers.ValidationError as error:
                detail = error.detail if isinstance(error.detail, list) else [error.detail]
                errors.extend(
                    gettext("Item %(position)s: %(message)s")
                    % {"position": position, "message": message}
                    for message in detail
                )
        if errors:
            raise serializers.ValidationError(errors)
        return result
