"""Availability: weekly slots hold their wall-clock time across DST in the mentor's zone, dated
exceptions take days or slots off or add one, and open slots leave out what is booked, what is
past or beyond the horizon, and (for a learner) weeks already at the limit, counted in the
learner's own zone."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from mentors import availability, booking
from mentors.availability import Slot, open_slots, open_slots_for, slot_starts
from mentors.models import AvailabilityException
from tests.mentors.operations import utc, weekly


@pytest.fixture
def world_history() -> bool:
    return False


def starts(slots):
    return [slot.starts_at for slot in slots]


def test_new_york_slot_keeps_its_wall_clock_time_across_the_spring_change(world, clock):
    leo = world.spare_mentor
    leo.timezone = "America/New_York"
    leo.save()
    weekly(leo, 0, 17)  # Mondays 17:00 in New York
    clock.move_to(utc(2026, 3, 1, 12))
    slots = open_slots(mentor=leo, start=utc(2026, 3, 1), end=utc(2026, 3, 15))
    # EST (UTC-5) before 8 March, EDT (UTC-4) after: 17:00 local both times.
    assert starts(slots) == [utc(2026, 3, 2, 22), utc(2026, 3, 9, 21)]
    assert all(s.ends_at - s.starts_at == dt.timedelta(minutes=45) for s in slots)


def test_new_york_autumn_change_and_berlin_spring_change(world):
    autumn = slot_starts(
        zone_name="America/New_York",
        first=dt.date(2026, 10, 26),
        last=dt.date(2026, 11, 3),
        weekly=[(0, dt.time(9), 30)],
        exceptions=[],
    )
    assert starts(autumn) == [utc(2026, 10, 26, 13), utc(2026, 11, 2, 14)]
    berlin = slot_starts(
        zone_name="Europe/Berlin",
        first=dt.date(2026, 3, 20),
        last=dt.date(2026, 4, 5),
        weekly=[(4, dt.time(9), 30), (6, dt.time(2, 30), 30)],
        exceptions=[],
    )
    assert starts(berlin) == [
        utc(2026, 3, 20, 8),  # Friday, CET
        utc(2026, 3, 22, 1, 30),  # Sunday 02:30 CET
        utc(2026, 3, 27, 8),
        # Sunday 29 March 02:30 does not exist in Berlin (clocks jump 02:00 → 03:00): no slot.
        utc(2026, 4, 3, 7),  # Friday, CEST
        utc(2026, 4, 5, 0, 30),
    ]


def test_berlin_mentor_open_slots_cross_the_change(world, clock):
    leo = world.spare_mentor
    leo.timezone = "Europe/Berlin"
    leo.save()
    weekly(leo, 4, 9)
    clock.move_to(utc(2026, 3, 20, 12))
    slots = open_slots(mentor=leo, start=utc(2026, 3, 20), end=utc(2026, 4, 6))
    assert starts(slots) == [utc(2026, 3, 27, 8), utc(2026, 4, 3, 7)]


def test_exceptions_take_a_day_or_a_slot_off_and_add_extra_slots(world):
    result = slot_starts(
        zone_name="UTC",
        first=dt.date(2026, 3, 9),
        last=dt.date(2026, 3, 17),
        weekly=[(0, dt.time(9), 30), (0, dt.time(10), 30), (1, dt.time(9), 30)],
        exceptions=[
            (dt.date(2026, 3, 9), "unavailable", None, None),  # Monday off
            (dt.date(2026, 3, 16), "unavailable", dt.time(10), None),  # one slot off
            (dt.date(2026, 3, 12), "extra", dt.time(15), 60),
        ],
    )
    assert result == [
        Slot(utc(2026, 3, 10, 9), utc(2026, 3, 10, 9, 30)),
        Slot(utc(2026, 3, 12, 15), utc(2026, 3, 12, 16)),
        Slot(utc(2026, 3, 16, 9), utc(2026, 3, 16, 9, 30)),
        Slot(utc(2026, 3, 17, 9), utc(2026, 3, 17, 9, 30)),
    ]


def test_open_slots_leave_out_past_booked_and_beyond_the_horizon(world, clock):
    max_ = world.mentor  # Madrid
    weekly(max_, 1, 10)  # Tuesdays 10:00 Madrid = 09:00 UTC (before 29 March)
    weekly(max_, 1, 14)  # 13:00 UTC
    slots = open_slots(mentor=max_, start=utc(2026, 3, 1), end=utc(2026, 5, 1))
    # Today's 09:00 has passed (NOW is 12:00 UTC); the horizon is 14 days.
    assert starts(slots) == [
        utc(2026, 3, 10, 13),
        utc(2026, 3, 17, 9),
        utc(2026, 3, 17, 13),
        utc(2026, 3, 24, 9),
    ]
    booking.session_book(
        actor=world.learner, enrollment=world.enrollment, starts_at=utc(2026, 3, 17, 9)
    )
    left = open_slots(mentor=max_, start=utc(2026, 3, 1), end=utc(2026, 5, 1))
    assert utc(2026, 3, 17, 9) not in starts(left)


def test_a_learner_in_kolkata_has_the_weekly_limit_counted_in_their_own_week(world, clock):
    world.cohort.timezone = "Asia/Kolkata"
    world.cohort.save()
    max_ = world.mentor
    weekly(max_, 6, 22)  # Sunday 22:00 Madrid = Monday 02:30 in Kolkata
    weekly(max_, 2, 10)  # Wednesday 10:00 Madrid
    learner = world.learner
    everything = open_slots_for(
        fetched_by=learner, mentor=max_, start=utc(2026, 3, 10), end=utc(2026, 3, 20)
    )
    assert starts(everything) == [utc(2026, 3, 11, 9), utc(2026, 3, 15, 21), utc(2026, 3, 18, 9)]
    booking.session_book(actor=learner, enrollment=world.enrollment, starts_at=utc(2026, 3, 18, 9))
    left = open_slots_for(
        fetched_by=learner, mentor=max_, start=utc(2026, 3, 10), end=utc(2026, 3, 20)
    )
    # Sunday night in Madrid is already Monday 16 March in Kolkata: the learner's week of the
    # 18th, which has its one session. (Counted in Madrid it would still be open.)
    assert starts(left) == [utc(2026, 3, 11, 9)]
    with pytest.raises(ValidationError) as excinfo:
        booking.session_book(
            actor=learner, enrollment=world.enrollment, starts_at=utc(2026, 3, 15, 21)
        )
    assert "starts_at" in excinfo.value.message_dict
    # The mentor and staff see every open slot.
    assert (
        len(
            open_slots_for(
                fetched_by=max_.user, mentor=max_, start=utc(2026, 3, 10), end=utc(2026, 3, 20)
            )
        )
        == 2
    )
    # A learner sees nothing of another mentor.
    assert (
        open_slots_for(
            fetched_by=learner,
            mentor=world.other_mentor,
            start=utc(2026, 3, 10),
            end=utc(2026, 3, 20),
        )
        == []
    )


def test_mentor_manages_own_availability_only(world):
    slot = availability.availability_create(
        actor=world.mentor.user, mentor=world.mentor, weekday=0, start_time=dt.time(9)
    )
    with pytest.raises(ValidationError) as excinfo:
        availability.availability_create(
            actor=world.mentor.user, mentor=world.mentor, weekday=0, start_time=dt.time(9)
        )
    assert "start_time" in excinfo.value.message_dict
    with pytest.raises(ValidationError) as excinfo:
        availability.availability_create(
            actor=world.mentor.user, mentor=world.mentor, weekday=7, start_time=dt.time(9)
        )
    assert "weekday" in excinfo.value.message_dict
    with pytest.raises(PermissionDenied):
        availability.availability_create(
            actor=world.other_mentor.user, mentor=world.mentor, weekday=1, start_time=dt.time(9)
        )
    with pytest.raises(PermissionDenied):
        availability.availability_update(actor=world.learner, slot=slot, weekday=2)
    availability.availability_update(actor=world.staff, slot=slot, weekday=2)
    slot.refresh_from_db()
    assert slot.weekday == 2
    with pytest.raises(ValidationError) as excinfo:
        availability.availability_exception_create(
            actor=world.mentor.user, mentor=world.mentor, date=dt.date(2026, 3, 12), kind="extra"
        )
    assert set(excinfo.value.message_dict) == {"start_time", "duration_minutes"}
    with pytest.raises(ValidationError) as excinfo:
        availability.availability_exception_create(
            actor=world.mentor.user,
            mentor=world.mentor,
            date=dt.date(2026, 3, 1),
            kind="unavailable",
        )
    assert "date" in excinfo.value.message_dict
    assert not AvailabilityException.objects.exists()
