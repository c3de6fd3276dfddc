"""Writes of the mentors' side: mentors, pairings (capacity-safe), sessions and reviews.

Same shape as the other apps' services: keyword-only, actor first, one transaction,
``full_clean()``, ``ValidationError({field: [messages]})`` with nothing written, and
``PermissionDenied`` for a role that may not write. Events leave through ``mentors.signals``
on commit.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, ngettext

from curriculum.kernel import clock
from curriculum.kernel.access import is_staff
from curriculum.kernel.signals import progress_inputs_change
from curriculum.models import RubricCriterion
from curriculum.services import (
    Errors,
    add_error,
    raise_if,
    reject_unknown_fields,
    require_staff,
    validate_instance,
)
from learners.models import Enrollment, Submission
from mentors import payouts, signals
from mentors.booking import cancel_future_sessions, lock_for_session, overlap_error
from mentors.models import Mentor, MentorSession, Pairing, Review
from mentors.roles import forget_role
from mentors.rules import MENTOR_RULE, MENTOR_SESSION_RULE, can_review, review_closed

MAX_EXPERTISE_TAG = 50


def _clean_expertise(expertise: Any, errors: Errors) -> list[str]:
    """Tags trimmed, lower-cased and de-duplicated, order kept."""
    if isinstance(expertise, str) or not isinstance(expertise, Iterable):
        add_error(errors, "expertise", _("Expertise is a list of tags."))
        return []
    tags: list[str] = []
    for tag in expertise:
        if not isinstance(tag, str) or not tag.strip():
            add_error(errors, "expertise", _("Each expertise tag is a non-empty text."))
            continue
        tag = " ".join(tag.split()).lower()
        if len(tag) > MAX_EXPERTISE_TAG:
            add_error(
                errors,
                "expertise",
                _("“%(tag)s…” is longer than 50 characters.") % {"tag": tag[:20]},
            )
            continue
        if tag not in tags:
            tags.append(tag)
    return tags


def active_pairing_count(mentor: Mentor) -> int:
    return Pairing.objects.filter(mentor=mentor, ended_at__isnull=True).count()


# --- Mentors ----------------------------------------------------------------------------------


@transaction.atomic
def mentor_create(
    *,
    actor: Any,
    user: Any,
    capacity: int,
    expertise: Iterable[str] = (),
    timezone: str = "UTC",
    bio: str = "",
    meeting_url: str = "",
) -> Mentor:
    require_staff(actor, _("add mentors"))
    errors: Errors = {}
    tags = _clean_expertise(expertise, errors)
    mentor = Mentor(
        user=user,
        capacity=capacity,
        expertise=tags,
        timezone=timezone,
        bio=bio,
        meeting_url=meeting_url,
    )
    validate_instance(mentor, errors)
    raise_if(errors)
    mentor.save()
    forget_role(user)
    return mentor


# A mentor may edit these on their own profile; staff may edit every field.
MENTOR_SELF_FIELDS = {"expertise", "timezone", "bio", "meeting_url"}
MENTOR_STAFF_FIELDS = MENTOR_SELF_FIELDS | {"capacity", "is_active"}


@transaction.atomic
def mentor_update(*, actor: Any, mentor: Mentor, **fields: Any) -> Mentor:
    """Staff change anything; a mentor changes their own expertise, time zone and bio. Capacity
    may not drop below the mentor's current number of learners."""
    if not MENTOR_RULE.can_update(actor, mentor):
        raise PermissionDenied(_("Only staff or the mentor may change this profile."))
    reject_unknown_fields(fields, MENTOR_STAFF_FIELDS)
    if not is_staff(actor) and set(fields) - MENTOR_SELF_FIELDS:
        raise PermissionDenied(_("Only staff may change a mentor's capacity or activity."))
    locked = Mentor.objects.select_for_update(no_key=True).get(pk=mentor.pk)
    errors: Errors = {}
    if "expertise" in fields:
        fields["expertise"] = _clean_expertise(fields["expertise"], errors)
    for name, value in fields.items():
        setattr(locked, name, value)
    validate_instance(locked, errors)
    if "capacity" in fields and "capacity" not in errors:
        paired = active_pairing_count(locked)
        if locked.capacity < paired:
            add_error(
                errors,
                "capacity",
                ngettext(
                    "%(n)s learner is paired with this mentor; capacity cannot go below that.",
                    "%(n)s learners are paired with this mentor; capacity cannot go below that.",
                    paired,
                )
                % {"n": paired},
            )
    raise_if(errors)
    locked.save()
    mentor.refresh_from_db()
    forget_role(locked.user)
    return locked


