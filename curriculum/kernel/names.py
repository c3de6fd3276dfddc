"""How a person is shown: their full name, else their username."""

from __future__ import annotations

from typing import Any


def display_name(user: Any) -> str:
    """``user``'s full name, else their username."""
    return user.get_full_name() or user.get_username()


def display_name_of(first: str, last: str, username: str) -> str:
    """``display_name`` from plain column values (rows read without building a User)."""
    return f"{first} {last}".strip() or username
