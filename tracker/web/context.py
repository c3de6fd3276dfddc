"""What base.html needs on every page, signed in or not."""

from __future__ import annotations

from django.http import HttpRequest

from tracker.models import Theme, UserPreferences


def theme(request: HttpRequest) -> dict[str, str]:
    """``stride_theme``: the signed-in user's forced theme, else ``auto`` (the browser's
    prefers-color-scheme decides). Reads the preferences row the page's own reads usually
    load already (``user.preferences`` is cached on the user)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"stride_theme": Theme.AUTO.value}
    try:
        return {"stride_theme": user.preferences.theme}
    except UserPreferences.DoesNotExist:
        return {"stride_theme": Theme.AUTO.value}
