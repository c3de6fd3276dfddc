"""Booking the weekly call: book, reschedule, cancel, rate; and the never-double-booked rule.

Every path that puts a session in a mentor's calendar (booking, staff or a mentor creating a
session, rescheduling, a PATCH moving one) locks the enrollment and then the mentor row
(``select_for_update``; the lock order of ``pairing_assign``) and checks, under that lock, that
no other session of the mentor overlaps. Two learners racing for one slot are serialised by the
mentor's row: the second sees the first's session and gets a 400 on ``starts_at``.

Bookings, reschedules and cancellations send ``session_booking_changed`` on commit, which the
top layer turns into emails carrying an iCalendar invitation (``tracker/mentoring``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from curriculum.kernel import clock
from curriculum.kernel.access import AnyOf, IsStaff
from curriculum.kernel.signals import progress_inputs_change
from curriculum.services import Errors, add_error, raise_if, validate_instance
from learners.models import Enrollment
from learners.rules import OfEnrollment
from mentors import signals
from mentors.availability import booked_weeks, busy_times, mentor_slots, week_bounds
from mentors.models import Mentor, MentorSession, Pairing, SessionRating

Status = MentorSession.Status

# Who may book, move and cancel a session: its learner, their current mentor, staff.
SESSION_PARTY = AnyOf(IsStaff(), OfEnrollment("enrollment"))
STARTS_AT = "starts_at"


def _notice() -> dt.timedelta:
    return dt.timedelta(hours=settings.STRIDE_BOOKING_NOTICE_HOURS)


def lock_for_session(enrollment_id: int) -> tuple[Enrollment, Pairing | None, Mentor | None]:
    """Lock the enrollment, then its current mentor's row: the order every session write uses."""
    enrollment = (
        Enrollment.objects.select_for_update(no_key=True, of=("self",))
        .select_related("cohort")
        .get(pk=enrollment_id)
    )
    pairing = Pairing.objects.filter(enrollment=enrollment, ended_at__isnull=True).first()
    mentor = None
    if pairing is not None:
        mentor = (
            Mentor.objects.select_for_update(no_key=True, of=("self",))
            .select_related("user")
            .get(pk=pairing.mentor_id)
        )
    return enrollment, pairing, mentor


def overlap_error(
    mentor_id: int, start: dt.datetime, minutes: int, *, exclude_session_id: int | None = None
) -> str:
    """Why the mentor cannot take a session then ("" when free). Call with the mentor locked."""
    end = start + dt.timedelta(minutes=minutes)
    if busy_times(mentor_id, start, end, exclude_session_id=exclude_session_id):
        return _("The mentor already has a session at that time.")
    return ""