# --- Pairings ---------------------------------------------------------------------------------


@transaction.atomic
def pairing_assign(*, actor: Any, enrollment: Enrollment, mentor: Mentor) -> Pairing:
    """Make ``mentor`` the active mentor of ``enrollment``, ending the old pairing (kept as
    history). The enrollment and then the mentor row are locked, so two assignments racing for
    a mentor's last seat give one pairing and one capacity error."""
    require_staff(actor, _("pair learners with mentors"))
    # Lock order everywhere: enrollment, then mentor (no cycles, no deadlocks).
    locked_enrollment = Enrollment.objects.select_for_update(no_key=True).get(pk=enrollment.pk)
    locked_mentor = (
        Mentor.objects.select_for_update(no_key=True, of=("self",))
        .select_related("user")
        .get(pk=mentor.pk)
    )
    errors: Errors = {}
    if locked_enrollment.status not in Enrollment.OPEN_STATUSES:
        add_error(
            errors,
            "enrollment",
            _("The enrollment is %(status)s.")
            % {"status": locked_enrollment.get_status_display().lower()},
        )
    current = Pairing.objects.filter(enrollment=locked_enrollment, ended_at__isnull=True).first()
    if not locked_mentor.is_active:
        add_error(
            errors, "mentor", _("%(mentor)s is not an active mentor.") % {"mentor": locked_mentor}
        )
    elif current is not None and current.mentor_id == locked_mentor.pk:
        add_error(
            errors,
            "mentor",
            _("%(mentor)s is already this learner's mentor.") % {"mentor": locked_mentor},
        )
    else:
        paired = active_pairing_count(locked_mentor)
        if paired >= locked_mentor.capacity:
            add_error(
                errors,
                "mentor",
                _("%(mentor)s is at capacity (%(paired)s/%(capacity)s).")
                % {"mentor": locked_mentor, "paired": paired, "capacity": locked_mentor.capacity},
            )
    raise_if(errors)
    now = clock.now()
    if current is not None:
        current.ended_at = now
        current.end_reason = "Re-paired"
        current.save(update_fields=["ended_at", "end_reason"])
        cancel_future_sessions(
            pairing_id=current.pk, reason=gettext_noop("The learner has a new mentor.")
        )
        signals.send_on_commit(signals.pairing_changed, Pairing, pairing_id=current.pk)
    pairing = Pairing(
        enrollment=locked_enrollment, mentor=locked_mentor, started_at=now, created_by=actor
    )
    raise_if(validate_instance(pairing, validate_constraints=False))
    try:
        with transaction.atomic():
            pairing.save()
    except IntegrityError as error:  # the partial unique index: one active pairing
        raise ValidationError(
            {"enrollment": [_("The enrollment was paired at the same time; try again.")]}
        ) from error
    progress_inputs_change(enrollment_ids=[locked_enrollment.pk])
    signals.send_on_commit(signals.pairing_changed, Pairing, pairing_id=pairing.pk)
    return pairing


@transaction.atomic
def pairing_end(*, actor: Any, pairing: Pairing, reason: str = "") -> Pairing:
    require_staff(actor, _("end pairings"))
    locked = Pairing.objects.select_for_update(no_key=True).get(pk=pairing.pk)
    if locked.ended_at is not None:
        raise ValidationError({"pairing": [_("This pairing has already ended.")]})
    locked.ended_at = clock.now()
    locked.end_reason = reason
    raise_if(validate_instance(locked, validate_constraints=False))
    locked.save(update_fields=["ended_at", "end_reason"])
    cancel_future_sessions(pairing_id=locked.pk, reason=gettext_noop("The pairing has ended."))
    progress_inputs_change(enrollment_ids=[locked.enrollment_id])
    pairing.refresh_from_db()
    signals.send_on_commit(signals.pairing_changed, Pairing, pairing_id=locked.pk)
    return locked


