"""``manage.py export_learner_data --user USERNAME --actor STAFF [--output FILE]``.

Everything Stride holds about one learner as JSON (profile, preferences, enrollments with pauses
and pairings, progress logs, submissions with reviews, sessions, help requests, notifications).
Staff only; the export is logged in the admin under the staff member's name. The file is
written readable by its owner only: it holds personal data.
"""

from __future__ import annotations

import json
import os

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.core.serializers.json import DjangoJSONEncoder

from tracker.security.commands import as_command_error, staff_actor, user_named
from tracker.security.learner_data import learner_export


class Command(BaseCommand):
    help = "Export one learner's data as JSON (staff only, audited)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--user", required=True, help="Username of the learner.")
        parser.add_argument("--actor", required=True, help="Username of the staff member.")
        parser.add_argument("--output", default=None, help="Write to this file (default stdout).")

    def handle(self, *args, user: str, actor: str, output: str | None = None, **options) -> None:
        staff = staff_actor(actor)
        learner = user_named(user, what="--user")
        try:
            data = learner_export(actor=staff, user=learner)
        except (PermissionDenied, ValidationError) as exc:
            raise as_command_error(exc) from exc
        text = json.dumps(data, cls=DjangoJSONEncoder, indent=2, ensure_ascii=False) + "\n"
        if not output:
            self.stdout.write(text, ending="")
            return
        try:
            descriptor = os.open(output, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
                handle.write(text)
        except OSError as exc:
            raise CommandError(f"Cannot write {output}: {exc.strerror}") from exc
        self.stderr.write(f"Exported {learner.get_username()} to {output}.")
