"""``roster_import``: a CSV of learners into a cohort, all rows or none.

Each data row enrolls the learner with that email (creating the account when none exists, with
an unusable password and an invitation to set one) and, when ``mentor_email`` is given, pairs
them with that mentor. A learner already enrolled in the cohort is skipped and reported, so
uploading the same file twice changes nothing. Any bad row (invalid or duplicate email, unknown
mentor, a mentor at capacity, ...) rolls the whole import back and is reported with its line
number (the header is line 1) and field.

Everything happens in one transaction, invitations included: they are notification rows of
kind ``invitation`` (``tracker.notifications.invitations``), so no email leaves during the
request; the outbox's delivery tasks send each one, exactly once, after the commit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models.functions import Lower
from django.utils.translation import gettext as _

from curriculum.kernel.access import is_staff
from curriculum.models import Cohort
from learners.models import Enrollment
from learners.services import enrollments_create
from mentors.models import Mentor
from mentors.services import pairing_assign
from tracker.notifications.invitations import invitations_create
from tracker.progress import refreshed_together

from .parsing import RosterError, Row, check_rows, read_rows, row_error


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


def _username_for(email: str, taken: set[str]) -> str:
    base = re.sub(r"[^\w.@+-]", "", email.split("@", 1)[0])[:140] or "learner"
    candidate, suffix = base, 1
    while candidate.lower() in taken:
        suffix += 1
        candidate = f"{base}{suffix}"
    taken.add(candidate.lower())
    return candidate


def _by_email(rows: list[Row]) -> tuple[dict[str, list[Any]], dict[str, list[Mentor]]]:
    """Existing users and mentors named by the file, by lower-cased email (one query each)."""
    emails = {row.email.lower() for row in rows}
    mentor_emails = {row.mentor_email.lower() for row in rows if row.mentor_email}
    users: dict[str, list[Any]] = {}
    for user in (
        get_user_model().objects.annotate(email_key=Lower("email")).filter(email_key__in=emails)
    ):
        users.setdefault(user.email.lower(), []).append(user)
    mentors: dict[str, list[Mentor]] = {}
    if mentor_emails:
        for mentor in (
            Mentor.objects.select_related("user")
            .annotate(email_key=Lower("user__email"))
            .filter(email_key__in=mentor_emails)
        ):
            mentors.setdefault(mentor.user.email.lower(), []).append(mentor)
    return users, mentors


class _Import:
    """One import's state: the lookups made once, the plan per row, the result, the errors."""

    def __init__(self, *, actor: Any, cohort: Cohort, rows: list[Row]) -> None:
        self.actor = actor
        self.cohort = cohort
        self.users_by_email, self.mentors_by_email = _by_email(rows)
        self.enrolled_ids = set(
            Enrollment.objects.filter(cohort=cohort).values_list("learner_id", flat=True)
        )
        self.taken = {
            name.lower() for name in get_user_model().objects.values_list("username", flat=True)
        }
        self.result = RosterResult()
        self.errors: list[dict] = []
        self.new_learners: list[Any] = []
        # (row, learner, mentor or None) for every row to enroll, in file order.
        self.planned: list[tuple[Row, Any, Mentor | None]] = []

    def mentor_for(self, row: Row) -> Mentor | None:
        found = self.mentors_by_email.get(row.mentor_email.lower(), [])
        if len(found) != 1:
            message = (
                _("No mentor has this email.")
                if not found
                else _("Several mentors share this email.")
            )
            self.errors.append(row_error(row, "mentor_email", message))
            return None
        return found[0]

    def new_learner(self, row: Row) -> Any | None:
        """The account for ``row``, checked but not saved yet (all are inserted together)."""
        learner = get_user_model()(
            username=_username_for(row.email, self.taken),
            email=row.email,
            first_name=row.first_name,
            last_name=row.last_name,
        )
        learner.set_unusable_password()
        try:
            # The username is unique already: ``taken`` holds every existing one.
            learner.full_clean(validate_unique=False)
        except ValidationError as error:
            for name, messages in error.message_dict.items():
                self.errors.append(row_error(row, name, "; ".join(messages)))
            return None
        self.new_learners.append(learner)
        self.result.created.append(row.email)
        return learner

    def plan(self, row: Row) -> None:
        mentor = None
        if row.mentor_email:
            mentor = self.mentor_for(row)
            if mentor is None:
                return
        existing = self.users_by_email.get(row.email.lower(), [])
        if len(existing) > 1:
            self.errors.append(row_error(row, "email", _("Several users share this email.")))
            return
        if existing:
            learner = existing[0]
            if learner.pk in self.enrolled_ids:
                self.result.skipped.append(
                    {"row": row.line, "email": row.email, "reason": "already enrolled"}
                )
                return
            self.enrolled_ids.add(learner.pk)
        else:
            learner = self.new_learner(row)
            if learner is None:
                return
        self.planned.append((row, learner, mentor))

    def write(self) -> None:
        """Insert the new accounts and the enrollments (one statement each, in batches), then
        pair row by row (each pairing checks its mentor's seats). Runs even when some rows
        failed to plan, so that every pairing error is reported too; the caller rolls back."""
        if not self.planned:
            return
        get_user_model().objects.bulk_create(self.new_learners, batch_size=500)
        learners = [learner for _row, learner, _mentor in self.planned]
        try:
            enrollments = enrollments_create(
                actor=self.actor, cohort=self.cohort, learners=learners
            )
        except ValidationError as error:
            self.errors.append(row_error(self.planned[0][0], "email", "; ".join(error.messages)))
            return
        for (row, _learner, mentor), enrollment in zip(self.planned, enrollments, strict=True):
            if mentor is not None:
                try:
                    with transaction.atomic():
                        pairing_assign(actor=self.actor, enrollment=enrollment, mentor=mentor)
                except ValidationError as error:
                    error_fields = getattr(error, "error_dict", {})
                    field_name = "mentor_email" if "mentor" in error_fields else "email"
                    self.errors.append(row_error(row, field_name, "; ".join(error.messages)))
                    continue
                self.result.paired.append(row.email)
            self.result.enrolled.append(row.email)


def roster_import(*, actor: Any, cohort: Cohort, content: bytes) -> RosterResult:
    """Import the CSV ``content`` into ``cohort`` (staff only); see the module docstring.

    Raises ``PermissionDenied`` for non-staff and ``RosterError`` (nothing written) for a bad
    file or any bad row.
    """
    if not is_staff(actor):
        raise PermissionDenied(_("Only staff import rosters."))
    rows = read_rows(content)
    errors = check_rows(rows)
    if errors:
        raise RosterError(rows=errors)
    # One refresh of the new learners' progress rows after the commit, not one per row.
    with transaction.atomic(), refreshed_together():
        run = _Import(actor=actor, cohort=cohort, rows=rows)
        for row in rows:
            run.plan(row)
        run.write()
        if run.errors:
            # Everything written above is undone: all rows or none.
            transaction.set_rollback(True)
        else:
            invitations_create(users=run.new_learners, cohort=cohort, invited_by=actor)
    if run.errors:
        raise RosterError(rows=run.errors)
    return run.result
