"""The private calendar feed, ``GET /calendar/<token>.ics``: one call into
``tracker.calendar.calendar_feed_text``; the token in the address is the only credential.
Part of the pages interface: imports the calendar room, never ``tracker.api``."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from tracker.calendar import calendar_feed_text


@require_GET
def calendar_feed(request: HttpRequest, token: str) -> HttpResponse:
    text = calendar_feed_text(token=token)
    if text is None:
        raise Http404(_("No such calendar."))
    response = HttpResponse(text, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="stride.ics"'
    # Private, unindexed and never sent as a referrer: the address itself is the secret.
    response["Cache-Control"] = "private, max-age=300"
    response["X-Robots-Tag"] = "noindex"
    response["Referrer-Policy"] = "no-referrer"
    return response
