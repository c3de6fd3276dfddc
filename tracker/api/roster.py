"""Roster import: a CSV of learners into a cohort, all rows or none.

The file has a header row ``email,first_name,last_name[,mentor_email]``. Each data row enrolls
the learner with that email (creating the account when none exists, with an unusable password
and an invitation to set one) and, when ``mentor_email`` is given, pairs them with that mentor.
A learner already enrolled in the cohort is skipped and reported, so uploading the same file
twice changes nothing. Any bad row (invalid or duplicate email, unknown mentor, a mentor at
capacity, ...) rolls the whole import back and is reported with its line number (the header is
line 1) and field.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import transaction
from django.db.models.functions import Lower
from django.urls import NoReverseMatch, reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from curriculum.kernel.access import is_staff
from curriculum.models import Cohort
from learners.models import Enrollment
from learners.services import enrollment_create
from mentors.models import Mentor
from mentors.services import pairing_assign

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
class RosterResult:
    created: list[str] = field(default_factory=list)
    enrolled: list[str] = field(default_factory=list)
    paired: list[str] = field(default_factory=list)
    skipped: list[dict] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "created": len(self.created),
            "enrolled": len(self.enrolled),
            "paired": len(self.paired),
            "skipped": self.skipped,
        }


@dataclass
class _Row:
    line: int
    email: str
    first_name: str
    last_name: str
    mentor_email: str


def read_rows(content: bytes) -> list[_Row]:
    """The file's rows, or a ``RosterError`` for the whole file or for each bad row."""
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise RosterError(file=["The file is not UTF-8 text."]) from None
    if "\x00" in text:
        raise RosterError(file=["The file is not a CSV text file."])
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [name.strip().lower() for name in next(reader)]
    except StopIteration:
        raise RosterError(file=["The file is empty."]) from None
    except csv.Error as error:
        raise RosterError(file=[f"The file is not valid CSV: {error}."]) from None
    missing = [name for name in REQUIRED_COLUMNS if name not in header]
    unknown = [name for name in header if name not in REQUIRED_COLUMNS + OPTIONAL_COLUMNS]
    if missing or unknown or len(set(header)) != len(header):
        raise RosterError(
            file=[
                "The header must be email,first_name,last_name[,mentor_email]"
                + (f"; missing: {', '.join(missing)}" if missing else "")
                + (f"; unknown: {', '.join(n[:40] for n in unknown)}" if unknown else "")
                + "."
            ]
        )
    rows: list[_Row] = []
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
                        "message": f"Expected {len(header)} values, found {len(values)}.",
                    }
                )
                continue
            cells = {name: value.strip() for name, value in zip(header, values, strict=True)}
            rows.append(
                _Row(
                    line=line,
                    email=cells["email"],
                    first_name=cells["first_name"],
                    last_name=cells["last_name"],
                    mentor_email=cells.get("mentor_email", ""),
                )
            )
            if len(rows) > MAX_ROWS:
                raise RosterError(file=[f"At most {MAX_ROWS} rows per file."])
    except csv.Error as error:
        raise RosterError(file=[f"The file is not valid CSV: {error}."]) from None
    if errors:
        raise RosterError(rows=errors)
    if not rows:
        raise RosterError(file=["The file has no learners."])
    return rows


def _check_rows(rows: list[_Row]) -> list[dict]:
    errors: list[dict] = []
    first_line: dict[str, int] = {}

    def add(row: _Row, name: str, message: str) -> None:
        errors.append({"row": row.line, "field": name, "message": message})

    for row in rows:
        if not row.email:
            add(row, "email", "This field is required.")
        elif len(row.email) > EMAIL_MAX:
            add(row, "email", f"At most {EMAIL_MAX} characters.")
        else:
            try:
                validate_email(row.email)
            except ValidationError:
                add(row, "email", "Enter a valid email address.")
            else:
                key = row.email.lower()
                if key in first_line:
                    add(row, "email", f"Duplicate of row {first_line[key]}.")
                else:
                    first_line[key] = row.line
        for name in ("first_name", "last_name"):
            value = getattr(row, name)
            if not value:
                add(row, name, "This field is required.")
            elif len(value) > NAME_MAX:
                add(row, name, f"At most {NAME_MAX} characters.")
        if row.mentor_email:
            try:
                validate_email(row.mentor_email)
            except ValidationError:
                add(row, "mentor_email", "Enter a valid email address.")
    return errors


def _username_for(email: str, taken: set[str]) -> str:
    base = re.sub(r"[^\w.@+-]", "", email.split("@", 1)[0])[:140] or "learner"
    candidate, suffix = base, 1
    while candidate.lower() in taken:
        suffix += 1
        candidate = f"{base}{suffix}"
    taken.add(candidate.lower())
    return candidate


