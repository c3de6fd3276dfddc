"""What every page needs: the caller's role in the context and role gates."""

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
from django.views.decorators.http import require_POST

from mentors.models import MentorSession
from mentors.roles import role_of
from mentors.selectors import session_list
from tracker.calendar import calendar_path, calendar_token_rotate
from tracker.notifications.selectors import notification_list
from tracker.notifications.services import notification_mark_read, preferences_ensure


def page(request: HttpRequest, template: str, context: dict, *, status: int = 200) -> HttpResponse:
    context = {"stride_role": role_of(request.user), **context}
    return render(request, template, context, status=status)


def role_required(*roles: str) -> Callable:
    """Signed-in users of one of ``roles``; anyone else signed in gets 403."""

    def decorator(view: Callable) -> Callable:
        @login_required
        @wraps(view)
        def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if role_of(request.user) not in roles:
                raise PermissionDenied("This page is not for your role.")
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Sends each role to its home page."""
    role = role_of(request.user)
    if role == "staff":
        return redirect("staff_cohorts")
    if role == "mentor":
        return redirect("mentor_home")
    return redirect("learner_home")


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


def calendar_url(request: HttpRequest) -> str:
    """The absolute address of the caller's private calendar feed."""
    return request.build_absolute_uri(calendar_path(preferences_ensure(user=request.user)))


@login_required
@require_POST
def rotate_calendar(request: HttpRequest) -> HttpResponse:
    """A new feed address; the old one stops working at once (e.g. after it was shared)."""
    calendar_token_rotate(actor=request.user)
    messages.success(request, "Your calendar link was replaced: subscribe again with the new one.")
    return redirect(safe_next(request, reverse("home")))


def enrollment_sessions(user, enrollment) -> dict:
    """The sessions of one enrollment that a page lists: every scheduled one, soonest first,
    and the last few that were decided (completed, missed, cancelled)."""
    sessions = session_list(fetched_by=user).filter(enrollment=enrollment)
    scheduled = MentorSession.Status.SCHEDULED
    return {
        "upcoming_sessions": list(sessions.filter(status=scheduled).order_by("scheduled_at")[:20]),
        "past_sessions": list(sessions.exclude(status=scheduled).order_by("-scheduled_at")[:5]),
    }


def named_scores(review, criteria: dict) -> list[dict]:
    """A review's rubric scores as ``{name, score, max}``, named by ``criteria`` (criterion id
    as text → criterion); a score of a criterion since removed keeps its id as its name."""
    return [
        {
            "name": criteria[key].name if key in criteria else key,
            "score": score,
            "max": criteria[key].max_score if key in criteria else None,
        }
        for key, score in (review.scores or {}).items()
    ]