@transaction.atomic
def pairing_close_for_enrollment(
    *, actor: Any = None, enrollment_id: int, reason: str = ""
) -> Pairing | None:
    """End the active pairing of an enrollment that has closed (withdrawn or graduated), which
    frees the mentor's seat. The top layer calls it when ``enrollment_status_changed`` fires;
    ``actor`` None is the system itself. Does nothing (returns None) for an open enrollment or
    one without an active pairing, so running it twice is harmless."""
    if actor is not None:
        require_staff(actor, _("end pairings"))
    enrollment = Enrollment.objects.select_for_update(no_key=True).filter(pk=enrollment_id).first()
    if enrollment is None or enrollment.status in Enrollment.OPEN_STATUSES:
        return None
    pairing = Pairing.objects.filter(enrollment=enrollment, ended_at__isnull=True).first()
    if pairing is None:
        return None
    pairing.ended_at = clock.now()
    pairing.end_reason = reason or f"Enrollment {enrollment.get_status_display().lower()}"
    pairing.save(update_fields=["ended_at", "end_reason"])
    cancel_future_sessions(pairing_id=pairing.pk, reason=pairing.end_reason)
    progress_inputs_change(enrollment_ids=[enrollment.pk])
    signals.send_on_commit(signals.pairing_changed, Pairing, pairing_id=pairing.pk)
    return pairing


# --- Sessions ---------------------------------------------------------------------------------

Status = MentorSession.Status
# Where a session may go from each status (a correction between completed and missed allowed).
SESSION_TRANSITIONS: dict[str, set[str]] = {
    Status.SCHEDULED: {Status.SCHEDULED, Status.COMPLETED, Status.MISSED, Status.CANCELLED},
    Status.COMPLETED: {Status.COMPLETED, Status.MISSED},
    Status.MISSED: {Status.MISSED, Status.COMPLETED},
    Status.CANCELLED: {Status.CANCELLED},
}
SESSION_FIELDS = ("scheduled_at", "duration_minutes", "notes", "status", "meeting_url")


# Sessions outside these years are typing mistakes; the calendar feed and reminders do date
# arithmetic on them, which must not overflow.
SESSION_YEARS = (2000, 2100)


def _check_session_timing(session: MentorSession, errors: Errors) -> None:
    """A plausible date; completed or missed only once the session's start has passed."""
    if (
        "scheduled_at" not in errors
        and isinstance(session.scheduled_at, dt.datetime)
        and not SESSION_YEARS[0] <= session.scheduled_at.year <= SESSION_YEARS[1]
    ):
        add_error(
            errors,
            "scheduled_at",
            _("Pick a date between %(first)s and %(last)s.")
            % {"first": SESSION_YEARS[0], "last": SESSION_YEARS[1]},
        )
    if (
        "status" not in errors
        and "scheduled_at" not in errors
        and session.status in (Status.COMPLETED, Status.MISSED)
        and isinstance(session.scheduled_at, dt.datetime)
        and session.scheduled_at > clock.now()
    ):
        add_error(
            errors,
            "status",
            _("A session cannot be %(status)s before it starts.")
            % {"status": session.get_status_display().lower()},
        )


