"""Write the seed's high-volume tables as plain tuples, without building model instances.

Model instances through ``bulk_create`` cost two thirds of ``seed_demo``'s time
(docs/PERFORMANCE.md, finding 5). A row here is a ``NamedTuple`` named after the model's
attributes, converted per value and written with ``executemany`` or, on PostgreSQL, ``COPY``.
No signals, no audit rows: for the demo seed only, inside its transaction.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from typing import Any, NamedTuple

from django.conf import settings
from django.db import connection, models
from django.db.models.fields import AutoFieldMixin

Converter = Callable[[Any], Any]


class RowTable:
    """The insert of ``model``'s rows given as ``row_type`` tuples: columns the row lacks get
    their field's default, and one with neither is refused here, not half way through a seed."""

    def __init__(self, model: type[models.Model], row_type: type[NamedTuple]) -> None:
        self.model = model
        self.row_type = row_type
        by_attname = {f.attname: f for f in model._meta.concrete_fields}
        unknown = [name for name in row_type._fields if name not in by_attname]
        if unknown:
            raise ValueError(f"{model.__name__} has no column(s) {', '.join(unknown)}")
        # The row's columns in the row's order (no reordering per row), then the defaults.
        self.fields: list[models.Field] = [by_attname[name] for name in row_type._fields]
        self._constants: list[Any] = []
        for field in model._meta.concrete_fields:
            if field.primary_key and isinstance(field, AutoFieldMixin):
                if field.attname in row_type._fields:
                    raise ValueError(f"{model.__name__}.{field.attname} is the database's to set")
                continue
            if field.attname in row_type._fields:
                continue
            auto = getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False)
            default = None if auto else field.get_default()
            if default is None and not field.null:
                raise ValueError(
                    f"{model.__name__}.{field.attname} needs a value: it has no default"
                )
            self.fields.append(field)
            self._constants.append(default)

    def insert(self, rows: Iterable[tuple]) -> int:
        """Insert ``rows`` in the caller's transaction; returns how many."""
        rows = list(rows)
        if not rows:
            return 0
        convert = self._row_converter()
        columns = ", ".join(connection.ops.quote_name(f.column) for f in self.fields)
        table = connection.ops.quote_name(self.model._meta.db_table)
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                # The psycopg cursor under Django's wrapper (COPY is its own protocol), with
                # its errors raised as Django's (IntegrityError and the rest).
                with (
                    connection.wrap_database_errors,
                    cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy,
                ):
                    for row in rows:
                        copy.write_row(convert(row))
            else:
                marks = ", ".join(["%s"] * len(self.fields))
                cursor.executemany(
                    f"INSERT INTO {table} ({columns}) VALUES ({marks})",
                    [convert(row) for row in rows],
                )
        return len(rows)

    def _row_converter(self) -> Callable[[tuple], Sequence[Any]]:
        """Row → values written; only columns needing a conversion are touched, defaults once."""
        width = len(self.row_type._fields)
        steps = [
            (index, convert)
            for index, field in enumerate(self.fields[:width])
            if (convert := _value_converter(field)) is not None
        ]
        constants = [
            value if value is None or (convert := _value_converter(field)) is None
            else convert(value)
            for field, value in zip(self.fields[width:], self._constants, strict=True)
        ]  # fmt: skip
        if not steps and not constants:
            return lambda row: row

        def row_values(row: tuple) -> list[Any]:
            values = list(row)
            for index, convert in steps:
                value = values[index]
                if value is not None:
                    values[index] = convert(value)
            values += constants
            return values

        return row_values


def _value_converter(field: models.Field) -> Converter | None:
    """What turns a Python value into the stored one for ``field``; None when nothing does."""
    if isinstance(field, models.JSONField):
        encoder = field.encoder
        return lambda value: json.dumps(value, cls=encoder)
    if connection.vendor == "postgresql":
        return None  # psycopg writes dates, aware datetimes, numbers and text as they are
    if isinstance(field, models.DateTimeField):
        if not settings.USE_TZ:
            return connection.ops.adapt_datetimefield_value
        zone = connection.timezone
        # What DatabaseOperations.adapt_datetimefield_value stores: naive, in the connection's
        # time zone (UTC unless DATABASES sets TIME_ZONE), as text.
        return lambda value: str(value.astimezone(zone).replace(tzinfo=None))
    if isinstance(field, models.DateField):
        return connection.ops.adapt_datefield_value
    if isinstance(field, models.DecimalField | models.UUIDField | models.TimeField):
        return lambda value: field.get_db_prep_save(value, connection)
    return None
