"""The caller's own preferences: time zone, reminder emails, quiet hours, calendar feed."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from tracker.notifications.services import preferences_for, preferences_update
from tracker.web.forms import PreferencesForm, apply_service_errors
from tracker.web.views.common import calendar_url, page


def _initial(preferences) -> dict:
    return {
        "timezone": preferences.timezone,
        "email_reminders": preferences.email_reminders,
        "email_muted_kinds": list(preferences.email_muted_kinds or []),
        "quiet_hours_start": preferences.quiet_hours_start,
        "quiet_hours_end": preferences.quiet_hours_end,
    }


@login_required
def preferences_page(request: HttpRequest) -> HttpResponse:
    preferences = preferences_for(request.user)
    if request.method == "POST":
        form = PreferencesForm(request.POST, current_timezone=preferences.timezone)
        if form.is_valid():
            try:
                preferences_update(actor=request.user, **form.cleaned_data)
            except ValidationError as error:
                apply_service_errors(form, error)
            except PermissionDenied as denied:
                form.add_error(None, str(denied) or "You may not change these preferences.")
            else:
                messages.success(request, "Your preferences were saved.")
                return redirect("preferences")
    else:
        form = PreferencesForm(initial=_initial(preferences), current_timezone=preferences.timezone)
    return page(
        request,
        "web/preferences.html",
        {
            "form": form,
            "calendar_url": calendar_url(request),
        },
    )
