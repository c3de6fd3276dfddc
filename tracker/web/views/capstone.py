"""The capstone's live-model check on the pages: one deployed submission's results with "check
now" (the learner, their mentor, staff), and a cohort's capstones as live / failing / not
deployed (staff). Reads through ``tracker.deployments``; "check now" shares the API's rate
limit (``deployment_check`` per caller)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from curriculum.kernel.names import display_name
from curriculum.selectors import cohort_list
from learners.selectors import submission_list
from tracker.deployments import cohort_capstones, deployment_check_request, live_check
from tracker.deployments.selectors import STATES
from tracker.security.ratelimit import DEPLOYMENT_CHECK, hit, wait_text
from tracker.web.charts import uptime_latency
from tracker.web.views.common import page, role_required, safe_next

STATE_LABELS = {
    "live": gettext_lazy("Live"),
    "failing": gettext_lazy("Failing"),
    "pending": gettext_lazy("Not checked yet"),
    "not_deployed": gettext_lazy("Not deployed"),
}


def live_context(*, fetched_by, submission, return_to: str = "") -> dict:
    """What the live-check partial needs (the review page includes it too)."""
    live = live_check(fetched_by=fetched_by, submission=submission)
    return {
        "live": live,
        "live_chart": uptime_latency(live["history"], live["summary"]),
        "return_to": return_to,
    }


@login_required
def capstone_check(request: HttpRequest, pk: int) -> HttpResponse:
    submission = get_object_or_404(
        submission_list(fetched_by=request.user)
        .exclude(deployment_url="")
        .select_related("assignment", "enrollment", "enrollment__learner"),
        pk=pk,
    )
    here = reverse("capstone_check", args=[submission.pk])
    if request.method == "POST":
        wait = hit(DEPLOYMENT_CHECK, f"user:{request.user.pk}")
        if wait is not None:
            messages.error(
                request,
                _("Too many checks asked for; try again %(when)s.") % {"when": wait_text(wait)},
            )
        else:
            try:
                queued = deployment_check_request(actor=request.user, submission=submission)
            except ValidationError as error:
                messages.error(request, " ".join(error.messages))
            else:
                messages.success(
                    request,
                    _("The check is on its way; its result shows here in a moment.")
                    if queued
                    else _("The check could not be queued now; the scheduled check will run it."),
                )
        return redirect(safe_next(request, here))
    return page(
        request,
        "web/capstone_check.html",
        live_context(fetched_by=request.user, submission=submission),
    )


@role_required("staff")
def cohort_capstones_page(request: HttpRequest, pk: int) -> HttpResponse:
    cohort = get_object_or_404(cohort_list(fetched_by=request.user), pk=pk)
    context = cohort_capstones(fetched_by=request.user, cohort=cohort)
    for row in context["rows"]:
        row["name"] = display_name(row["enrollment"].learner)
        row["label"] = STATE_LABELS[row["state"]]
    context["states"] = [
        {"code": state, "label": STATE_LABELS[state], "count": context["counts"][state]}
        for state in STATES
    ]
    return page(request, "web/cohort_capstones.html", context)
