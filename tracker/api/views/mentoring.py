"""Mentor operations over the API: availability and its exceptions, open slots, booking,
rescheduling, cancelling and rating sessions, mentor metrics and payouts (staff).

Inputs and outputs of these operations live here (not in the shared serializer modules) so the
feature reads in one place; each view makes one service or selector call.
"""

from __future__ import annotations

import csv
import datetime as dt
import io

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import HttpResponse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_field,
    inline_serializer,
)
from rest_framework import serializers, status
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.response import Response

from curriculum.kernel import clock
from curriculum.kernel.access import is_staff
from mentors import availability, payouts
from mentors.availability import AVAILABILITY_RULE
from mentors.models import Availability, AvailabilityException, Mentor, SessionRating
from mentors.rules import MENTOR_RULE
from tracker.api.base import ApiView, RuleViewSet
from tracker.api.fields import (
    BoundedDateField,
    BoundedDateTimeField,
    ScopedPrimaryKeyField,
    StrictCharField,
    StrictIntegerField,
    StrictTimeField,
    enum_field,
)
from tracker.api.inputs import enrollment_ref
from tracker.api.serializers import OutputSerializer
from tracker.mentoring.metrics import mentor_metrics

# --- Shapes -------------------------------------------------------------------------------------


HOUR_MINUTE = {"type": "string", "pattern": "^[0-2][0-9]:[0-5][0-9]$", "example": "17:30"}


@extend_schema_field(HOUR_MINUTE)
class HourMinuteField(StrictTimeField):
    """A wall-clock time given and shown as "HH:MM"."""

    def __init__(self, **kwargs):
        kwargs.setdefault("format", "%H:%M")
        super().__init__(**kwargs)


@extend_schema_field({**HOUR_MINUTE, "readOnly": True})
class HourMinuteOutput(serializers.TimeField):
    def __init__(self, **kwargs):
        kwargs.setdefault("format", "%H:%M")
        kwargs.setdefault("read_only", True)
        super().__init__(**kwargs)


class AvailabilitySerializer(OutputSerializer):
    start_time = HourMinuteOutput()

    class Meta:
        model = Availability
        fields = ["id", "mentor", "weekday", "start_time", "duration_minutes"]


class AvailabilityInput(serializers.Serializer):
    mentor = ScopedPrimaryKeyField(queryset=Mentor.objects.all(), rule=MENTOR_RULE, required=False)
    weekday = StrictIntegerField(min_value=0, max_value=6)
    start_time = HourMinuteField()
    duration_minutes = StrictIntegerField(min_value=15, max_value=240, required=False, default=30)


class AvailabilityUpdateInput(serializers.Serializer):
    weekday = StrictIntegerField(min_value=0, max_value=6, required=False)
    start_time = HourMinuteField(required=False)
    duration_minutes = StrictIntegerField(min_value=15, max_value=240, required=False)


class AvailabilityExceptionSerializer(OutputSerializer):
    start_time = HourMinuteOutput(allow_null=True)
    kind = enum_field(AvailabilityException.Kind.choices, read_only=True)

    class Meta:
        model = AvailabilityException
        fields = ["id", "mentor", "date", "kind", "start_time", "duration_minutes"]


class AvailabilityExceptionInput(serializers.Serializer):
    mentor = ScopedPrimaryKeyField(queryset=Mentor.objects.all(), rule=MENTOR_RULE, required=False)
    date = BoundedDateField()
    kind = enum_field(AvailabilityException.Kind.choices)
    start_time = HourMinuteField(required=False, allow_null=True)
    duration_minutes = StrictIntegerField(
        min_value=15, max_value=240, required=False, allow_null=True
    )


class AvailabilityExceptionUpdateInput(serializers.Serializer):
    date = BoundedDateField(required=False)
    kind = enum_field(AvailabilityException.Kind.choices, required=False)
    start_time = HourMinuteField(required=False, allow_null=True)
    duration_minutes = StrictIntegerField(
        min_value=15, max_value=240, required=False, allow_null=True
    )


class OpenSlotSerializer(serializers.Serializer):
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()


class BookInput(serializers.Serializer):
    enrollment = enrollment_ref()
    starts_at = BoundedDateTimeField()


class RescheduleInput(serializers.Serializer):
    starts_at = BoundedDateTimeField()


class CancelInput(serializers.Serializer):
    reason = StrictCharField(max_length=500, required=False, allow_blank=True, default="")