def invitation_link(user: Any) -> str:
    uidb64 = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    try:
        path = reverse("password_reset_confirm", kwargs={"uidb64": uidb64, "token": token})
    except NoReverseMatch:
        path = f"/reset/{uidb64}/{token}/"
    return f"{settings.STRIDE_BASE_URL}{path}"


def _send_invitation(user_id: int, cohort_name: str) -> None:
    user = get_user_model().objects.get(pk=user_id)
    send_mail(
        subject=f"You are invited to {cohort_name} on Stride",
        message=(
            f"Hello {user.first_name or user.get_username()},\n\n"
            f"You have been enrolled in {cohort_name}. Choose your password here to sign in:\n\n"
            f"{invitation_link(user)}\n\n"
            f"Your username is {user.get_username()}.\n"
        ),
        from_email=None,
        recipient_list=[user.email],
    )


def _message(error: ValidationError) -> str:
    return "; ".join(error.messages)


def roster_import(*, actor: Any, cohort: Cohort, content: bytes) -> RosterResult:
    """Import the CSV ``content`` into ``cohort`` (staff only); see the module docstring."""
    if not is_staff(actor):
        raise PermissionDenied("Only staff import rosters.")
    rows = read_rows(content)
    errors = _check_rows(rows)
    if errors:
        raise RosterError(rows=errors)

    User = get_user_model()
    emails = {row.email.lower() for row in rows}
    mentor_emails = {row.mentor_email.lower() for row in rows if row.mentor_email}
    users_by_email: dict[str, list[Any]] = {}
    for user in User.objects.annotate(email_key=Lower("email")).filter(email_key__in=emails):
        users_by_email.setdefault(user.email.lower(), []).append(user)
    mentors_by_email: dict[str, list[Mentor]] = {}
    if mentor_emails:
        for mentor in (
            Mentor.objects.select_related("user")
            .annotate(email_key=Lower("user__email"))
            .filter(email_key__in=mentor_emails)
        ):
            mentors_by_email.setdefault(mentor.user.email.lower(), []).append(mentor)
    enrolled_ids = set(
        Enrollment.objects.filter(cohort=cohort).values_list("learner_id", flat=True)
    )

    result = RosterResult()
    invitations: list[int] = []
    with transaction.atomic():
        taken = {name.lower() for name in User.objects.values_list("username", flat=True)}
        for row in rows:
            row_errors_before = len(errors)
            mentor = None
            if row.mentor_email:
                found = mentors_by_email.get(row.mentor_email.lower(), [])
                if len(found) != 1:
                    errors.append(
                        {
                            "row": row.line,
                            "field": "mentor_email",
                            "message": "No mentor has this email."
                            if not found
                            else "Several mentors share this email.",
                        }
                    )
                    continue
                mentor = found[0]
            existing = users_by_email.get(row.email.lower(), [])
            if len(existing) > 1:
                errors.append(
                    {
                        "row": row.line,
                        "field": "email",
                        "message": "Several users share this email.",
                    }
                )
                continue
            if existing:
                learner = existing[0]
                if learner.pk in enrolled_ids:
                    result.skipped.append(
                        {"row": row.line, "email": row.email, "reason": "already enrolled"}
                    )
                    continue
            else:
                learner = User(
                    username=_username_for(row.email, taken),
                    email=row.email,
                    first_name=row.first_name,
                    last_name=row.last_name,
                )
                learner.set_unusable_password()
                try:
                    learner.full_clean()
                except ValidationError as error:
                    for name, messages in error.message_dict.items():
                        errors.append(
                            {"row": row.line, "field": name, "message": "; ".join(messages)}
                        )
                    continue
                learner.save()
                invitations.append(learner.pk)
                result.created.append(row.email)
            try:
                with transaction.atomic():
                    enrollment = enrollment_create(actor=actor, cohort=cohort, learner=learner)
                    if mentor is not None:
                        pairing_assign(actor=actor, enrollment=enrollment, mentor=mentor)
                        result.paired.append(row.email)
            except ValidationError as error:
                field_name = (
                    "mentor_email" if "mentor" in getattr(error, "error_dict", {}) else ("email")
                )
                errors.append({"row": row.line, "field": field_name, "message": _message(error)})
                continue
            if len(errors) == row_errors_before:
                enrolled_ids.add(learner.pk)
                result.enrolled.append(row.email)
        if errors:
            # Everything written above is undone: all rows or none.
            transaction.set_rollback(True)
        else:
            for user_id in invitations:
                transaction.on_commit(
                    lambda user_id=user_id: _send_invitation(user_id, cohort.name)
                )
    if errors:
        raise RosterError(rows=errors)
    return result
