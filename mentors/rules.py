"""Who may read and write mentors, pairings, sessions and reviews.

Scope (contract's role table): staff reach everything. A mentor reaches their own profile and,
for the enrollments currently paired with them, the pairings (history included), sessions and
reviews. A learner reaches their own pairings, sessions and reviews, and the profile of their
current mentor. Mentors write sessions and reviews of their current learners only; pairings and
mentor profiles (capacity, activity) are staff's, except that mentors may edit their own
profile's descriptive fields (checked in the service).
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q
from django.utils.translation import gettext as _

from curriculum.kernel.access import NOTHING, AnyOf, IsOwn, IsStaff, Part, Rule
from learners.models import Submission
from learners.rules import OfEnrollment
from mentors.models import Pairing


def _authenticated(user: Any) -> bool:
    return bool(user and user.is_authenticated)


class MentorOfOwnEnrollment(Part):
    """The mentor profile of one of the user's current (active) pairings."""

    def q(self, user: Any) -> Q:
        if not _authenticated(user):
            return NOTHING
        mentor_ids = Pairing.objects.filter(
            ended_at__isnull=True, enrollment__learner_id=user.pk
        ).values("mentor_id")
        return Q(pk__in=mentor_ids)

    def check(self, user: Any, obj: Any) -> bool:
        if not _authenticated(user):
            return False
        return Pairing.objects.filter(
            ended_at__isnull=True, enrollment__learner_id=user.pk, mentor_id=obj.pk
        ).exists()


class MentorRule(Rule):
    read = AnyOf(IsStaff(), IsOwn("user"), MentorOfOwnEnrollment())
    # A mentor edits the descriptive fields of their own profile; the service limits which.
    update = AnyOf(IsStaff(), IsOwn("user"))


class PairingRule(Rule):
    read = AnyOf(IsStaff(), OfEnrollment("enrollment"))


class MentorSessionRule(Rule):
    read = AnyOf(IsStaff(), OfEnrollment("enrollment"))
    create = AnyOf(IsStaff(), OfEnrollment("enrollment", learner=False))
    update = AnyOf(IsStaff(), OfEnrollment("enrollment", learner=False))


class ReviewRule(Rule):
    read = AnyOf(IsStaff(), OfEnrollment("submission__enrollment"))
    create = AnyOf(IsStaff(), OfEnrollment("submission__enrollment", learner=False))


# Reviewing is decided on the submission before the review exists.
SUBMISSION_REVIEWER = AnyOf(IsStaff(), OfEnrollment("enrollment", learner=False))


def can_review(user: Any, submission: Submission) -> bool:
    """Staff, or the current mentor of the submission's learner (0 or 1 query)."""
    return SUBMISSION_REVIEWER.check(user, submission)


def review_closed(submission: Submission, *, latest_version: int | None, reviewed: bool) -> str:
    """Why this version of a submission takes no review, or "" when it does: only the latest
    version is reviewed, and only once."""
    if latest_version != submission.version:
        return _("Only the latest version (v%(version)s) can be reviewed.") % {
            "version": latest_version
        }
    return _("This version has already been reviewed.") if reviewed else ""


MENTOR_RULE = MentorRule()
PAIRING_RULE = PairingRule()
MENTOR_SESSION_RULE = MentorSessionRule()
SESSION_RULE = MENTOR_SESSION_RULE
REVIEW_RULE = ReviewRule()
