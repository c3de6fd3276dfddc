"""What the two learner-data commands share: finding the people named on the command line."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import CommandError

from curriculum.kernel.access import is_staff


def user_named(username: str, *, what: str) -> Any:
    try:
        return get_user_model().objects.get_by_natural_key(username)
    except get_user_model().DoesNotExist:
        raise CommandError(f"No user named {username!r} ({what}).") from None


def staff_actor(username: str) -> Any:
    actor = user_named(username, what="--actor")
    if not is_staff(actor):
        raise CommandError(f"{username!r} is not active staff; only staff may run this command.")
    return actor


def as_command_error(exc: Exception) -> CommandError:
    if isinstance(exc, ValidationError):
        return CommandError("; ".join(exc.messages))
    if isinstance(exc, PermissionDenied):
        return CommandError(str(exc) or "Not allowed.")
    return CommandError(str(exc))
