"""The capstone's live-model check on the pages: one deployed submission's results with "check
now" (the learner, their mentor, staff), and a cohort's capstones as live / failing / not
deployed (staff). Reads through ``tracker.deployments``; "check now" shares the API's rate
limit (``deployment_check`` per caller)."""

from __future__ import annotations

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from curriculum.kernel.forms import service_errors
from curriculum.kernel.names import display_name
from curriculum.selectors import cohort_list
from learners.rules import OfEnrollment
from learners.selectors import submission_list
from tracker.deployments import (
    cohort_capstones,
    deployment_check_request,
    live_check,
    prediction_examples_set,
)
from tracker.deployments.selectors import STATES
from tracker.security.ratelimit import DEPLOYMENT_CHECK, hit, wait_text
from tracker.web.capstone_forms import PredictionExamplesForm
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


def _may_add_examples(user, submission) -> bool:
    """The learner's current mentor and staff edit the extra examples (the service decides;
    this only hides a form that could not succeed)."""
    return user.is_staff or OfEnrollment("", learner=False).check(user, submission.enrollment)


def _examples_form(submission, data=None) -> PredictionExamplesForm:
    current = submission.enrollment.prediction_examples or []
    initial = {"examples": json.dumps(current, indent=2, ensure_ascii=False) if current else ""}
    return PredictionExamplesForm(data, initial=initial)


def _deployed_submission(request: HttpRequest, pk: int):
    return get_object_or_404(
        submission_list(fetched_by=request.user)
        .exclude(deployment_url="")
        .select_related("assignment", "enrollment", "enrollment__learner"),
        pk=pk,
    )


def _page(request: HttpRequest, submission, *, examples_form=None, status: int = 200):
    context = live_context(fetched_by=request.user, submission=submission)
    if _may_add_examples(request.user, submission):
        context["examples_form"] = examples_form or _examples_form(submission)
    return page(request, "web/capstone_check.html", context, status=status)


@login_required
def capstone_examples(request: HttpRequest, pk: int) -> HttpResponse:
    """The mentor (or staff) replaces the learner's extra examples; errors shown in place."""
    submission = _deployed_submission(request, pk)
    if request.method != "POST":
        return redirect("capstone_check", pk=submission.pk)
    if not _may_add_examples(request.user, submission):
        raise PermissionDenied(_("Only the learner's mentor or staff add examples."))
    form = _examples_form(submission, request.POST)
    if form.is_valid():
        with service_errors(form, _("You may not change this learner's examples.")):
            prediction_examples_set(
                actor=request.user,
                enrollment=submission.enrollment,
                examples=form.cleaned_data["examples"],
            )
            messages.success(request, _("The extra examples are saved."))
            return redirect(reverse("capstone_check", args=[submission.pk]) + "#examples")
    return _page(request, submission, examples_form=form, status=400)


@login_required
def capstone_check(request: HttpRequest, pk: int) -> HttpResponse:
    submission = _deployed_submission(request, pk)
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
    return _page(request, submission)


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