def _slot_error(
    *,
    enrollment: Enrollment,
    mentor: Mentor,
    starts_at: dt.datetime,
    exclude_session_id: int | None,
) -> tuple[str, int]:
    """Why ``starts_at`` cannot be booked ("" when it can) and the slot's length."""
    now = clock.now()
    if starts_at <= now:
        return _("Pick a time in the future."), 0
    horizon = settings.STRIDE_BOOKING_HORIZON_DAYS
    if starts_at > now + dt.timedelta(days=horizon):
        return _("Sessions can be booked at most %(days)s days ahead.") % {"days": horizon}, 0
    slot = next(
        (
            slot
            for slot in mentor_slots(mentor, starts_at, starts_at + dt.timedelta(seconds=1))
            if slot.starts_at == starts_at
        ),
        None,
    )
    if slot is None:
        return _("The mentor has no open slot at that time."), 0
    minutes = int((slot.ends_at - slot.starts_at).total_seconds() // 60)
    taken = overlap_error(mentor.pk, starts_at, minutes, exclude_session_id=exclude_session_id)
    if taken:
        return _("That slot has just been taken; pick another one."), 0
    zone_name = enrollment.cohort.timezone
    week_start = week_bounds(starts_at, zone_name)[0]
    weeks = booked_weeks(enrollment.pk, zone_name, starts_at, starts_at)
    if exclude_session_id is not None:
        moved = (
            MentorSession.objects.filter(pk=exclude_session_id)
            .values_list("scheduled_at", flat=True)
            .first()
        )
        if moved is not None and week_bounds(moved, zone_name)[0] == week_start:
            weeks[week_start] = weeks.get(week_start, 1) - 1
    limit = settings.STRIDE_BOOKING_WEEKLY_LIMIT
    if weeks.get(week_start, 0) >= limit:
        return (
            ngettext(
                "You can book %(limit)s session per week; this week is full.",
                "You can book %(limit)s sessions per week; this week is full.",
                limit,
            )
            % {"limit": limit},
            0,
        )
    return "", minutes


@transaction.atomic
def session_book(*, actor: Any, enrollment: Enrollment, starts_at: dt.datetime) -> MentorSession:
    """Book a session with the enrollment's current mentor in one of the mentor's open slots."""
    probe = MentorSession(enrollment=enrollment)
    if not SESSION_PARTY.check(actor, probe):
        raise PermissionDenied(_("Only the learner, their mentor or staff may book."))
    locked, pairing, mentor = lock_for_session(enrollment.pk)
    errors: Errors = {}
    if locked.status not in Enrollment.OPEN_STATUSES:
        add_error(
            errors,
            "enrollment",
            _("The enrollment is %(status)s.") % {"status": locked.get_status_display().lower()},
        )
    if mentor is None:
        add_error(errors, "enrollment", _("This learner has no mentor to book with."))
    raise_if(errors)
    message, minutes = _slot_error(
        enrollment=locked, mentor=mentor, starts_at=starts_at, exclude_session_id=None
    )
    if message:
        raise ValidationError({STARTS_AT: [message]})
    session = MentorSession(
        enrollment=locked,
        pairing=pairing,
        scheduled_at=starts_at,
        duration_minutes=minutes,
        status=Status.SCHEDULED,
        meeting_url=mentor.meeting_url,
    )
    raise_if(validate_instance(session, validate_constraints=False))
    session.save()
    progress_inputs_change(enrollment_ids=[locked.pk])
    signals.send_on_commit(signals.session_changed, MentorSession, session_id=session.pk)
    signals.send_on_commit(
        signals.session_booking_changed,
        MentorSession,
        session_id=session.pk,
        change="booked",
        sequence=session.sequence,
    )
    return session


def _lock_existing(actor: Any, session: MentorSession):
    if not SESSION_PARTY.check(actor, session):
        raise PermissionDenied(
            _("Only the learner, their mentor or staff may change this session.")
        )
    enrollment, pairing, mentor = lock_for_session(session.enrollment_id)
    locked = MentorSession.objects.select_for_update(no_key=True, of=("self",)).get(pk=session.pk)
    return enrollment, pairing, mentor, locked


def _require_scheduled(locked: MentorSession, field: str) -> None:
    if locked.status != Status.SCHEDULED:
        raise ValidationError(
            {
                field: [
                    _("A %(status)s session cannot be changed.")
                    % {"status": locked.get_status_display().lower()}
                ]
            }
        )


@transaction.atomic
def session_reschedule(*, actor: Any, session: MentorSession, starts_at: dt.datetime):
    """Move a scheduled session to another open slot of the same mentor, before the notice."""
    enrollment, pairing, mentor, locked = _lock_existing(actor, session)
    _require_scheduled(locked, STARTS_AT)
    if pairing is None or locked.pairing_id != pairing.pk:
        raise ValidationError({STARTS_AT: [_("This session belongs to an ended pairing.")]})
    now = clock.now()
    if locked.scheduled_at - now < _notice():
        raise ValidationError(
            {
                STARTS_AT: [
                    _(
                        "Sessions can be moved until %(hours)s hours before they start; "
                        "cancel it instead."
                    )
                    % {"hours": settings.STRIDE_BOOKING_NOTICE_HOURS}
                ]
            }
        )
    if starts_at == locked.scheduled_at:
        raise ValidationError({STARTS_AT: [_("The session already starts then.")]})
    message, minutes = _slot_error(
        enrollment=enrollment, mentor=mentor, starts_at=starts_at, exclude_session_id=locked.pk
    )
    if message:
        raise ValidationError({STARTS_AT: [message]})
    locked.scheduled_at = starts_at
    locked.duration_minutes = minutes
    locked.sequence += 1
    locked.save()
    progress_inputs_change(enrollment_ids=[locked.enrollment_id])
    session.refresh_from_db()
    signals.send_on_commit(signals.session_changed, MentorSession, session_id=locked.pk)
    signals.send_on_commit(
        signals.session_booking_changed,
        MentorSession,
        session_id=locked.pk,
        change="rescheduled",
        sequence=locked.sequence,
    )
    return locked


def _cancel(locked: MentorSession, *, reason: str, late: bool) -> None:
    locked.status = Status.CANCELLED
    locked.cancelled_late = late
    locked.cancel_reason = reason
    locked.sequence += 1
    locked.save()
    progress_inputs_change(enrollment_ids=[locked.enrollment_id])
    signals.send_on_commit(signals.session_changed, MentorSession, session_id=locked.pk)
    signals.send_on_commit(
        signals.session_booking_changed,
        MentorSession,
        session_id=locked.pk,
        change="cancelled",
        sequence=locked.sequence,
    )


@transaction.atomic
def session_cancel(*, actor: Any, session: MentorSession, reason: str = "") -> MentorSession:
    """Cancel a scheduled session. Inside the notice it is kept as ``cancelled_late`` (it
    counts like a missed session), and a reason is required."""
    _enrollment, _pairing, _mentor, locked = _lock_existing(actor, session)
    _require_scheduled(locked, "reason")
    reason = (reason or "").strip()
    if len(reason) > 500:
        raise ValidationError({"reason": [_("Keep the reason under 500 characters.")]})
    late = locked.scheduled_at - clock.now() < _notice()
    if late and not reason:
        raise ValidationError(
            {"reason": [_("Say why: this session starts in less than the notice period.")]}
        )
    _cancel(locked, reason=reason, late=late)
    session.refresh_from_db()
    return locked


def cancel_future_sessions(*, pairing_id: int, reason: str) -> list[int]:
    """Cancel the scheduled future sessions of an ended pairing (inside the caller's
    transaction; both people are told through ``session_booking_changed``)."""
    cancelled = []
    for locked in MentorSession.objects.select_for_update(no_key=True).filter(
        pairing_id=pairing_id, status=Status.SCHEDULED, scheduled_at__gt=clock.now()
    ):
        _cancel(locked, reason=reason, late=False)
        cancelled.append(locked.pk)
    return cancelled


# --- Rating ---------------------------------------------------------------------------------------


@transaction.atomic
def session_rate(
    *, actor: Any, session: MentorSession, score: int, comment: str = ""
) -> SessionRating:
    """The session's learner rates a completed session once, within the rating window."""
    if not (actor and actor.is_authenticated) or session.enrollment.learner_id != actor.pk:
        raise PermissionDenied(_("Only the session's learner may rate it."))
    locked = MentorSession.objects.select_for_update(no_key=True).get(pk=session.pk)
    errors: Errors = {}
    if locked.status != Status.COMPLETED:
        add_error(errors, "session", _("Only a completed session can be rated."))
    window = dt.timedelta(days=settings.STRIDE_RATING_WINDOW_DAYS)
    if clock.now() > locked.ends_at + window:
        add_error(
            errors,
            "session",
            _("A session can be rated within %(days)s days.")
            % {"days": settings.STRIDE_RATING_WINDOW_DAYS},
        )
    if SessionRating.objects.filter(session=locked).exists():
        add_error(errors, "session", _("You have already rated this session."))
    rating = SessionRating(
        session=locked,
        score=score,
        comment=(comment or "").strip(),
        created_at=clock.now(),
    )
    validate_instance(rating, errors, exclude=["session"], validate_constraints=False)
    raise_if(errors)
    try:
        with transaction.atomic():
            rating.save()
    except IntegrityError as error:
        raise ValidationError({"session": [_("You have already rated this session.")]}) from error
    return rating