@transaction.atomic
def session_create(
    *,
    actor: Any,
    enrollment: Enrollment,
    scheduled_at: dt.datetime,
    duration_minutes: int = 30,
    notes: str = "",
    status: str = "scheduled",
) -> MentorSession:
    """Schedule (or log a past) session with the learner's current mentor, never overlapping
    another session of that mentor (checked under the mentor's row lock)."""
    probe = MentorSession(enrollment=enrollment)
    if not MENTOR_SESSION_RULE.can_create(actor, probe):
        raise PermissionDenied(_("Only the learner's mentor or staff may schedule sessions."))
    given = enrollment
    enrollment, pairing, mentor = lock_for_session(enrollment.pk)
    if given.status not in Enrollment.OPEN_STATUSES:
        enrollment.status = given.status
    session = MentorSession(
        enrollment=enrollment,
        pairing=pairing,
        scheduled_at=scheduled_at,
        duration_minutes=duration_minutes,
        notes=notes,
        status=status,
        meeting_url=mentor.meeting_url if mentor is not None else "",
    )
    errors: Errors = {}
    if pairing is None:
        add_error(errors, "enrollment", _("This learner has no active mentor."))
    if enrollment.status not in Enrollment.OPEN_STATUSES:
        add_error(
            errors,
            "enrollment",
            _("The enrollment is %(status)s.")
            % {"status": enrollment.get_status_display().lower()},
        )
    validate_instance(session, errors, exclude=["pairing"], validate_constraints=False)
    if "status" not in errors and session.status == Status.CANCELLED:
        add_error(errors, "status", _("A new session is scheduled, completed or missed."))
    _check_session_timing(session, errors)
    if not errors and mentor is not None:
        taken = overlap_error(mentor.pk, session.scheduled_at, session.duration_minutes)
        if taken:
            add_error(errors, "scheduled_at", taken)
    raise_if(errors)
    session.save()
    payouts.record_session_change(
        session=session,
        mentor_id=pairing.mentor_id,
        actor=actor,
        previous_status=None,
        previous_minutes=0,
    )
    progress_inputs_change(enrollment_ids=[session.enrollment_id])
    signals.send_on_commit(signals.session_changed, MentorSession, session_id=session.pk)
    if session.status == Status.SCHEDULED and session.scheduled_at > clock.now():
        signals.send_on_commit(
            signals.session_booking_changed,
            MentorSession,
            session_id=session.pk,
            change="booked",
            sequence=session.sequence,
        )
    return session


@transaction.atomic
def session_update(*, actor: Any, session: MentorSession, **fields: Any) -> MentorSession:
    """Reschedule, complete, miss or cancel a session, or edit its notes. Only a scheduled
    session moves in time; cancelled is final; completed and missed can correct each other."""
    reject_unknown_fields(fields, SESSION_FIELDS)
    if not MENTOR_SESSION_RULE.can_update(actor, session):
        raise PermissionDenied(_("Only the learner's mentor or staff may change sessions."))
    # The lock order of every session write: enrollment, mentor, then the session.
    lock_for_session(session.enrollment_id)
    locked = MentorSession.objects.select_for_update(no_key=True, of=("self",)).get(pk=session.pk)
    previous_status = locked.status
    previous_start = locked.scheduled_at
    previous_minutes = locked.duration_minutes
    previous_url = locked.meeting_url
    for name, value in fields.items():
        setattr(locked, name, value)
    errors = validate_instance(locked, validate_constraints=False)
    if "status" not in errors and locked.status not in SESSION_TRANSITIONS[previous_status]:
        add_error(
            errors,
            "status",
            _("A %(previous)s session cannot become %(status)s.")
            % {
                "previous": Status(previous_status).label.lower(),
                "status": Status(locked.status).label.lower(),
            },
        )
    if (
        "scheduled_at" not in errors
        and locked.scheduled_at != previous_start
        and previous_status != Status.SCHEDULED
    ):
        add_error(
            errors,
            "scheduled_at",
            _("A %(previous)s session cannot be moved.")
            % {"previous": Status(previous_status).label.lower()},
        )
    _check_session_timing(locked, errors)
    moved = (locked.scheduled_at, locked.duration_minutes) != (previous_start, previous_minutes)
    if not errors and moved and locked.status != Status.CANCELLED:
        taken = overlap_error(
            locked.pairing.mentor_id,
            locked.scheduled_at,
            locked.duration_minutes,
            exclude_session_id=locked.pk,
        )
        if taken:
            add_error(errors, "scheduled_at", taken)
    raise_if(errors)
    change = ""
    if locked.status == Status.CANCELLED and previous_status != Status.CANCELLED:
        change = "cancelled"
        notice = dt.timedelta(hours=settings.STRIDE_BOOKING_NOTICE_HOURS)
        locked.cancelled_late = locked.scheduled_at - clock.now() < notice
    elif locked.status == Status.SCHEDULED and (moved or locked.meeting_url != previous_url):
        change = "rescheduled"
    if change:
        locked.sequence += 1
    locked.save()
    payouts.record_session_change(
        session=locked,
        mentor_id=locked.pairing.mentor_id,
        actor=actor,
        previous_status=previous_status,
        previous_minutes=previous_minutes,
    )
    progress_inputs_change(enrollment_ids=[locked.enrollment_id])
    session.refresh_from_db()
    signals.send_on_commit(signals.session_changed, MentorSession, session_id=locked.pk)
    if change:
        signals.send_on_commit(
            signals.session_booking_changed,
            MentorSession,
            session_id=locked.pk,
            change=change,
            sequence=locked.sequence,
        )
    return locked


