"""Mentor payouts: a ledger of what each change did to a mentor's month, and closing a month.

Months are calendar months in the program's zone (``STRIDE_PROGRAM_TIMEZONE``). A session
counts in the month it was held (its start), a review in the month it was written. Every write
that changes what a mentor is paid for (a session marked completed, corrected to missed, its
length changed; a review saved) adds a ``PayoutEntry`` with the difference, in the same
transaction. A month's figures are the sums of its entries, so the page and the CSV read the
same numbers. A closed month takes no new entry: a late change lands in the oldest open month
from the current one on, its ``belongs_to`` and ``note`` saying where it came from (the audit
entry of the late edit), so a closed month's figures never change afterwards.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils.translation import gettext as _

from curriculum.kernel import clock
from curriculum.kernel.zones import zone_or_utc
from curriculum.services import require_staff
from mentors.models import Mentor, MentorSession, PayoutEntry, PayoutMonth, Review

COMPLETED = MentorSession.Status.COMPLETED


def program_zone_name() -> str:
    return settings.STRIDE_PROGRAM_TIMEZONE


def month_of(moment: dt.datetime) -> dt.date:
    """The first day of the month holding ``moment`` in the program's zone."""
    local = moment.astimezone(zone_or_utc(program_zone_name()))
    return local.date().replace(day=1)


