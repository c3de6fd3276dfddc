"""Staff pages: cohorts, one cohort at a glance (pace, chart, at-risk, mentor load, heat map,
roster import), one enrollment, pairing with ranked suggestions, and program insights. Their
data: ``tracker.dashboards`` (``cohorts_page``, ``cohort_page``, ``enrollment_page``),
``tracker.suggestions.pairing_choices``, ``tracker.insights.program_insights``; here only
forms, labels and drawing."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST

from curriculum.kernel.forms import service_errors
from curriculum.kernel.names import display_name
from curriculum.selectors import cohort_list, program_list
from learners.models import Enrollment
from learners.selectors import enrollment_list
from learners.services import enrollment_pause, enrollment_set_status
from mentors.services import pairing_assign
from tracker.dashboards import cohort_page, cohorts_page, enrollment_page
from tracker.graduation import certificate_list, certificate_revoke, enrollment_graduate
from tracker.insights import program_insights
from tracker.roster import RosterError, roster_import
from tracker.security import ratelimit
from tracker.suggestions import pairing_choices
from tracker.web.charts import (
    PACE_LABELS,
    PACES,
    Bar,
    heat_map,
    pace_distribution,
    scatter,
    standing,
)
from tracker.web.forms import (
    CertificateRevokeForm,
    EnrollmentStatusForm,
    PairingForm,
    PauseForm,
    RosterImportForm,
)
from tracker.web.tables import cohort_at_risk_rows, cohort_learner_rows, reviews_waiting_items
from tracker.web.views.common import page, role_required, safe_next

staff_only = role_required("staff")


@staff_only
def cohorts(request: HttpRequest) -> HttpResponse:
    cohorts = cohorts_page(fetched_by=request.user)
    return page(request, "web/staff_cohorts.html", {"cohorts": cohorts})


def _cohort_page(
    request: HttpRequest, cohort, *, roster_form=None, roster_errors=None
) -> HttpResponse:
    context = cohort_page(fetched_by=request.user, cohort=cohort)
    for row in context["rows"]:  # the at-risk list holds the same rows
        row.update(standing(row["progress"]))
        row["bar_html"] = row["bar"].html(
            label=_("Progress of %(name)s") % {"name": row["name"]}, thin=True
        )
    for load in context["load"]:
        active, capacity = load["active"], load["capacity"]
        load["bar"] = Bar(100 * active / capacity if capacity else 100, None, _("Load"))
        load["bar_html"] = load["bar"].html(
            label=_("Load of %(mentor)s") % {"mentor": load["mentor"].user.get_username()},
            thin=True,
        )
    rows = context["rows"]
    chart = scatter(
        {
            "expected": row["progress"].expected_percent,
            "actual": row["progress"].percent_complete,
            "pace": row["progress"].pace,
            "title": (
                f"{row['name']}: {row['progress'].percent_complete:.0f}% done, "
                f"{row['progress'].expected_percent:.0f}% expected"
            ),
        }
        for row in rows
    )
    # ?pace= narrows the list of all learners to one pace (the staff home's pace counts).
    pace = request.GET.get("pace")
    pace = pace if pace in PACES else None
    listed = [row for row in rows if pace is None or row["progress"].pace == pace]
    context |= {
        "pace_filter": pace,
        "pace_filter_label": PACE_LABELS.get(pace, ""),
        "listed": listed,
        "listed_html": cohort_learner_rows(listed),
        **_long_lists(request, context),
        "distribution": pace_distribution(row["progress"].pace for row in rows),
        "chart": chart,
        "matrix": heat_map(context["matrix"]),
        "csv_url": f"/api/v1/cohorts/{cohort.pk}/progress.csv",
        "roster_form": roster_form or RosterImportForm(),
        "roster_errors": roster_errors or [],
    }
    return page(request, "web/cohort_detail.html", context)


# The cohort page lists the 20 most urgent learners at risk, the oldest waiting reviews and open
# help requests; "show all" (``?risk=all``, ``?reviews=all``, ``?help=all``) lists every one (a
# cohort can have hundreds: each is a table row, a row read with its learner, or an answer form).
FIRST_SHOWN = 20


def _first_of(request: HttpRequest, items, *, param: str, anchor: str) -> tuple[list, int, str]:
    """The first ``FIRST_SHOWN`` of ``items`` in their order (a queryset, or a list already
    read; all of them with ``?<param>=all``), how many there are, and, when some are left out,
    the address of this page that lists them all."""
    every = request.GET.get(param) == "all"
    shown = list(items if every else items[: FIRST_SHOWN + 1])
    if every or len(shown) <= FIRST_SHOWN:
        return shown, len(shown), ""
    query = request.GET.copy()
    query[param] = "all"
    count = len(items) if isinstance(items, list) else items.count()
    return shown[:FIRST_SHOWN], count, f"?{query.urlencode()}#{anchor}"


def _long_lists(request: HttpRequest, context: dict) -> dict:
    # The most urgent first (``cohort_overview`` orders them), like the oldest waits below.
    at_risk, at_risk_count, at_risk_all = _first_of(
        request, context["at_risk"], param="risk", anchor="risk-title"
    )
    waiting, waiting_count, waiting_all = _first_of(
        request, context["reviews_waiting"], param="reviews", anchor="reviews-waiting"
    )
    help_requests, help_count, help_all = _first_of(
        request, context["help_requests"], param="help", anchor="cohort-help-title"
    )
    return {
        "at_risk_html": cohort_at_risk_rows(at_risk),
        "at_risk_all_url": at_risk_all,
        "at_risk_count": at_risk_count,
        "reviews_waiting_count": waiting_count,
        "reviews_waiting_html": reviews_waiting_items(waiting),
        "reviews_waiting_all_url": waiting_all,
        "help_requests": help_requests,
        "help_requests_count": help_count,
        "help_requests_all_url": help_all,
    }


@staff_only
def cohort_detail(request: HttpRequest, pk: int) -> HttpResponse:
    cohort = get_object_or_404(cohort_list(fetched_by=request.user), pk=pk)
    return _cohort_page(request, cohort)


@staff_only
def cohort_roster(request: HttpRequest, pk: int) -> HttpResponse:
    cohort = get_object_or_404(cohort_list(fetched_by=request.user), pk=pk)
    if request.method != "POST":
        return redirect("cohort_detail", pk=cohort.pk)
    form = RosterImportForm(request.POST, request.FILES)
    row_errors: list[dict] = []
    # One budget with the API's roster upload (per staff member).
    wait = ratelimit.hit(ratelimit.ROSTER, f"user:{request.user.pk}")
    if wait is not None:
        form.is_valid()
        form.add_error(
            None,
            _("Too many roster imports. Nothing was imported; try again %(when)s.")
            % {"when": ratelimit.wait_text(wait)},
        )
        response = _cohort_page(request, cohort, roster_form=form)
        response.status_code = 429
        response["Retry-After"] = str(wait)
        return response
    if form.is_valid():
        upload = form.cleaned_data["file"]
        limit = settings.STRIDE_MAX_UPLOAD_BYTES
        if upload.size > limit:
            form.add_error(
                "file", _("The file is larger than %(size)s KB.") % {"size": limit // 1024}
            )
        else:
            try:
                result = roster_import(actor=request.user, cohort=cohort, content=upload.read())
            except RosterError as error:
                row_errors = roster_row_errors(error)
                for message in error.file:
                    form.add_error("file", message)
                if row_errors:
                    form.add_error(
                        "file", _("Nothing was imported: fix the rows below and upload again.")
                    )
            except PermissionDenied as denied:
                form.add_error(None, str(denied))
            else:
                messages.success(request, roster_summary(result))
                return redirect(reverse("cohort_detail", args=[cohort.pk]) + "#roster")
    return _cohort_page(request, cohort, roster_form=form, roster_errors=row_errors)


def roster_row_errors(error: RosterError) -> list[dict]:
    """One entry per bad line, ``{"row": line, "messages": ["email: ...", ...]}``, in order."""
    by_row: dict[int, list[str]] = {}
    for item in error.rows:
        field = item.get("field")
        text = f"{field}: {item['message']}" if field else item["message"]
        by_row.setdefault(item["row"], []).append(text)
    return [{"row": row, "messages": texts} for row, texts in sorted(by_row.items())]


def roster_summary(result) -> str:
    counts = result.as_dict()
    figures = {
        "enrolled": counts["enrolled"],
        "created": counts["created"],
        "paired": counts["paired"],
        "skipped": len(counts["skipped"]),
    }
    if figures["skipped"]:
        text = _(
            "Roster imported: %(enrolled)s enrolled (%(created)s new accounts invited), "
            "%(paired)s paired, %(skipped)s already enrolled."
        )
    else:
        text = _(
            "Roster imported: %(enrolled)s enrolled (%(created)s new accounts invited), "
            "%(paired)s paired."
        )
    return text % figures


@staff_only
def enrollment_pair(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    enrollment = get_object_or_404(enrollment_list(fetched_by=user), pk=pk)
    choices = pairing_choices(fetched_by=user, enrollment=enrollment)
    form = PairingForm(
        request.POST if request.method == "POST" else None, mentors=choices["mentors"]
    )
    if request.method == "POST" and form.is_valid():
        with service_errors(form, _("You may not pair this learner.")):
            pairing_assign(actor=user, enrollment=enrollment, mentor=form.cleaned_data["mentor"])
            messages.success(
                request,
                _("%(learner)s is now paired with %(mentor)s.")
                % {
                    "learner": display_name(enrollment.learner),
                    "mentor": form.cleaned_data["mentor"],
                },
            )
            return redirect("cohort_detail", pk=enrollment.cohort_id)
    return page(
        request,
        "web/pairing.html",
        {
            "enrollment": enrollment,
            "learner_name": display_name(enrollment.learner),
            **choices,
            "form": form,
        },
    )


# What each status button does, in the order shown. Pausing has its own form (dates).
# Graduating has its own card (the checklist and, when it is not met, a reason).
STATUS_ACTIONS = {
    Enrollment.Status.ACTIVE: ((Enrollment.Status.WITHDRAWN, gettext_lazy("Withdraw…")),),
    Enrollment.Status.PAUSED: (
        (Enrollment.Status.ACTIVE, gettext_lazy("End the pause and reactivate")),
        (Enrollment.Status.WITHDRAWN, gettext_lazy("Withdraw…")),
    ),
    Enrollment.Status.GRADUATED: ((Enrollment.Status.ACTIVE, gettext_lazy("Reactivate")),),
    Enrollment.Status.WITHDRAWN: ((Enrollment.Status.ACTIVE, gettext_lazy("Reactivate")),),
}


def _enrollment_or_404(request: HttpRequest, pk: int) -> Enrollment:
    return get_object_or_404(enrollment_list(fetched_by=request.user), pk=pk)


def _enrollment_page(
    request: HttpRequest,
    enrollment: Enrollment,
    *,
    pause_form=None,
    status_form=None,
    revoke_form=None,
) -> HttpResponse:
    context = enrollment_page(fetched_by=request.user, enrollment=enrollment)
    context |= standing(context["progress"]) | {
        "pause_form": pause_form or PauseForm(),
        "status_form": status_form or EnrollmentStatusForm(),
        "revoke_form": revoke_form or CertificateRevokeForm(),
        "actions": STATUS_ACTIONS.get(enrollment.status, ()),
    }
    return page(request, "web/enrollment_detail.html", context)


@staff_only
def enrollment_detail(request: HttpRequest, pk: int) -> HttpResponse:
    enrollment = _enrollment_or_404(request, pk)
    return _enrollment_page(request, enrollment)


@staff_only
@require_POST
def enrollment_pause_view(request: HttpRequest, pk: int) -> HttpResponse:
    enrollment = _enrollment_or_404(request, pk)
    form = PauseForm(request.POST)
    if form.is_valid():
        with service_errors(form, _("You may not pause this enrollment.")):
            pause = enrollment_pause(actor=request.user, enrollment=enrollment, **form.cleaned_data)
            messages.success(
                request,
                ngettext(
                    "%(learner)s is paused from %(start)s to %(end)s (%(days)s day); "
                    "due dates move with it.",
                    "%(learner)s is paused from %(start)s to %(end)s (%(days)s days); "
                    "due dates move with it.",
                    pause.days,
                )
                % {
                    "learner": display_name(enrollment.learner),
                    "start": pause.start,
                    "end": pause.end,
                    "days": pause.days,
                },
            )
            return redirect("enrollment_detail", pk=enrollment.pk)
    return _enrollment_page(request, enrollment, pause_form=form)


STATUS_DONE = {
    Enrollment.Status.ACTIVE: gettext_lazy("%(learner)s is active again."),
    Enrollment.Status.GRADUATED: gettext_lazy("%(learner)s has graduated."),
    Enrollment.Status.WITHDRAWN: gettext_lazy("%(learner)s is withdrawn."),
}


@staff_only
@require_POST
def enrollment_status(request: HttpRequest, pk: int) -> HttpResponse:
    """Graduate, withdraw or reactivate. A withdrawal is confirmed on a page of its own first
    (it takes the learner off the cohort's lists and their mentor's dashboard)."""
    enrollment = _enrollment_or_404(request, pk)
    form = EnrollmentStatusForm(request.POST)
    back = safe_next(request, reverse("enrollment_detail", args=[enrollment.pk]))
    if form.is_valid():
        status = form.cleaned_data["status"]
        if status == Enrollment.Status.WITHDRAWN and not form.cleaned_data["confirm"]:
            return page(
                request,
                "web/enrollment_withdraw_confirm.html",
                {
                    "enrollment": enrollment,
                    "learner_name": display_name(enrollment.learner),
                    "next": back,
                },
            )
        with service_errors(form, _("You may not change this enrollment.")):
            if status == Enrollment.Status.GRADUATED:
                # The checklist decides, or the reason given overrides it; a certificate is
                # issued (tracker.graduation).
                enrollment_graduate(
                    actor=request.user,
                    enrollment=enrollment,
                    override_reason=form.cleaned_data["override_reason"],
                )
            else:
                enrollment_set_status(actor=request.user, enrollment=enrollment, status=status)
            messages.success(
                request, STATUS_DONE[status] % {"learner": display_name(enrollment.learner)}
            )
            return redirect(back)
    return _enrollment_page(request, enrollment, status_form=form)


@staff_only
@require_POST
def certificate_revoke_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Revoke a certificate (with a reason) from its enrollment's page."""
    certificate = get_object_or_404(certificate_list(fetched_by=request.user), pk=pk)
    form = CertificateRevokeForm(request.POST)
    if form.is_valid():
        with service_errors(form, _("You may not revoke this certificate.")):
            certificate_revoke(
                actor=request.user, certificate=certificate, reason=form.cleaned_data["reason"]
            )
            messages.success(request, _("The certificate is revoked."))
            return redirect(
                reverse("enrollment_detail", args=[certificate.enrollment_id]) + "#graduation"
            )
    enrollment = _enrollment_or_404(request, certificate.enrollment_id)
    return _enrollment_page(request, enrollment, revoke_form=form)


@staff_only
def programs(request: HttpRequest) -> HttpResponse:
    return page(
        request, "web/staff_programs.html", {"programs": program_list(fetched_by=request.user)}
    )


@staff_only
def program_insights_page(request: HttpRequest, pk: int) -> HttpResponse:
    program = get_object_or_404(program_list(fetched_by=request.user), pk=pk)
    insights = program_insights(fetched_by=request.user, program=program)
    modules = [
        {
            **row,
            "median_hours": None
            if row["median_minutes"] is None
            else round(row["median_minutes"] / 60, 1),
            "completion": as_percent(row["completion_rate"]),
        }
        for row in insights["modules"]
    ]
    assignments = [
        {
            **row,
            "completion": as_percent(row["completion_rate"]),
            "changes_share": as_percent(row["changes_requested_share"]),
        }
        for row in insights["assignments"]
    ]
    return page(
        request,
        "web/program_insights.html",
        {"program": program, "insights": insights, "modules": modules, "assignments": assignments},
    )


def as_percent(rate: float | None) -> str:
    return "—" if rate is None else f"{rate * 100:.0f}%"
