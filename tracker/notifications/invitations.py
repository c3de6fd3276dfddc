"""Invitations: the email a new account gets to choose its password, sent through the outbox.

One ``invitation`` notification per person and cohort, written in the caller's transaction and
emailed after commit like every reminder: a rolled-back caller leaves neither row nor email.
The set-your-password link is made when the email is rendered, never stored: its token expires
and must not sit in the notifications table. May import the lower apps, the kernel and
``tracker.models``; the roster room calls it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from curriculum.kernel import clock
from curriculum.kernel.access import is_staff
from curriculum.models import Cohort
from tracker.languages import in_language, languages_of
from tracker.models import Notification

from .outbox import publish_emails

# Existing keys are looked up this many at a time (SQLite bounds a query's parameters).
KEY_LOOKUP_CHUNK = 500


def invitation_key(user: Any, cohort: Cohort) -> str:
    return f"invitation:{user.pk}:{cohort.pk}"


def _row(user: Any, cohort: Cohort, now: Any, language: str | None) -> Notification:
    with in_language(language):
        subject = _("You are invited to %(cohort)s on Stride") % {"cohort": cohort.name}
        body = _("You have been enrolled in %(cohort)s.") % {"cohort": cohort.name}
    notification = Notification(
        recipient=user,
        kind=Notification.Kind.INVITATION,
        subject=subject[:300],
        body=body,
        link="",
        dedupe_key=invitation_key(user, cohort),
        created_at=now,
    )
    # The recipient is a row the caller holds (no lookup per row); the unique key is checked by
    # the database.
    notification.full_clean(
        exclude=["recipient"], validate_unique=False, validate_constraints=False
    )
    return notification


def invitations_create(
    *, users: Iterable[Any], cohort: Cohort, invited_by: Any
) -> list[Notification]:
    """The invitation of each of ``users`` to ``cohort`` (staff only), in the order given; a
    person invited before keeps the first row and gets no second email. Written in bulk: a
    concurrent writer of the same key fails the caller's transaction rather than send twice."""
    if not is_staff(invited_by):
        raise PermissionDenied(_("Only staff invite people."))
    by_key = {invitation_key(user, cohort): user for user in users}
    if not by_key:
        return []
    keys = list(by_key)
    existing = {
        row.dedupe_key: row
        for start in range(0, len(keys), KEY_LOOKUP_CHUNK)
        for row in Notification.objects.filter(
            dedupe_key__in=keys[start : start + KEY_LOOKUP_CHUNK]
        )
    }
    now = clock.now()
    # A person invited again may have chosen a language meanwhile; new accounts have none yet.
    fresh = {key: user for key, user in by_key.items() if key not in existing}
    languages = languages_of(user.pk for user in fresh.values() if user.pk is not None)
    with transaction.atomic():
        new = Notification.objects.bulk_create(
            [_row(user, cohort, now, languages.get(user.pk)) for user in fresh.values()]
        )
        ids = [row.pk for row in new]
        if ids:
            transaction.on_commit(lambda: publish_emails(ids))
    made = {row.dedupe_key: row for row in new}
    return [existing.get(key) or made[key] for key in keys]


def invitation_create(*, user: Any, cohort: Cohort, invited_by: Any) -> Notification:
    """The invitation of ``user`` to ``cohort``: see ``invitations_create``."""
    return invitations_create(users=[user], cohort=cohort, invited_by=invited_by)[0]