def next_month(month: dt.date) -> dt.date:
    return (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def month_end(month: dt.date) -> dt.datetime:
    """The instant the month ends (UTC)."""
    zone = zone_or_utc(program_zone_name())
    return dt.datetime.combine(next_month(month), dt.time(0), tzinfo=zone).astimezone(dt.UTC)


def parse_month(value: Any) -> dt.date:
    """``YYYY-MM`` → its first day; ValidationError on ``month`` otherwise."""
    try:
        year, month = str(value).split("-")
        if len(year) != 4 or len(month) != 2:
            raise ValueError(value)
        parsed = dt.date(int(year), int(month), 1)
    except (TypeError, ValueError):
        raise ValidationError({"month": [_("Give a month as YYYY-MM.")]}) from None
    if not 2000 <= parsed.year <= 2100:
        raise ValidationError({"month": [_("Give a month between 2000 and 2100.")]})
    return parsed


def _locked_month(month: dt.date) -> PayoutMonth:
    """The month's row, created if missing, locked against a concurrent close. One locked
    read when the row exists (every write but a month's first). When it is missing, the
    insert runs in a savepoint: a concurrent writer's insert of the same month waits on the
    unique index and then fails, and ``get_or_create`` reads the row again, locked (it is
    committed by then); a row this transaction inserted is its own until it commits."""
    row, _created = PayoutMonth.objects.select_for_update().get_or_create(month=month)
    return row


def _open_month_for(month: dt.date) -> PayoutMonth:
    """``month`` if it is open, else the first open month from the current one on."""
    row = _locked_month(month)
    if row.closed_at is None:
        return row
    candidate = max(month_of(clock.now()), next_month(month))
    while True:
        row = _locked_month(candidate)
        if row.closed_at is None:
            return row
        candidate = next_month(candidate)


def _record(
    *,
    mentor_id: int,
    when: dt.datetime,
    actor: Any,
    sessions: int = 0,
    minutes: int = 0,
    reviews: int = 0,
    session: MentorSession | None = None,
    review: Review | None = None,
    note: str,
) -> PayoutEntry | None:
    if not (sessions or minutes or reviews):
        return None
    belongs = month_of(when)
    row = _open_month_for(belongs)
    late = row.month != belongs
    if late:
        note = f"{note} (late change to closed {belongs:%Y-%m})"
    return PayoutEntry.objects.create(
        mentor_id=mentor_id,
        month=row,
        sessions=sessions,
        minutes=minutes,
        reviews=reviews,
        session=session,
        review=review,
        belongs_to=belongs if late else None,
        note=note[:300],
        actor=actor if getattr(actor, "pk", None) else None,
        created_at=clock.now(),
    )


def record_session_change(
    *,
    session: MentorSession,
    mentor_id: int,
    actor: Any,
    previous_status: str | None,
    previous_minutes: int,
) -> PayoutEntry | None:
    """The ledger line for a session whose held state or length changed (inside the caller's
    transaction)."""
    held_before = previous_status == COMPLETED
    held_after = session.status == COMPLETED
    sessions = int(held_after) - int(held_before)
    minutes = (session.duration_minutes if held_after else 0) - (
        previous_minutes if held_before else 0
    )
    if sessions > 0:
        note = f"Session {session.pk} held"
    elif sessions < 0:
        note = f"Session {session.pk} no longer counted as held ({session.status})"
    else:
        note = f"Session {session.pk} length changed"
    return _record(
        mentor_id=mentor_id,
        when=session.scheduled_at,
        actor=actor,
        sessions=sessions,
        minutes=minutes,
        session=session,
        note=note,
    )


def record_review(*, review: Review, mentor_id: int | None, actor: Any) -> PayoutEntry | None:
    """+1 review for the mentor who wrote it (staff reviews are nobody's payout)."""
    if mentor_id is None:
        return None
    return _record(
        mentor_id=mentor_id,
        when=review.created_at,
        actor=actor,
        reviews=1,
        review=review,
        note=f"Review {review.pk} of submission {review.submission_id}",
    )


@transaction.atomic
def payout_month_close(*, actor: Any, month: Any) -> PayoutMonth:
    """Close a month that has ended (staff). Its figures are final from then on."""
    require_staff(actor, _("close payout months"))
    first = parse_month(month) if not isinstance(month, dt.date) else month.replace(day=1)
    if month_end(first) > clock.now():
        raise ValidationError({"month": [_("Only a month that has ended can be closed.")]})
    row = _locked_month(first)
    if row.closed_at is not None:
        raise ValidationError(
            {"month": [_("%(month)s is already closed.") % {"month": f"{first:%Y-%m}"}]}
        )
    row.closed_at = clock.now()
    row.closed_by = actor
    row.save(update_fields=["closed_at", "closed_by"])
    return row


def payout_rows(*, fetched_by: Any, month: dt.date) -> list[dict]:
    """Per mentor (every active mentor, and any inactive one with figures that month): sessions
    held, minutes held, reviews completed, and whether the month is closed. Two queries."""
    require_staff(fetched_by, _("see payouts"))
    sums = {
        row["mentor_id"]: row
        for row in PayoutEntry.objects.filter(month__month=month)
        .values("mentor_id")
        .annotate(
            sessions_held=Sum("sessions"),
            minutes_held=Sum("minutes"),
            reviews_completed=Sum("reviews"),
        )
    }
    closed = PayoutMonth.objects.filter(month=month, closed_at__isnull=False).exists()
    rows = []
    for mentor in Mentor.objects.select_related("user").order_by(
        "user__last_name", "user__first_name", "pk"
    ):
        figures = sums.get(mentor.pk)
        if figures is None and not mentor.is_active:
            continue
        rows.append(
            {
                "mentor": mentor.pk,
                "mentor_name": str(mentor),
                "sessions_held": (figures or {}).get("sessions_held") or 0,
                "minutes_held": (figures or {}).get("minutes_held") or 0,
                "reviews_completed": (figures or {}).get("reviews_completed") or 0,
                "closed": closed,
            }
        )
    return rows


PAYOUT_CSV_HEADER = [
    "month",
    "mentor_id",
    "mentor",
    "sessions_held",
    "minutes_held",
    "reviews_completed",
    "closed",
]


def payout_csv_rows(*, fetched_by: Any, month: dt.date) -> list[list[str]]:
    """The CSV's rows (header first) from the same rows the page shows; text cells that a
    spreadsheet would run as a formula are neutralised with a leading apostrophe."""
    lines = [list(PAYOUT_CSV_HEADER)]
    for row in payout_rows(fetched_by=fetched_by, month=month):
        lines.append(
            [
                f"{month:%Y-%m}",
                str(row["mentor"]),
                neutralise(row["mentor_name"]),
                str(row["sessions_held"]),
                str(row["minutes_held"]),
                str(row["reviews_completed"]),
                "yes" if row["closed"] else "no",
            ]
        )
    return lines


def neutralise(text: str) -> str:
    if text and text[0] in "=+-@\t\r":
        return "'" + text
    return text
