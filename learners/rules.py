"""Who may read and write enrollments, pauses, progress logs, submissions and help requests.

Scope (contract's role table): a learner reaches their own enrollments and everything under
them; a mentor reaches the enrollments currently paired with them (an active pairing to an
active mentor) and everything under those; staff reach everything. Mentor scope is a subquery
on ``Enrollment`` (``enrollment_id__in``), never a multi-valued join, so lists hold no
duplicates. The pairing lives in ``mentors`` above; it is reached here by string lookups.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db.models import Q, QuerySet

from curriculum.kernel import clock
from curriculum.kernel.access import NOTHING, AnyOf, IsStaff, Part, Rule, is_staff
from learners.models import Enrollment, ProgressLog


def log_edit_window() -> dt.timedelta:
    """How long after writing a log its learner may change or delete it."""
    return dt.timedelta(hours=settings.STRIDE_LOG_EDIT_WINDOW_HOURS)


def _authenticated(user: Any) -> bool:
    return bool(user and user.is_authenticated)


# The role ``mentors.roles.role_of`` caches on a user object (one request); read here by name,
# as the pairing is (``mentors`` is above this app).
_ROLE_ATTR = "_stride_role"


def may_mentor(user: Any) -> bool:
    """False only when the role already looked up for this user object (``role_of``: role-gated
    pages and the learner's pages ask it first) says they are no mentor: a
    learner's scoped reads then leave out the "enrollments I mentor" subquery, which costs more
    to build and compile (about 0.6 ms a read) than to run. Never a query of its own; when the
    role is not known yet, or is staff, the mentor branch stays in, as before."""
    role = getattr(user, _ROLE_ATTR, False)
    return role is False or role in ("mentor", "staff")


def mentored_enrollment_ids(user: Any) -> QuerySet[Enrollment]:
    """Ids of the enrollments ``user`` is currently the (active) mentor of, as a subquery."""
    return Enrollment.objects.filter(
        pairings__mentor__user_id=user.pk,
        pairings__ended_at__isnull=True,
        pairings__mentor__is_active=True,
    ).values("pk")


class OfEnrollment(Part):
    """The row hangs off an enrollment (along ``path``; "" when the row is the enrollment) whose
    learner is the user (``learner=True``) or whose current mentor is the user (``mentor=True``).

    The object check costs at most one query: the enrollment id is read from the row when the
    path is short, otherwise the row is tested by primary key.
    """

    def __init__(self, path: str = "enrollment", *, learner: bool = True, mentor: bool = True):
        self.path = path
        self.learner = learner
        self.mentor = mentor

    def _enrollment_q(self, user: Any) -> Q:
        """The condition on ``Enrollment`` rows."""
        result = NOTHING
        if self.learner:
            result |= Q(learner_id=user.pk)
        if self.mentor and may_mentor(user):
            result |= Q(pk__in=mentored_enrollment_ids(user))
        return result

    def q(self, user: Any) -> Q:
        if not _authenticated(user):
            return NOTHING
        result = NOTHING
        prefix = f"{self.path}__" if self.path else ""
        if self.learner:
            result |= Q(**{f"{prefix}learner_id": user.pk})
        if self.mentor and may_mentor(user):
            result |= Q(**{f"{self.path or 'pk'}__in": mentored_enrollment_ids(user)})
        return result

    def _enrollment_id(self, obj: Any) -> int | None:
        if not self.path:
            return obj.pk
        if self.path == "enrollment":
            return obj.enrollment_id
        return None

    def check(self, user: Any, obj: Any) -> bool:
        if not _authenticated(user):
            return False
        if self.learner and not self.path and obj.learner_id == user.pk:
            return True
        if self.learner and self.path == "enrollment":
            cached = obj._state.fields_cache.get("enrollment")
            if cached is not None and cached.learner_id == user.pk:
                return True
            if cached is not None and not self.mentor:
                return False
        enrollment_id = self._enrollment_id(obj)
        if enrollment_id is not None:
            return (
                Enrollment.objects.filter(pk=enrollment_id)
                .filter(self._enrollment_q(user))
                .exists()
            )
        if obj.pk is None:
            return False
        return type(obj)._default_manager.filter(self.q(user), pk=obj.pk).exists()


class EnrollmentRule(Rule):
    read = AnyOf(IsStaff(), OfEnrollment(""))


class PauseRule(Rule):
    read = AnyOf(IsStaff(), OfEnrollment("enrollment"))


class ProgressLogRule(Rule):
    """Learners write their own logs; edits and deletes only within the edit window."""

    read = AnyOf(IsStaff(), OfEnrollment("enrollment"))
    create = AnyOf(IsStaff(), OfEnrollment("enrollment", mentor=False))
    update = AnyOf(IsStaff(), OfEnrollment("enrollment", mentor=False))
    delete = update

    @staticmethod
    def within_edit_window(log: ProgressLog) -> bool:
        return log.created_at is not None and clock.now() - log.created_at <= log_edit_window()

    def can_update(self, user: Any, obj: ProgressLog) -> bool:
        if is_staff(user):
            return True
        return self.within_edit_window(obj) and super().can_update(user, obj)

    def can_delete(self, user: Any, obj: ProgressLog) -> bool:
        if is_staff(user):
            return True
        return self.within_edit_window(obj) and super().can_delete(user, obj)


class SubmissionRule(Rule):
    read = AnyOf(IsStaff(), OfEnrollment("enrollment"))
    create = AnyOf(IsStaff(), OfEnrollment("enrollment", mentor=False))


class DeploymentCheckRule(Rule):
    read = AnyOf(IsStaff(), OfEnrollment("submission__enrollment"))


class HelpRequestRule(Rule):
    read = AnyOf(IsStaff(), OfEnrollment("enrollment"))
    create = AnyOf(IsStaff(), OfEnrollment("enrollment", mentor=False))
    # Answering is an update: the learner's mentor or staff.
    update = AnyOf(IsStaff(), OfEnrollment("enrollment", learner=False))


class CertificateRule(Rule):
    """The learner, their current mentor and staff read a certificate (and its PDF); only staff
    revoke it (an update). Anyone may verify it by its code: that page reads no rule."""

    read = AnyOf(IsStaff(), OfEnrollment("enrollment"))


ENROLLMENT_RULE = EnrollmentRule()
PAUSE_RULE = PauseRule()
PROGRESS_LOG_RULE = ProgressLogRule()
SUBMISSION_RULE = SubmissionRule()
DEPLOYMENT_CHECK_RULE = DeploymentCheckRule()
HELP_REQUEST_RULE = HelpRequestRule()
CERTIFICATE_RULE = CertificateRule()