class RatingInput(serializers.Serializer):
    score = StrictIntegerField(min_value=1, max_value=5)
    comment = StrictCharField(max_length=2000, required=False, allow_blank=True, default="")


class RatingSerializer(OutputSerializer):
    class Meta:
        model = SessionRating
        fields = ["id", "session", "score", "comment", "created_at"]


class MetricsSerializer(serializers.Serializer):
    mentor = serializers.IntegerField()
    name = serializers.CharField()
    sessions_booked = serializers.IntegerField()
    sessions_held = serializers.IntegerField()
    sessions_missed = serializers.IntegerField()
    sessions_cancelled_late = serializers.IntegerField()
    learners_with_session_by_week = serializers.ListField(
        child=serializers.FloatField(allow_null=True)
    )
    review_turnaround_median_hours = serializers.FloatField(allow_null=True)
    review_turnaround_p90_hours = serializers.FloatField(allow_null=True)
    reviews = serializers.IntegerField()
    changes_requested_share = serializers.FloatField(allow_null=True)
    rating_average = serializers.FloatField(allow_null=True)
    rating_count = serializers.IntegerField()
    pace_mix = serializers.DictField(child=serializers.IntegerField())
    flagged = serializers.BooleanField()
    learners_without_session_7d = serializers.IntegerField()


class PayoutRowSerializer(serializers.Serializer):
    mentor = serializers.IntegerField()
    mentor_name = serializers.CharField()
    sessions_held = serializers.IntegerField()
    minutes_held = serializers.IntegerField()
    reviews_completed = serializers.IntegerField()
    closed = serializers.BooleanField()


class PayoutCloseInput(serializers.Serializer):
    month = StrictCharField(max_length=7)


# --- Query parameters ---------------------------------------------------------------------------

DATE_RANGE = [
    OpenApiParameter("from", OpenApiTypes.DATE, description="First day (YYYY-MM-DD)."),
    OpenApiParameter("to", OpenApiTypes.DATE, description="Last day (YYYY-MM-DD), inclusive."),
]
MONTH = [
    OpenApiParameter("month", OpenApiTypes.STR, description="YYYY-MM (default: the current month)")
]


def date_range(request, *, default_days: int, zone) -> tuple[dt.datetime, dt.datetime]:
    """``?from=&to=`` (dates, inclusive) as UTC instants in ``zone``; 400 on a bad date."""
    field = BoundedDateField()
    today = clock.today(zone)
    values = {}
    errors = {}
    for name, default in (("from", today), ("to", today + dt.timedelta(days=default_days))):
        raw = request.query_params.get(name)
        if raw in (None, ""):
            values[name] = default
            continue
        try:
            values[name] = field.to_internal_value(raw)
        except ValidationError as error:
            errors[name] = error.detail
    if not errors and values["to"] < values["from"]:
        errors["to"] = [_("The end is before the start.")]
    elif not errors and (values["to"] - values["from"]).days > 366:
        errors["to"] = [_("Ask for at most a year at a time.")]
    if errors:
        raise ValidationError(errors)
    start = dt.datetime.combine(values["from"], dt.time(0), tzinfo=zone)
    end = dt.datetime.combine(values["to"] + dt.timedelta(days=1), dt.time(0), tzinfo=zone)
    return start.astimezone(dt.UTC), end.astimezone(dt.UTC)


def month_param(request) -> dt.date:
    raw = request.query_params.get("month")
    if raw in (None, ""):
        return payouts.month_of(clock.now())
    try:
        return payouts.parse_month(raw)
    except DjangoValidationError as error:
        raise ValidationError(error.message_dict) from error


# --- Availability -------------------------------------------------------------------------------


def _own_mentor(request, fields: dict) -> Mentor:
    """The mentor a new slot is for: given (staff), else the caller's own profile."""
    mentor = fields.pop("mentor", None)
    if mentor is not None:
        return mentor
    own = Mentor.objects.filter(user_id=request.user.pk).first()
    if own is None and not is_staff(request.user):
        raise PermissionDenied(_("Only mentors and staff keep availability."))
    if own is None:
        raise ValidationError({"mentor": [_("Name the mentor this is for.")]})
    return own


