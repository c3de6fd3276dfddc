"""Demo API tokens (issue 14): the staff account's "grading script" and each mentor's "laptop",
so the tokens page (``/security/tokens/``) and the admin's "API tokens" list show something.

Their values are thrown away (only a digest is ever stored): to call the API, make your own on
the tokens page or with ``POST /api/v1/auth/token/``. Idempotent: a person who already has a
token of that name gets no second one.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from tracker.models import ApiToken
from tracker.security.tokens import token_issue


def seed_api_tokens(*, staff: Any, mentors: Iterable[Any]) -> int:
    """Returns how many tokens were made."""
    wanted = [(staff, "grading script")] + [(mentor.user, "laptop") for mentor in mentors]
    made = 0
    for user, name in wanted:
        if not ApiToken.objects.filter(user=user, name=name).exists():
            token_issue(user=user, name=name)
            made += 1
    return made
