"""``manage.py erase_learner --user USERNAME --actor STAFF [--yes]``.

Anonymises one learner (the "right to be forgotten"): the account becomes ``erased-<id>``,
inactive, with no name, email or usable password; free text in their logs, submissions, reviews,
sessions, pauses, help requests and notifications is blanked, in the audit history too. Statuses,
minutes, versions and dates stay, so aggregate progress does not change. Staff only, one
transaction, logged in the admin. Export first (``export_learner_data``) if the learner asked
for a copy: this cannot be undone.
"""

from __future__ import annotations

import sys

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from curriculum.kernel.signals import progress_inputs_change
from tracker.security.commands import as_command_error, staff_actor, user_named
from tracker.security.learner_data import learner_erase


class Command(BaseCommand):
    help = "Anonymise one learner, keeping aggregate progress (staff only, audited)."
    # call_command(..., interactive=False) from code: never prompt.
    stealth_options = ("interactive",)

    def add_arguments(self, parser) -> None:
        parser.add_argument("--user", required=True, help="Username of the learner.")
        parser.add_argument("--actor", required=True, help="Username of the staff member.")
        parser.add_argument(
            "--yes", action="store_true", help="Do not ask for confirmation (scripts)."
        )

    def handle(self, *args, user: str, actor: str, yes: bool = False, **options) -> None:
        staff = staff_actor(actor)
        learner = user_named(user, what="--user")
        if not yes:
            if not options.get("interactive", True) or not self._stdin_is_tty():
                raise CommandError("Refusing to erase without confirmation: add --yes.")
            answer = input(
                f"Erase {learner.get_username()} (id {learner.pk})? This cannot be undone. "
                "Type the username to confirm: "
            )
            if answer.strip() != learner.get_username():
                raise CommandError("Not confirmed; nothing was changed.")
        try:
            with transaction.atomic():
                counts = learner_erase(actor=staff, user=learner)
                # The learner's name shows in their progress rows: outdated with the erasure.
                progress_inputs_change(user_ids=[learner.pk])
        except (PermissionDenied, ValidationError) as exc:
            raise as_command_error(exc) from exc
        summary = ", ".join(f"{n} {name.replace('_', ' ')}" for name, n in counts.items())
        self.stdout.write(f"Erased learner {learner.pk} as erased-{learner.pk}: {summary}.")

    @staticmethod
    def _stdin_is_tty() -> bool:
        return sys.stdin.isatty()
