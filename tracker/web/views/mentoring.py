"""Mentor-operations pages: the sessions page (a learner books, moves, cancels and rates; a
mentor sees the week), the mentor's availability, and staff's mentor metrics and payouts.
Each view makes one selector call (``tracker.mentoring.pages``) or one service call whose
refusal lands on its form in place."""

from __future__ import annotations

import csv
import datetime as dt

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from curriculum.kernel import clock
from curriculum.kernel.forms import service_errors
from curriculum.kernel.zones import zone_or_utc
from mentors import availability, booking, payouts, services
from mentors.models import Availability, AvailabilityException, Mentor
from mentors.selectors import session_list
from tracker.mentoring import pages
from tracker.notifications import preferences_for
from tracker.web.charts import PACE_LABELS
from tracker.web.forms import URL_INPUT
from tracker.web.views.common import page, role_required

WEEKDAYS = [
    (0, _("Monday")),
    (1, _("Tuesday")),
    (2, _("Wednesday")),
    (3, _("Thursday")),
    (4, _("Friday")),
    (5, _("Saturday")),
    (6, _("Sunday")),
]


# --- Forms ----------------------------------------------------------------------------------------


class SlotChoiceForm(forms.Form):
    """Pick one of the open slots (shown in the caller's zone; the value is the UTC instant)."""

    starts_at = forms.ChoiceField(label=_("Open slot"))

    def __init__(self, *args, slots, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["starts_at"].choices = [
            (slot.starts_at.isoformat(), label) for slot, label in slots
        ]

    def clean_starts_at(self) -> dt.datetime:
        return dt.datetime.fromisoformat(self.cleaned_data["starts_at"])


class CancelForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        required=False,
        max_length=500,
        help_text=_("Required when the session starts within the notice period."),
    )


class RatingForm(forms.Form):
    score = forms.TypedChoiceField(
        label=_("Rating"),
        coerce=int,
        choices=[(n, str(n)) for n in range(5, 0, -1)],
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=_("Comment (optional)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class AvailabilityForm(forms.Form):
    weekday = forms.TypedChoiceField(label=_("Day"), coerce=int, choices=WEEKDAYS)
    start_time = forms.TimeField(
        label=_("Starts at (your time)"), widget=forms.TimeInput(attrs={"type": "time"})
    )
    duration_minutes = forms.IntegerField(
        label=_("Length (minutes)"), min_value=15, max_value=240, initial=45
    )


class ExceptionForm(forms.Form):
    date = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}))
    kind = forms.ChoiceField(label=_("Change"), choices=AvailabilityException.Kind.choices)
    start_time = forms.TimeField(
        label=_("Start (an extra slot, or the one slot off)"),
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}),
    )
    duration_minutes = forms.IntegerField(
        label=_("Length (minutes, extra slot)"), min_value=15, max_value=240, required=False
    )


# The exception form shares field names with the weekly slot form on one page: its own ids.
EXCEPTION_IDS = "id_exception_%s"


class MeetingLinkForm(forms.Form):
    meeting_url = forms.URLField(
        label=_("Video link"),
        required=False,
        max_length=500,
        assume_scheme="https",
        widget=URL_INPUT,  # a text box: a mistyped address comes back as valid HTML
    )


class PayoutCloseForm(forms.Form):
    month = forms.CharField(widget=forms.HiddenInput)


# --- Sessions (learner and mentor) ----------------------------------------------------------------


def _sessions(request: HttpRequest, *, forms_by_key: dict | None = None, status: int = 200):
    context = pages.sessions_page(fetched_by=request.user)
    forms_by_key = forms_by_key or {}
    context["book_form"] = forms_by_key.get("book") or SlotChoiceForm(slots=context["slots"])
    for item in context["upcoming"]:
        pk = item["session"].pk
        item["move_form"] = forms_by_key.get(("move", pk)) or SlotChoiceForm(
            slots=context["slots"], prefix=f"m{pk}"
        )
        item["cancel_form"] = forms_by_key.get(("cancel", pk)) or CancelForm(prefix=f"c{pk}")
    for item in context["past"]:
        pk = item["session"].pk
        item["rate_form"] = forms_by_key.get(("rate", pk)) or RatingForm(prefix=f"r{pk}")
    return page(request, "web/mentoring/sessions.html", context, status=status)


@role_required("learner", "mentor", "staff")
def sessions(request: HttpRequest) -> HttpResponse:
    return _sessions(request)