class AvailabilityViewSet(RuleViewSet):
    rule = AVAILABILITY_RULE
    output_serializer = AvailabilitySerializer
    filterset_fields = ["mentor", "weekday"]
    ordering_fields = ["weekday", "start_time"]
    ordering = ["mentor", "weekday", "start_time", "id"]

    def get_queryset(self):
        return Availability.objects.all()

    @extend_schema(request=AvailabilityInput, responses={201: AvailabilitySerializer})
    def create(self, request, *args, **kwargs):
        fields = self.validated(AvailabilityInput)
        mentor = _own_mentor(request, fields)
        slot = availability.availability_create(actor=request.user, mentor=mentor, **fields)
        return self.show(slot, status_code=status.HTTP_201_CREATED)

    @extend_schema(request=AvailabilityUpdateInput, responses=AvailabilitySerializer)
    def partial_update(self, request, *args, **kwargs):
        slot = self.get_object()
        fields = self.validated(AvailabilityUpdateInput, partial=True)
        slot = availability.availability_update(actor=request.user, slot=slot, **fields)
        return self.show(slot)

    @extend_schema(responses={204: None})
    def destroy(self, request, *args, **kwargs):
        availability.availability_delete(actor=request.user, slot=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


class AvailabilityExceptionViewSet(RuleViewSet):
    rule = AVAILABILITY_RULE
    output_serializer = AvailabilityExceptionSerializer
    filterset_fields = ["mentor", "kind", "date"]
    ordering_fields = ["date"]
    ordering = ["mentor", "date", "start_time", "id"]

    def get_queryset(self):
        return AvailabilityException.objects.select_related("mentor")

    @extend_schema(
        request=AvailabilityExceptionInput, responses={201: AvailabilityExceptionSerializer}
    )
    def create(self, request, *args, **kwargs):
        fields = self.validated(AvailabilityExceptionInput)
        mentor = _own_mentor(request, fields)
        exception = availability.availability_exception_create(
            actor=request.user, mentor=mentor, **fields
        )
        return self.show(exception, status_code=status.HTTP_201_CREATED)

    @extend_schema(
        request=AvailabilityExceptionUpdateInput, responses=AvailabilityExceptionSerializer
    )
    def partial_update(self, request, *args, **kwargs):
        exception = self.get_object()
        fields = self.validated(AvailabilityExceptionUpdateInput, partial=True)
        exception = availability.availability_exception_update(
            actor=request.user, exception=exception, **fields
        )
        return self.show(exception)

    @extend_schema(responses={204: None})
    def destroy(self, request, *args, **kwargs):
        availability.availability_exception_delete(actor=request.user, exception=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- Payouts (staff) ----------------------------------------------------------------------------


class PayoutsView(ApiView):
    @extend_schema(
        parameters=MONTH,
        responses=PayoutRowSerializer(many=True),
        description="Per mentor and month (program time zone): sessions held, minutes held, "
        "reviews completed, whether the month is closed (staff).",
    )
    def get(self, request):
        _require_staff(request)
        month = month_param(request)
        rows = payouts.payout_rows(fetched_by=request.user, month=month)
        return Response(PayoutRowSerializer(rows, many=True).data)


class PayoutsCsvView(ApiView):
    @extend_schema(parameters=MONTH, responses={(200, "text/csv"): OpenApiTypes.STR})
    def get(self, request):
        _require_staff(request)
        month = month_param(request)
        buffer = io.StringIO()
        csv.writer(buffer).writerows(payouts.payout_csv_rows(fetched_by=request.user, month=month))
        response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="payouts-{month:%Y-%m}.csv"'
        return response


class PayoutsCloseView(ApiView):
    @extend_schema(
        request=PayoutCloseInput,
        responses=inline_serializer(
            "PayoutMonthClosed",
            {"month": serializers.CharField(), "closed_at": serializers.DateTimeField()},
        ),
    )
    def post(self, request):
        _require_staff(request)
        fields = self.validated(PayoutCloseInput)
        row = payouts.payout_month_close(actor=request.user, month=fields["month"])
        return Response({"month": f"{row.month:%Y-%m}", "closed_at": row.closed_at})


def _require_staff(request) -> None:
    if not is_staff(request.user):
        raise PermissionDenied(_("Only staff see and close payouts."))


__all__ = [
    "DATE_RANGE",
    "AvailabilityExceptionViewSet",
    "AvailabilityViewSet",
    "BookInput",
    "CancelInput",
    "MetricsSerializer",
    "OpenSlotSerializer",
    "PayoutsCloseView",
    "PayoutsCsvView",
    "PayoutsView",
    "RatingInput",
    "RatingSerializer",
    "RescheduleInput",
    "date_range",
    "mentor_metrics",
]
