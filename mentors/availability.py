"""A mentor's week: recurring slots and dated exceptions (writes), and the open slots a learner
may book (reads).

Slots are kept in the mentor's own zone as wall-clock times (weekday, "HH:MM", length), so a
17:00 slot stays at 17:00 for the mentor when daylight saving starts or ends; its UTC instant
moves instead. Open slots are computed, never stored: the week's slots, minus the days and
slots taken off, plus the extra slots, minus what overlaps a session of the mentor, within
the booking horizon. ``slot_starts`` is the pure part, unit-tested across DST changes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from curriculum.kernel import clock
from curriculum.kernel.access import AnyOf, IsOwn, IsStaff, Rule
from curriculum.kernel.zones import zone_or_utc
from curriculum.services import (
    Errors,
    add_error,
    raise_if,
    reject_unknown_fields,
    validate_instance,
)
from learners.models import Enrollment
from mentors.models import Availability, AvailabilityException, Mentor, MentorSession
from mentors.rules import MentorOfOwnEnrollment

# Sessions in these states hold their time in the mentor's calendar.
BUSY_STATUSES = (
    MentorSession.Status.SCHEDULED,
    MentorSession.Status.COMPLETED,
    MentorSession.Status.MISSED,
)
# The longest session there can be: how far back a session starting earlier may still overlap.
LONGEST_SESSION = dt.timedelta(minutes=480)


class AvailabilityRule(Rule):
    """A mentor's own slots and exceptions; staff any. A learner sees their mentor's week
    (read only) so the booking page can explain it."""

    read = AnyOf(IsStaff(), IsOwn("mentor__user"))
    create = AnyOf(IsStaff(), IsOwn("mentor__user"))
    update = AnyOf(IsStaff(), IsOwn("mentor__user"))
    delete = AnyOf(IsStaff(), IsOwn("mentor__user"))


AVAILABILITY_RULE = AvailabilityRule()


@dataclass(frozen=True)
class Slot:
    starts_at: dt.datetime  # UTC
    ends_at: dt.datetime

    def overlaps(self, start: dt.datetime, end: dt.datetime) -> bool:
        return self.starts_at < end and start < self.ends_at


# --- The pure part ------------------------------------------------------------------------------


def local_instant(day: dt.date, at: dt.time, zone_name: str) -> dt.datetime | None:
    """``day`` at wall-clock ``at`` in the zone, as UTC; None when that wall-clock time does not
    exist that day (the hour skipped when daylight saving starts)."""
    zone = zone_or_utc(zone_name)
    local = dt.datetime.combine(day, at, tzinfo=zone)
    instant = local.astimezone(dt.UTC)
    if instant.astimezone(zone).replace(tzinfo=None) != local.replace(tzinfo=None):
        return None
    return instant


def slot_starts(
    *,
    zone_name: str,
    first: dt.date,
    last: dt.date,
    weekly: Iterable[tuple[int, dt.time, int]],
    exceptions: Iterable[tuple[dt.date, str, dt.time | None, int | None]],
) -> list[Slot]:
    """Every slot from ``first`` to ``last`` (dates in the mentor's zone), in UTC, sorted:
    ``weekly`` is (weekday, start, minutes); ``exceptions`` (date, kind, start, minutes)."""
    weekly = list(weekly)
    day_off: set[dt.date] = set()
    slot_off: set[tuple[dt.date, dt.time]] = set()
    extra: dict[dt.date, list[tuple[dt.time, int]]] = {}
    for date, kind, start, minutes in exceptions:
        if kind == AvailabilityException.Kind.UNAVAILABLE:
            if start is None:
                day_off.add(date)
            else:
                slot_off.add((date, start))
        elif start is not None and minutes:
            extra.setdefault(date, []).append((start, minutes))
    slots: set[Slot] = set()
    day = first
    while day <= last:
        wanted = [
            (start, minutes) for weekday, start, minutes in weekly if weekday == day.weekday()
        ]
        if day in day_off:
            wanted = []
        wanted = [(start, minutes) for start, minutes in wanted if (day, start) not in slot_off]
        for start, minutes in [*wanted, *extra.get(day, [])]:
            instant = local_instant(day, start, zone_name)
            if instant is not None:
                slots.add(Slot(instant, instant + dt.timedelta(minutes=minutes)))
        day += dt.timedelta(days=1)
    return sorted(slots, key=lambda slot: slot.starts_at)


# --- Reads ----------------------------------------------------------------------------------------


def booking_window(now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    return now, now + dt.timedelta(days=settings.STRIDE_BOOKING_HORIZON_DAYS)


def mentor_slots(mentor: Mentor, start: dt.datetime, end: dt.datetime) -> list[Slot]:
    """The mentor's slots starting in [start, end) (UTC), before bookings are taken out."""
    zone = zone_or_utc(mentor.timezone)
    first = start.astimezone(zone).date() - dt.timedelta(days=1)
    last = end.astimezone(zone).date() + dt.timedelta(days=1)
    weekly = Availability.objects.filter(mentor=mentor).values_list(
        "weekday", "start_time", "duration_minutes"
    )
    exceptions = AvailabilityException.objects.filter(
        mentor=mentor, date__gte=first, date__lte=last
    ).values_list("date", "kind", "start_time", "duration_minutes")
    slots = slot_starts(
        zone_name=mentor.timezone, first=first, last=last, weekly=weekly, exceptions=exceptions
    )
    return [slot for slot in slots if start <= slot.starts_at < end]


def busy_times(
    mentor_id: int, start: dt.datetime, end: dt.datetime, *, exclude_session_id: int | None = None
) -> list[tuple[dt.datetime, dt.datetime]]:
    """The mentor's sessions (not cancelled) overlapping [start, end)."""
    rows = (
        MentorSession.objects.filter(
            pairing__mentor_id=mentor_id,
            status__in=BUSY_STATUSES,
            scheduled_at__lt=end,
            scheduled_at__gt=start - LONGEST_SESSION,
        )
        .exclude(pk=exclude_session_id)
        .values_list("scheduled_at", "duration_minutes")
    )
    busy = []
    for scheduled_at, minutes in rows:
        ends = scheduled_at + dt.timedelta(minutes=minutes)
        if ends > start:
            busy.append((scheduled_at, ends))
    return busy


def open_slots(
    *, mentor: Mentor, start: dt.datetime, end: dt.datetime, exclude_session_id: int | None = None
) -> list[Slot]:
    """Slots in [start, end) and inside the booking window that no session of the mentor
    overlaps."""
    window_start, window_end = booking_window(clock.now())
    start, end = max(start, window_start), min(end, window_end)
    if start >= end:
        return []
    slots = mentor_slots(mentor, start, end)
    if not slots:
        return []
    busy = busy_times(
        mentor.pk, slots[0].starts_at, slots[-1].ends_at, exclude_session_id=exclude_session_id
    )
    return [slot for slot in slots if not any(slot.overlaps(b, e) for b, e in busy)]


def week_bounds(moment: dt.datetime, zone_name: str) -> tuple[dt.datetime, dt.datetime]:
    """The ISO week (Monday 00:00 to Monday 00:00, in the zone) holding ``moment``, in UTC."""
    zone = zone_or_utc(zone_name)
    local_day = moment.astimezone(zone).date()
    monday = local_day - dt.timedelta(days=local_day.weekday())
    begin = dt.datetime.combine(monday, dt.time(0), tzinfo=zone)
    finish = dt.datetime.combine(monday + dt.timedelta(days=7), dt.time(0), tzinfo=zone)
    return begin.astimezone(dt.UTC), finish.astimezone(dt.UTC)


def booked_weeks(enrollment_id: int, zone_name: str, start: dt.datetime, end: dt.datetime):
    """How many sessions (not cancelled) the enrollment has in each ISO week touching
    [start, end), keyed by the week's start."""
    first, _ = week_bounds(start, zone_name)
    _, last = week_bounds(end, zone_name)
    counts: dict[dt.datetime, int] = {}
    for scheduled_at in MentorSession.objects.filter(
        enrollment_id=enrollment_id,
        scheduled_at__gte=first,
        scheduled_at__lt=last,
        status__in=BUSY_STATUSES,
    ).values_list("scheduled_at", flat=True):
        week = week_bounds(scheduled_at, zone_name)[0]
        counts[week] = counts.get(week, 0) + 1
    return counts


def open_slots_for(
    *, fetched_by: Any, mentor: Mentor, start: dt.datetime, end: dt.datetime
) -> list[Slot]:
    """The open slots ``fetched_by`` may book: a learner only with their current mentor, and
    not in an ISO week where they already reached the limit."""
    slots = open_slots(mentor=mentor, start=start, end=end)
    if getattr(fetched_by, "is_staff", False) or mentor.user_id == fetched_by.pk:
        return slots
    enrollment = (
        Enrollment.objects.filter(
            learner_id=fetched_by.pk,
            pairings__mentor=mentor,
            pairings__ended_at__isnull=True,
            status__in=Enrollment.OPEN_STATUSES,
        )
        .select_related("cohort")
        .first()
    )
    if enrollment is None or not slots:
        return []
    zone_name = enrollment.cohort.timezone
    weeks = booked_weeks(enrollment.pk, zone_name, slots[0].starts_at, slots[-1].starts_at)
    limit = settings.STRIDE_BOOKING_WEEKLY_LIMIT
    return [
        slot for slot in slots if weeks.get(week_bounds(slot.starts_at, zone_name)[0], 0) < limit
    ]


def mentor_readable_for_slots(user: Any) -> Q:
    """Mentors whose open slots ``user`` may ask for: their own, their current mentor's; all
    for staff."""
    return AnyOf(IsStaff(), IsOwn("user"), MentorOfOwnEnrollment()).q(user)


# --- Writes ---------------------------------------------------------------------------------------

AVAILABILITY_FIELDS = ("weekday", "start_time", "duration_minutes")
EXCEPTION_FIELDS = ("date", "kind", "start_time", "duration_minutes")


def _check_mentor(actor: Any, mentor: Mentor, obj: Any, rule_check) -> None:
    if not rule_check(actor, obj):
        raise PermissionDenied(_("Only the mentor or staff may change this availability."))


def _save_unique(instance: Any, errors: Errors) -> None:
    raise_if(errors)
    try:
        with transaction.atomic():
            instance.save()
    except IntegrityError as error:
        raise_if({"start_time": [_("The mentor already has a slot at this time on this day.")]})
        raise error  # pragma: no cover - raise_if always raises here


@transaction.atomic
def availability_create(
    *, actor: Any, mentor: Mentor, weekday: int, start_time: dt.time, duration_minutes: int = 30
) -> Availability:
    slot = Availability(
        mentor=mentor, weekday=weekday, start_time=start_time, duration_minutes=duration_minutes
    )
    _check_mentor(actor, mentor, slot, AVAILABILITY_RULE.can_create)
    errors = validate_instance(slot, exclude=["mentor"], validate_constraints=False)
    _save_unique(slot, errors)
    return slot


@transaction.atomic
def availability_update(*, actor: Any, slot: Availability, **fields: Any) -> Availability:
    reject_unknown_fields(fields, AVAILABILITY_FIELDS)
    locked = Availability.objects.select_for_update().get(pk=slot.pk)
    _check_mentor(actor, locked.mentor, locked, AVAILABILITY_RULE.can_update)
    for name, value in fields.items():
        setattr(locked, name, value)
    errors = validate_instance(locked, exclude=["mentor"], validate_constraints=False)
    _save_unique(locked, errors)
    return locked


@transaction.atomic
def availability_delete(*, actor: Any, slot: Availability) -> None:
    _check_mentor(actor, slot.mentor, slot, AVAILABILITY_RULE.can_delete)
    Availability.objects.filter(pk=slot.pk).delete()


def _check_exception(exception: AvailabilityException, errors: Errors) -> None:
    if exception.kind == AvailabilityException.Kind.EXTRA:
        if exception.start_time is None:
            add_error(errors, "start_time", _("An extra slot needs a start time."))
        if not exception.duration_minutes:
            add_error(errors, "duration_minutes", _("An extra slot needs a length."))
    if isinstance(exception.date, dt.date) and exception.date < clock.today(
        exception.mentor.timezone
    ):
        add_error(errors, "date", _("Pick today or a later day."))


@transaction.atomic
def availability_exception_create(
    *,
    actor: Any,
    mentor: Mentor,
    date: dt.date,
    kind: str,
    start_time: dt.time | None = None,
    duration_minutes: int | None = None,
) -> AvailabilityException:
    exception = AvailabilityException(
        mentor=mentor,
        date=date,
        kind=kind,
        start_time=start_time,
        duration_minutes=duration_minutes,
    )
    _check_mentor(actor, mentor, exception, AVAILABILITY_RULE.can_create)
    errors = validate_instance(exception, exclude=["mentor"], validate_constraints=False)
    _check_exception(exception, errors)
    raise_if(errors)
    exception.save()
    return exception


@transaction.atomic
def availability_exception_update(
    *, actor: Any, exception: AvailabilityException, **fields: Any
) -> AvailabilityException:
    reject_unknown_fields(fields, EXCEPTION_FIELDS)
    locked = AvailabilityException.objects.select_for_update().get(pk=exception.pk)
    _check_mentor(actor, locked.mentor, locked, AVAILABILITY_RULE.can_update)
    for name, value in fields.items():
        setattr(locked, name, value)
    errors = validate_instance(locked, exclude=["mentor"], validate_constraints=False)
    _check_exception(locked, errors)
    raise_if(errors)
    locked.save()
    return locked


@transaction.atomic
def availability_exception_delete(*, actor: Any, exception: AvailabilityException) -> None:
    _check_mentor(actor, exception.mentor, exception, AVAILABILITY_RULE.can_delete)
    AvailabilityException.objects.filter(pk=exception.pk).delete()