@role_required("learner", "mentor", "staff")
@require_POST
def book(request: HttpRequest) -> HttpResponse:
    context = pages.sessions_page(fetched_by=request.user)
    form = SlotChoiceForm(request.POST, slots=context["slots"])
    if form.is_valid() and context["enrollment"] is not None:
        with service_errors(form, str(_("You may not book this session."))):
            session = booking.session_book(
                actor=request.user,
                enrollment=context["enrollment"],
                starts_at=form.cleaned_data["starts_at"],
            )
            messages.success(
                request,
                _("Session booked: %(when)s.")
                % {"when": pages.local_label(session.scheduled_at, context["zone_name"])},
            )
            return redirect("sessions")
    return _sessions(request, forms_by_key={"book": form}, status=400)


def _own_session(request: HttpRequest, pk: int):
    return get_object_or_404(session_list(fetched_by=request.user), pk=pk)


@role_required("learner", "mentor", "staff")
@require_POST
def reschedule(request: HttpRequest, pk: int) -> HttpResponse:
    session = _own_session(request, pk)
    context = pages.sessions_page(fetched_by=request.user)
    form = SlotChoiceForm(request.POST, slots=context["slots"], prefix=f"m{pk}")
    if form.is_valid():
        with service_errors(form, str(_("You may not move this session."))):
            booking.session_reschedule(
                actor=request.user, session=session, starts_at=form.cleaned_data["starts_at"]
            )
            messages.success(request, _("Session moved; both of you get an updated invitation."))
            return redirect("sessions")
    return _sessions(request, forms_by_key={("move", pk): form}, status=400)


@role_required("learner", "mentor", "staff")
@require_POST
def cancel(request: HttpRequest, pk: int) -> HttpResponse:
    session = _own_session(request, pk)
    form = CancelForm(request.POST, prefix=f"c{pk}")
    if form.is_valid():
        with service_errors(form, str(_("You may not cancel this session."))):
            booking.session_cancel(
                actor=request.user, session=session, reason=form.cleaned_data["reason"]
            )
            messages.success(request, _("Session cancelled."))
            return redirect("sessions")
    return _sessions(request, forms_by_key={("cancel", pk): form}, status=400)


@role_required("learner")
@require_POST
def rate(request: HttpRequest, pk: int) -> HttpResponse:
    session = _own_session(request, pk)
    form = RatingForm(request.POST, prefix=f"r{pk}")
    if form.is_valid():
        with service_errors(form, str(_("You may not rate this session."))):
            booking.session_rate(actor=request.user, session=session, **form.cleaned_data)
            messages.success(request, _("Thank you for rating your session."))
            return redirect("sessions")
    return _sessions(request, forms_by_key={("rate", pk): form}, status=400)


# --- Availability (mentor) ------------------------------------------------------------------------


def _availability(request: HttpRequest, *, slot_form=None, exception_form=None, link_form=None):
    context = pages.availability_page(fetched_by=request.user)
    mentor = context["mentor"]
    context["slot_form"] = slot_form or AvailabilityForm()
    context["exception_form"] = exception_form or ExceptionForm(auto_id=EXCEPTION_IDS)
    context["link_form"] = link_form or MeetingLinkForm(
        initial={"meeting_url": mentor.meeting_url if mentor else ""}
    )
    bad = any(form is not None for form in (slot_form, exception_form, link_form))
    return page(request, "web/mentoring/availability.html", context, status=400 if bad else 200)


def _mentor_of(request: HttpRequest) -> Mentor:
    mentor = Mentor.objects.filter(user_id=request.user.pk).first()
    if mentor is None:
        raise PermissionDenied(_("Only mentors keep availability here."))
    return mentor


@role_required("mentor")
def availability_page(request: HttpRequest) -> HttpResponse:
    return _availability(request)


@role_required("mentor")
@require_POST
def availability_add(request: HttpRequest) -> HttpResponse:
    form = AvailabilityForm(request.POST)
    if form.is_valid():
        with service_errors(form, str(_("You may not change this availability."))):
            availability.availability_create(
                actor=request.user, mentor=_mentor_of(request), **form.cleaned_data
            )
            messages.success(request, _("Weekly slot added."))
            return redirect("mentor_availability")
    return _availability(request, slot_form=form)


@role_required("mentor")
@require_POST
def availability_remove(request: HttpRequest, pk: int) -> HttpResponse:
    slot = get_object_or_404(Availability, pk=pk, mentor__user_id=request.user.pk)
    availability.availability_delete(actor=request.user, slot=slot)
    messages.success(request, _("Weekly slot removed."))
    return redirect("mentor_availability")


