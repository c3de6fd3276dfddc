"""``manage.py seed_demo [--learners N] [--password P]``: the demo bootcamp, ready to explore."""

import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from tracker.seed import seed_demo
from tracker.seed.passwords import DEMO_PASSWORD, DemoPasswordRefused, demo_password

DEFAULT_LEARNERS = 24
# Beyond this many, the learner accounts are summarised instead of listed one by one.
LIST_LIMIT = 30


class Command(BaseCommand):
    help = (
        "Create (or top up) the reference ML Engineering & AI bootcamp with a cohort ten weeks "
        "in, mentors, staff and learners with realistic histories, then print the accounts. "
        "Safe to run again: existing data is kept and only missing learners are added."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--learners",
            type=int,
            default=DEFAULT_LEARNERS,
            help=f"How many learners the demo cohort should have (default {DEFAULT_LEARNERS}).",
        )
        parser.add_argument(
            "--password",
            default=None,
            help=f"Password of every demo account (default “{DEMO_PASSWORD}” while "
            "DJANGO_DEBUG is true; required, and not that one, when it is false).",
        )

    def handle(self, *args, learners: int, password: str | None, **options) -> None:
        if learners < 0:
            raise CommandError("--learners must be zero or more.")
        try:
            password = demo_password(password, debug=settings.DEBUG)
        except DemoPasswordRefused as refused:
            raise CommandError(str(refused)) from None
        started = time.perf_counter()
        # The seed announces progress_inputs_changed(everything=True) in its own transaction:
        # every stored report row is computed again when next read.
        result = seed_demo(learners=learners, password=password)
        elapsed = time.perf_counter() - started

        out = self.stdout
        out.write(
            self.style.SUCCESS(
                f"Demo ready in {elapsed:.1f} s: “{result.program}”, cohort “{result.cohort}” "
                f"(started {result.cohort.start_date:%Y-%m-%d}, {result.cohort.timezone}); "
                f"{result.learners_created} learner(s) and {result.mentors_created} mentor(s) "
                f"added, {len(result.learner_usernames)} learner(s) in the cohort."
            )
        )
        out.write("")
        base_url = getattr(settings, "STRIDE_BASE_URL", "http://127.0.0.1:8000").rstrip("/")
        out.write(f"Open {base_url}/ and sign in (admin: {base_url}/admin/).")
        out.write(f"Every account's password: {password}")
        out.write("")
        out.write(f"  {result.staff_username:<16} staff (program manager, admin)")
        for username in result.mentor_usernames[:LIST_LIMIT]:
            out.write(f"  {username:<16} mentor")
        if len(result.mentor_usernames) > LIST_LIMIT:
            out.write(
                f"  … mentor{LIST_LIMIT + 1} to {result.mentor_usernames[-1]} "
                f"({len(result.mentor_usernames)} mentors in all)"
            )
        for username in result.learner_usernames[:LIST_LIMIT]:
            story = result.stories.get(username, "")
            out.write(
                f"  {username:<16} learner, {story}" if story else f"  {username:<16} learner"
            )
        if len(result.learner_usernames) > LIST_LIMIT:
            out.write(
                f"  … learner{LIST_LIMIT + 1} to {result.learner_usernames[-1]} "
                f"({len(result.learner_usernames)} learners in all; stories repeat every 24)"
            )
        if result.alumni_usernames:
            span = f"{result.alumni_usernames[0]}…{result.alumni_usernames[-1]}"
            out.write(f"  {span:<16} learners of the finished cohort (graduated, one withdrew)")
