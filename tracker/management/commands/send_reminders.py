"""``manage.py send_reminders [--dry-run] [--date YYYY-MM-DD]``: one reminder sweep, here and now.

The sweep runs in this process (no worker needed); the emails of its new notifications are
handed to the broker in one task once the sweep is over, and the outbox flush delivers them if
the broker is away. A past ``--date`` replays that day's sweep: only reminders never created
are created.
"""

from __future__ import annotations

import datetime as dt
import sys

from django.core.management.base import BaseCommand, CommandError

from curriculum.kernel import clock
from tracker.mentoring.reminders import session_followups_sweep
from tracker.notifications import sweep


class Command(BaseCommand):
    help = "Run one reminder sweep now and print what it sent (or would send)."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Show the reminders that would be created, and create nothing.",
        )
        parser.add_argument(
            "--date",
            type=str,
            default=None,
            help="Replay the sweep of this past day (YYYY-MM-DD); nothing is sent twice.",
        )

    def handle(self, *args, dry_run: bool = False, date: str | None = None, **options) -> None:
        day = None
        if date:
            try:
                day = dt.date.fromisoformat(date)
            except ValueError as exc:
                raise CommandError(f"--date must be YYYY-MM-DD, not “{date}”.") from exc
            if day > clock.today():
                raise CommandError("--date cannot be in the future.")

        progress = self._progress_bar() if sys.stderr.isatty() else None
        result = sweep.run_sweep(
            day=day, dry_run=dry_run, keep_reminders=dry_run, progress=progress
        )
        if progress:
            sys.stderr.write("\n")
        if not dry_run and day is None:
            # The session follow-ups (session_unmarked, rate_session) have their own periodic
            # task; a sweep by hand runs them too. Each is once per session (dedupe keys).
            for kind, count in session_followups_sweep().items():
                if count:
                    result.created[kind] = result.created.get(kind, 0) + count

        label = "Would create" if dry_run else "Created"
        when = f" for {day.isoformat()}" if day else ""
        self.stdout.write(
            f"{label} {sum(result.created.values())} notification(s){when} "
            f"over {result.enrollments} active enrollment(s)."
        )
        for kind in sorted(result.created):
            self.stdout.write(f"  {kind:<20} {result.created[kind]}")
        if dry_run:
            for reminder in result.reminders:
                self.stdout.write(
                    f"  → user {reminder.recipient_id:<6} {reminder.kind:<18} "
                    f"{reminder.subject}  [{reminder.dedupe_key}]"
                )
        elif result.created:
            self.stdout.write("Emails are queued for delivery (the outbox flush retries them).")

    def _progress_bar(self):
        width = 30

        def show(done: int, total: int) -> None:
            share = done / total if total else 1.0
            filled = int(width * share)
            sys.stderr.write(
                f"\rSweeping [{'#' * filled}{'.' * (width - filled)}] {done}/{total} enrollments"
            )
            sys.stderr.flush()

        return show