@role_required("mentor")
@require_POST
def exception_add(request: HttpRequest) -> HttpResponse:
    form = ExceptionForm(request.POST, auto_id=EXCEPTION_IDS)
    if form.is_valid():
        with service_errors(form, str(_("You may not change this availability."))):
            availability.availability_exception_create(
                actor=request.user, mentor=_mentor_of(request), **form.cleaned_data
            )
            messages.success(request, _("Change to your week saved."))
            return redirect("mentor_availability")
    return _availability(request, exception_form=form)


@role_required("mentor")
@require_POST
def exception_remove(request: HttpRequest, pk: int) -> HttpResponse:
    exception = get_object_or_404(AvailabilityException, pk=pk, mentor__user_id=request.user.pk)
    availability.availability_exception_delete(actor=request.user, exception=exception)
    messages.success(request, _("Change removed."))
    return redirect("mentor_availability")


@role_required("mentor")
@require_POST
def meeting_link(request: HttpRequest) -> HttpResponse:
    form = MeetingLinkForm(request.POST)
    if form.is_valid():
        with service_errors(form, str(_("You may not change this profile."))):
            services.mentor_update(
                actor=request.user,
                mentor=_mentor_of(request),
                meeting_url=form.cleaned_data["meeting_url"],
            )
            messages.success(request, _("Video link saved."))
            return redirect("mentor_availability")
    return _availability(request, link_form=form)


# --- Staff: metrics and payouts ----------------------------------------------------------------


def _period(request: HttpRequest) -> tuple[dt.datetime, dt.datetime, dt.date, dt.date]:
    zone = zone_or_utc(preferences_for(request.user).timezone)
    today = clock.today(zone)
    field = forms.DateField()
    try:
        first = field.clean(request.GET.get("from") or None) or today - dt.timedelta(days=27)
        last = field.clean(request.GET.get("to") or None) or today
    except ValidationError:
        first, last = today - dt.timedelta(days=27), today
    if last < first:
        first, last = last, first
    start = dt.datetime.combine(first, dt.time(0), tzinfo=zone).astimezone(dt.UTC)
    end = dt.datetime.combine(last + dt.timedelta(days=1), dt.time(0), tzinfo=zone)
    return start, end.astimezone(dt.UTC), first, last


@role_required("staff")
def mentor_metrics(request: HttpRequest) -> HttpResponse:
    start, end, first, last = _period(request)
    sort = request.GET.get("sort", "name")
    context = pages.metrics_page(fetched_by=request.user, start=start, end=end, sort=sort)
    for row in context["rows"]:
        # The page names each pace in the reader's language; the API keeps the codes.
        row["pace_mix"] = {
            PACE_LABELS.get(pace, pace): count for pace, count in row["pace_mix"].items()
        }
    context.update({"first": first, "last": last, "sort": sort})
    return page(request, "web/mentoring/metrics.html", context)


def _month(request: HttpRequest) -> dt.date:
    try:
        return payouts.parse_month(request.GET.get("month") or request.POST.get("month"))
    except ValidationError:
        return payouts.month_of(clock.now())


@role_required("staff")
def payouts_page(request: HttpRequest, *, close_form=None) -> HttpResponse:
    month = _month(request)
    context = pages.payouts_page(fetched_by=request.user, month=month)
    context["close_form"] = close_form or PayoutCloseForm(initial={"month": f"{month:%Y-%m}"})
    return page(request, "web/mentoring/payouts.html", context, status=400 if close_form else 200)


@role_required("staff")
def payouts_csv(request: HttpRequest) -> HttpResponse:
    month = _month(request)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="payouts-{month:%Y-%m}.csv"'
    csv.writer(response).writerows(payouts.payout_csv_rows(fetched_by=request.user, month=month))
    return response


@role_required("staff")
@require_POST
def payouts_close(request: HttpRequest) -> HttpResponse:
    form = PayoutCloseForm(request.POST)
    if form.is_valid():
        with service_errors(form, str(_("Only staff close months."))):
            row = payouts.payout_month_close(actor=request.user, month=form.cleaned_data["month"])
            messages.success(request, _("%(month)s is closed.") % {"month": f"{row.month:%Y-%m}"})
            return redirect(f"{reverse('staff_payouts')}?month={row.month:%Y-%m}")
    request.GET = request.GET.copy()
    request.GET["month"] = request.POST.get("month", "")
    return payouts_page(request, close_form=form)
