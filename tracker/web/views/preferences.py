"""The caller's own preferences: time zone, reminder emails, quiet hours, calendar feed."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import translation
from django.utils.translation import gettext as _

from curriculum.kernel.forms import service_errors
from tracker.dashboards import preferences_page as preferences_of
from tracker.languages import language_for
from tracker.notifications import preferences_update
from tracker.web.forms import PreferencesForm
from tracker.web.views.common import page


def _initial(preferences) -> dict:
    return {
        "timezone": preferences.timezone,
        "email_reminders": preferences.email_reminders,
        "email_muted_kinds": list(preferences.email_muted_kinds or []),
        "quiet_hours_start": preferences.quiet_hours_start,
        "quiet_hours_end": preferences.quiet_hours_end,
        "language": preferences.language,
        "theme": preferences.theme,
    }


@login_required
def preferences_page(request: HttpRequest) -> HttpResponse:
    context = preferences_of(fetched_by=request.user)
    preferences = context["preferences"]
    if request.method == "POST":
        form = PreferencesForm(request.POST, current_timezone=preferences.timezone)
        if form.is_valid():
            with service_errors(form, _("You may not change these preferences.")):
                saved = preferences_update(actor=request.user, **form.cleaned_data)
                # Said in the language just chosen, as the next page will be.
                translation.activate(language_for(request, saved.language))
                messages.success(request, _("Your preferences were saved."))
                return redirect("preferences")
    else:
        form = PreferencesForm(initial=_initial(preferences), current_timezone=preferences.timezone)
    return page(request, "web/preferences.html", {**context, "form": form})
