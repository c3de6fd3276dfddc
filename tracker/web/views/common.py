"""What every page needs: the caller's role in the context, role gates, safe ``next``
addresses, and the few actions shared by every role's page (notification read, calendar link).

The pages interface: each view resolves the object its address names in the caller's scope
(404 otherwise), then makes one call: into a selector for what a page shows (adding only
forms, labels and drawing), or into a service for a write, whose refusal is shown in place
(``service_errors`` puts it on the form). Imports the feature rooms and the lower apps, never
``tracker.api``."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from mentors.roles import role_of
from tracker.dashboards import staff_home
from tracker.notifications import (
    calendar_token_rotate,
    notification_list,
    notification_mark_read,
)
from tracker.web.charts import PACE_LABELS, PACES, RISK_REASON_TEXT

STAFF_HOME_COLUMNS = (
    ("name", _("Cohort")),
    ("week", _("Week")),
    ("behind", _("Pace")),
    ("at_risk", _("At risk")),
    ("reviews", _("Reviews waiting")),
    ("oldest_wait", _("Oldest wait")),
    ("missed", _("Sessions missed this week")),
    ("help", _("Open help requests")),
)


def page(request: HttpRequest, template: str, context: dict, *, status: int = 200) -> HttpResponse:
    """Render ``context`` (a selector's answer plus the page's forms) with the caller's role;
    a ``calendar_path`` is shown as an address on the host the caller used."""
    context = {"stride_role": role_of(request.user), **context}
    if context.get("calendar_path"):
        context["calendar_url"] = request.build_absolute_uri(context["calendar_path"])
    return render(request, template, context, status=status)


def role_required(*roles: str) -> Callable:
    """Signed-in users of one of ``roles``; anyone else signed in gets 403."""

    def decorator(view: Callable) -> Callable:
        @login_required
        @wraps(view)
        def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if role_of(request.user) not in roles:
                raise PermissionDenied(_("This page is not for your role."))
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Sends each role to its home page."""
    role = role_of(request.user)
    if role == "staff":
        return staff_home_page(request)
    if role == "mentor":
        return redirect("mentor_home")
    return redirect("learner_home")


def staff_home_page(request: HttpRequest) -> HttpResponse:
    """The program's morning view: every running cohort as a sortable row
    (``tracker.dashboards.staff_home``), each number a link to the list behind it."""
    context = staff_home(fetched_by=request.user, sort=request.GET.get("sort", "-at_risk"))
    for row in context["rows"]:
        row["reason_texts"] = [RISK_REASON_TEXT.get(code, code) for code in row["top_reasons"]]
        row["pace_counts"] = [
            {"pace": pace, "label": PACE_LABELS[pace], "count": row["paces"][pace]}
            for pace in PACES
        ]
    key, descending = context["sort"].removeprefix("-"), context["sort"].startswith("-")
    context["columns"] = [
        {
            "key": name,
            "label": label,
            # A click sorts by the column, numbers most first; a second click reverses.
            "sort": (name if descending else f"-{name}")
            if name == key
            else (name if name in ("name", "week") else f"-{name}"),
            "aria_sort": ("descending" if descending else "ascending") if name == key else None,
        }
        for name, label in STAFF_HOME_COLUMNS
    ]
    return page(request, "web/staff_home.html", context)


@login_required
@require_POST
def mark_notification_read(request: HttpRequest, pk: int) -> HttpResponse:
    notification = get_object_or_404(notification_list(fetched_by=request.user), pk=pk)
    notification_mark_read(actor=request.user, notification=notification)
    return redirect(safe_next(request, reverse("home")))


def safe_next(request: HttpRequest, default: str) -> str:
    """The ``next`` address posted with a form when it stays on this site, else ``default``."""
    next_url = request.POST.get("next", "")
    if next_url and url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return next_url
    return default


@login_required
@require_POST
def rotate_calendar(request: HttpRequest) -> HttpResponse:
    """The first feed address, or a new one: the old one stops working at once (e.g. after it
    was shared)."""
    calendar_token_rotate(actor=request.user)
    messages.success(
        request,
        _(
            "Your calendar link is ready: subscribe to it in your calendar app. "
            "An earlier link no longer works."
        ),
    )
    return redirect(safe_next(request, reverse("home")))
