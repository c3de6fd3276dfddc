"""The person's language: English (the source language) or Spanish.

A signed-in person's ``UserPreferences.language`` wins; blank means "as my browser says", so the
request's ``Accept-Language`` decides (then English). Pages and API answers follow it through
``LanguageMiddleware``; emails and reminders, which have no browser behind them, are written in
the recipient's stored language (``language_of``/``languages_of`` and ``in_language``).

Sits below the feature rooms (it reads only ``tracker.models``), so notifications, the calendar
and the interfaces may all use it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager, nullcontext

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.utils import translation
from django.utils.cache import patch_vary_headers

from tracker.models import UserPreferences


def supported(code: str | None) -> str:
    """``code`` if Stride speaks it (``es-MX`` counts as ``es``), else the default language."""
    if code:
        with contextlib.suppress(LookupError):  # a language Stride does not speak
            return translation.get_supported_language_variant(code)
    return settings.LANGUAGE_CODE


# A person's stored choice is read on every signed-in request: it is kept in the cache (Redis in
# production; a cache outage falls back to the database) and forgotten when the row is saved
# (``tracker.receivers``).
LANGUAGE_CACHE_SECONDS = 600


def _language_key(user_id: int) -> str:
    return f"stride:language:{user_id}"


def stored_language(user_id: int) -> str:
    """``user_id``'s stored choice ("" = follow the browser), from the cache when it can."""
    key = _language_key(user_id)
    value = cache.get(key)
    if value is None:
        value = (
            UserPreferences.objects.filter(user_id=user_id)
            .values_list("language", flat=True)
            .first()
            or ""
        )
        cache.set(key, value, LANGUAGE_CACHE_SECONDS)
    return value


def forget_language(user_id: int) -> None:
    """Drop the cached choice (called when the preferences row is saved or deleted)."""
    cache.delete(_language_key(user_id))


def language_of(user) -> str:
    """The language an email to ``user`` is written in: their preference, else the default."""
    if user is None or getattr(user, "pk", None) is None:
        return settings.LANGUAGE_CODE
    cached = getattr(user, "_stride_language", None)
    if cached is not None:
        return cached
    return supported(stored_language(user.pk))


def languages_of(user_ids: Iterable[int]) -> dict[int, str]:
    """``user id -> language`` for those who chose one other than the default (one query per
    500 ids); everyone missing from the answer reads the default language."""
    ids = sorted(set(user_ids))
    found: dict[int, str] = {}
    for start in range(0, len(ids), 500):
        rows = (
            UserPreferences.objects.filter(user_id__in=ids[start : start + 500])
            .exclude(language="")
            .values_list("user_id", "language")
        )
        for user_id, code in rows:
            language = supported(code)
            if language != settings.LANGUAGE_CODE:
                found[user_id] = language
    return found


def chosen_languages() -> dict[int, str]:
    """``user id -> language`` of everyone who chose a language other than the default: the
    reminder sweep reads it once (few people, one query) instead of once per recipient."""
    found: dict[int, str] = {}
    rows = UserPreferences.objects.exclude(language="").values_list("user_id", "language")
    for user_id, code in rows.iterator(chunk_size=2000):
        language = supported(code)
        if language != settings.LANGUAGE_CODE:
            found[user_id] = language
    return found


def in_language(language: str | None) -> AbstractContextManager:
    """Translate in ``language`` inside the block (nothing to switch when it is already on)."""
    language = supported(language)
    if translation.get_language() == language:
        return nullcontext()
    return translation.override(language)


def language_for(request: HttpRequest, stored: str | None) -> str:
    """A stored preference, else what the browser asks for (then English)."""
    if stored:
        return supported(stored)
    return translation.get_language_from_request(request, check_path=False)


def request_language(request: HttpRequest) -> str:
    """The signed-in person's preference, else what the browser asks for, else English."""
    user = getattr(request, "user", None)
    stored = None
    if user is not None and user.is_authenticated:
        stored = stored_language(user.pk)
    return language_for(request, stored)


class LanguageMiddleware:
    """Activates the request's language (``request_language``) for the view and its templates,
    and tells caches and the browser which language the answer is in. After the
    authentication middleware (it reads ``request.user``)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        language = request_language(request)
        user = getattr(request, "user", None)
        # Whose preference was applied: the API applies a token caller's after authenticating.
        request.stride_language_user = (
            user.pk if user is not None and user.is_authenticated else None
        )
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
        try:
            response = self.get_response(request)
            # The view may have switched (the API, for a token-authenticated caller).
            language = translation.get_language() or language
        finally:
            translation.deactivate()
        patch_vary_headers(response, ("Accept-Language", "Cookie"))
        response.headers.setdefault("Content-Language", language)
        return response
