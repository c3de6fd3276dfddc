"""Which password the demo accounts get: the documented demo password only while developing.

In production (``DEBUG`` off) the demo would otherwise create a superuser ``staff`` whose
password is printed in the README; there the operator must choose one.
"""

from __future__ import annotations

DEMO_PASSWORD = "stride-demo"


class DemoPasswordRefused(ValueError):
    """No password may be assumed here; the message says what to pass."""


def demo_password(given: str | None, *, debug: bool) -> str:
    """The password for every demo account: ``given``, else the demo password when ``debug``.
    Without ``debug``, refuses a missing password and the documented demo password."""
    if given is not None and not given:
        raise DemoPasswordRefused("--password must not be empty.")
    if debug:
        return given or DEMO_PASSWORD
    if given is None:
        raise DemoPasswordRefused(
            "DJANGO_DEBUG is false: seed_demo will not create accounts with the documented demo "
            "password. Choose one with --password P (it becomes the password of every demo "
            "account, the staff superuser included)."
        )
    if given == DEMO_PASSWORD:
        raise DemoPasswordRefused(
            f"DJANGO_DEBUG is false: “{DEMO_PASSWORD}” is the documented demo password; pass "
            "another one with --password P."
        )
    return given