# --- Reviews ----------------------------------------------------------------------------------


def _clean_scores(
    scores: Any, submission: Submission, errors: Errors, rubric: list[RubricCriterion] | None
) -> dict[str, int]:
    """Scores keyed by criterion id (as text), each a whole number from 0 to its max_score."""
    if scores is None:
        return {}
    if not isinstance(scores, dict):
        add_error(errors, "scores", _("Scores map criterion ids to whole numbers."))
        return {}
    if not scores:
        return {}
    # A rubric handed in is used only when it is (non-empty and) this assignment's.
    if not rubric or any(c.assignment_id != submission.assignment_id for c in rubric):
        rubric = list(submission.assignment.rubric_criteria.all())
    criteria = {str(c.pk): c for c in rubric}
    cleaned: dict[str, int] = {}
    for key, value in scores.items():
        criterion = criteria.get(str(key))
        if criterion is None:
            add_error(
                errors,
                "scores",
                _("%(key)s is not a criterion of this assignment's rubric.") % {"key": key},
            )
            continue
        if isinstance(value, bool) or not isinstance(value, int):
            add_error(
                errors,
                "scores",
                _("The score for “%(criterion)s” is not a whole number.")
                % {"criterion": criterion.name},
            )
            continue
        if not 0 <= value <= criterion.max_score:
            add_error(
                errors,
                "scores",
                _("The score for “%(criterion)s” must be between 0 and %(max_score)s.")
                % {"criterion": criterion.name, "max_score": criterion.max_score},
            )
            continue
        cleaned[str(criterion.pk)] = value
    return cleaned


@transaction.atomic
def review_create(
    *,
    actor: Any,
    submission: Submission,
    verdict: str,
    feedback: str,
    scores: dict[str, int] | None = None,
    rubric: list[RubricCriterion] | None = None,
) -> Review:
    """Review the latest version of a submission (the learner's current mentor, or staff). One
    review per version; the submission takes the verdict as its status. ``rubric``: the
    assignment's criteria when the caller has read them already (the review page drew its form
    from them); read here otherwise."""
    if not can_review(actor, submission):
        raise PermissionDenied(_("Only the learner's current mentor or staff may review."))
    locked = (
        Submission.objects.select_for_update(no_key=True, of=("self",))
        .select_related("assignment")
        .get(pk=submission.pk)
    )
    errors: Errors = {}
    latest_version = (
        Submission.objects.filter(
            enrollment_id=locked.enrollment_id, assignment_id=locked.assignment_id
        )
        .order_by("-version")
        .values_list("version", flat=True)
        .first()
    )
    reviewed = Review.objects.filter(submission=locked).exists()
    closed = review_closed(locked, latest_version=latest_version, reviewed=reviewed)
    if closed:
        add_error(errors, "submission", closed)
    now = clock.now()
    review = Review(
        submission=locked,
        reviewer=actor,
        verdict=verdict,
        feedback=feedback.strip() if isinstance(feedback, str) else feedback,
        created_at=now,
    )
    review.scores = _clean_scores(scores, locked, errors, rubric)
    # Neither foreign key is read again to be checked: the submission is the row locked above
    # and the reviewer is the signed-in actor who passed ``can_review``.
    validate_instance(
        review, errors, exclude=["submission", "reviewer"], validate_constraints=False
    )
    raise_if(errors)
    try:
        with transaction.atomic():
            review.save()
    except IntegrityError as error:  # the one-to-one: a concurrent review of this version
        raise ValidationError(
            {"submission": [_("This version has already been reviewed.")]}
        ) from error
    locked.status = review.verdict
    locked.status_changed_at = now
    locked.save(update_fields=["status", "status_changed_at"])
    payouts.record_review(
        review=review,
        mentor_id=Mentor.objects.filter(user_id=actor.pk).values_list("pk", flat=True).first(),
        actor=actor,
    )
    progress_inputs_change(enrollment_ids=[locked.enrollment_id])
    submission.status = locked.status
    submission.status_changed_at = locked.status_changed_at
    signals.send_on_commit(signals.review_created, Review, review_id=review.pk)
    return review
