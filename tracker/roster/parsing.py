"""Reading and checking a roster file, before anything is written.

The file has a header row ``email,first_name,last_name[,mentor_email]``. ``read_rows`` turns the
bytes into rows (or a ``RosterError`` for the whole file); ``check_rows`` finds what is wrong
with each row on its own (email shape and duplicates, names, the mentor's email shape), with
its line number (the header is line 1) and field. Standard library and Django's validators
only.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _

REQUIRED_COLUMNS = ("email", "first_name", "last_name")
OPTIONAL_COLUMNS = ("mentor_email",)
MAX_ROWS = 5000
NAME_MAX = 150
EMAIL_MAX = 254


class RosterError(Exception):
    """Why nothing was imported: ``{"rows": [{row, field, message}]}`` or ``{"file": [...]}``."""

    def __init__(self, *, rows: list[dict] | None = None, file: list[str] | None = None):
        self.rows = rows or []
        self.file = file or []
        super().__init__(self.as_dict())

    def as_dict(self) -> dict[str, Any]:
        return {"rows": self.rows} if self.rows else {"file": self.file}


@dataclass
class Row:
    line: int
    email: str
    first_name: str
    last_name: str
    mentor_email: str


def row_error(row: Row, field: str, message: str) -> dict[str, Any]:
    return {"row": row.line, "field": field, "message": message}


def _header(reader: Any) -> list[str]:
    try:
        header = [name.strip().lower() for name in next(reader)]
    except StopIteration:
        raise RosterError(file=[_("The file is empty.")]) from None
    except csv.Error as error:
        raise RosterError(
            file=[_("The file is not valid CSV: %(error)s.") % {"error": error}]
        ) from None
    missing = [name for name in REQUIRED_COLUMNS if name not in header]
    unknown = [name for name in header if name not in REQUIRED_COLUMNS + OPTIONAL_COLUMNS]
    if missing or unknown or len(set(header)) != len(header):
        raise RosterError(
            file=[
                _("The header must be email,first_name,last_name[,mentor_email]")
                + (_("; missing: %(names)s") % {"names": ", ".join(missing)} if missing else "")
                + (
                    _("; unknown: %(names)s") % {"names": ", ".join(n[:40] for n in unknown)}
                    if unknown
                    else ""
                )
                + "."
            ]
        )
    return header


def read_rows(content: bytes) -> list[Row]:
    """The file's rows, or a ``RosterError`` for the whole file or for each bad row."""
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise RosterError(file=[_("The file is not UTF-8 text.")]) from None
    if "\x00" in text:
        raise RosterError(file=[_("The file is not a CSV text file.")])
    reader = csv.reader(io.StringIO(text, newline=""))
    header = _header(reader)
    rows: list[Row] = []
    errors: list[dict] = []
    try:
        for values in reader:
            line = reader.line_num
            if not any(value.strip() for value in values):
                continue
            if len(values) != len(header):
                errors.append(
                    {
                        "row": line,
                        "field": "row",
                        "message": _("Expected %(expected)d values, found %(found)d.")
                        % {"expected": len(header), "found": len(values)},
                    }
                )
                continue
            cells = {name: value.strip() for name, value in zip(header, values, strict=True)}
            rows.append(
                Row(
                    line=line,
                    email=cells["email"],
                    first_name=cells["first_name"],
                    last_name=cells["last_name"],
                    mentor_email=cells.get("mentor_email", ""),
                )
            )
            if len(rows) > MAX_ROWS:
                raise RosterError(file=[_("At most %(rows)d rows per file.") % {"rows": MAX_ROWS}])
    except csv.Error as error:
        raise RosterError(
            file=[_("The file is not valid CSV: %(error)s.") % {"error": error}]
        ) from None
    if errors:
        raise RosterError(rows=errors)
    if not rows:
        raise RosterError(file=[_("The file has no learners.")])
    return rows


def check_rows(rows: list[Row]) -> list[dict]:
    """What is wrong with each row on its own, before any lookup: ``[{row, field, message}]``."""
    errors: list[dict] = []
    first_line: dict[str, int] = {}
    for row in rows:
        if not row.email:
            errors.append(row_error(row, "email", _("This field is required.")))
        elif len(row.email) > EMAIL_MAX:
            errors.append(
                row_error(row, "email", _("At most %(count)d characters.") % {"count": EMAIL_MAX})
            )
        else:
            try:
                validate_email(row.email)
            except ValidationError:
                errors.append(row_error(row, "email", _("Enter a valid email address.")))
            else:
                key = row.email.lower()
                if key in first_line:
                    errors.append(
                        row_error(
                            row, "email", _("Duplicate of row %(row)s.") % {"row": first_line[key]}
                        )
                    )
                else:
                    first_line[key] = row.line
        for name in ("first_name", "last_name"):
            value = getattr(row, name)
            if not value:
                errors.append(row_error(row, name, _("This field is required.")))
            elif len(value) > NAME_MAX:
                errors.append(
                    row_error(row, name, _("At most %(count)d characters.") % {"count": NAME_MAX})
                )
        if row.mentor_email:
            try:
                validate_email(row.mentor_email)
            except ValidationError:
                errors.append(row_error(row, "mentor_email", _("Enter a valid email address.")))
    return errors
