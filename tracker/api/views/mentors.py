"""Mentors (capacity and active learners), pairings, sessions, reviews and the review queue."""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, Q
from django.utils.translation import gettext as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from curriculum.kernel.zones import zone_or_utc
from mentors import booking, services
from mentors.availability import open_slots_for
from mentors.models import Mentor, MentorSession, Pairing, Review
from mentors.rules import MENTOR_RULE, MENTOR_SESSION_RULE, PAIRING_RULE, REVIEW_RULE
from mentors.selectors import review_queue
from tracker.api import inputs, serializers
from tracker.api.base import RuleViewSet
from tracker.api.filters import (
    MentorFilter,
    PairingFilter,
    ReviewFilter,
    ReviewQueueFilter,
    SessionFilter,
)
from tracker.api.views import mentoring
from tracker.notifications import preferences_for


class MentorViewSet(RuleViewSet):
    rule = MENTOR_RULE
    output_serializer = serializers.MentorSerializer
    filterset_class = MentorFilter
    ordering_fields = ["capacity", "active_learners", "user__last_name", "user__username"]
    ordering = ["user__last_name", "user__first_name", "id"]
    staff_only_actions = {"create"}

    def get_queryset(self):
        return Mentor.objects.select_related("user").annotate(
            active_learners=Count("pairings", filter=Q(pairings__ended_at__isnull=True))
        )

    @extend_schema(request=inputs.MentorInput, responses={201: serializers.MentorSerializer})
    def create(self, request, *args, **kwargs):
        mentor = services.mentor_create(actor=request.user, **self.validated(inputs.MentorInput))
        return self.show(mentor, status_code=status.HTTP_201_CREATED)

    @extend_schema(
        request=inputs.MentorUpdateInput,
        responses=serializers.MentorSerializer,
        description="Staff change anything; a mentor changes their own expertise, timezone, bio.",
    )
    def partial_update(self, request, *args, **kwargs):
        mentor = self.get_object()
        fields = self.validated(inputs.MentorUpdateInput, partial=True)
        mentor = services.mentor_update(actor=request.user, mentor=mentor, **fields)
        return self.show(mentor)

    @extend_schema(
        parameters=mentoring.DATE_RANGE,
        responses=mentoring.OpenSlotSerializer(many=True),
        description="The mentor's open slots the caller may book, in UTC (dates in the "
        "caller's zone; default the next 14 days). A learner sees only their own mentor's, "
        "and not in weeks already at the booking limit.",
    )
    @action(detail=True, methods=["get"], url_path="open-slots", filter_backends=[])
    def open_slots(self, request, pk=None):
        mentor = self.get_object()
        zone = zone_or_utc(preferences_for(request.user).timezone)
        start, end = mentoring.date_range(request, default_days=14, zone=zone)
        slots = open_slots_for(fetched_by=request.user, mentor=mentor, start=start, end=end)
        data = [{"starts_at": slot.starts_at, "ends_at": slot.ends_at} for slot in slots]
        return Response(mentoring.OpenSlotSerializer(data, many=True).data)

    @extend_schema(
        parameters=[
            *mentoring.DATE_RANGE,
        ],
        responses=mentoring.MetricsSerializer,
        description="What the mentor delivered between from and to (default the last 28 "
        "days): staff, or the mentor for themselves. rating_average is null below "
        "STRIDE_RATING_MIN_AGGREGATE ratings.",
    )
    @action(detail=True, methods=["get"], filter_backends=[])
    def metrics(self, request, pk=None):
        mentor = self.get_object()
        if not (request.user.is_staff or mentor.user_id == request.user.pk):
            raise PermissionDenied(_("Only staff and the mentor see these metrics."))
        zone = zone_or_utc(preferences_for(request.user).timezone)
        start, end = mentoring.date_range(request, default_days=0, zone=zone)
        if "from" not in request.query_params:
            start = end - dt.timedelta(days=28)
        rows = mentoring.mentor_metrics(
            fetched_by=request.user, start=start, end=end, mentor_ids=[mentor.pk]
        )
        return Response(mentoring.MetricsSerializer(rows[0]).data)


class PairingViewSet(RuleViewSet):
    rule = PAIRING_RULE
    output_serializer = serializers.PairingSerializer
    filterset_class = PairingFilter
    ordering_fields = ["started_at", "ended_at"]
    ordering = ["-started_at", "-id"]
    staff_only_actions = {"create"}

    def get_queryset(self):
        return Pairing.objects.all()

    @extend_schema(
        request=inputs.PairingInput,
        responses={201: serializers.PairingSerializer},
        description="Pair an enrollment with a mentor (staff); the old pairing ends.",
    )
    def create(self, request, *args, **kwargs):
        pairing = services.pairing_assign(actor=request.user, **self.validated(inputs.PairingInput))
        return self.show(pairing, status_code=status.HTTP_201_CREATED)

    @extend_schema(request=inputs.PairingEndInput, responses=serializers.PairingSerializer)
    @action(detail=True, methods=["post"], filter_backends=[])
    def end(self, request, pk=None):
        pairing = self.get_object()
        fields = self.validated(inputs.PairingEndInput)
        pairing = services.pairing_end(actor=request.user, pairing=pairing, **fields)
        return self.show(pairing)


class SessionViewSet(RuleViewSet):
    rule = MENTOR_SESSION_RULE
    output_serializer = serializers.SessionSerializer
    filterset_class = SessionFilter
    ordering_fields = ["scheduled_at", "status"]
    ordering = ["-scheduled_at", "-id"]

    def get_queryset(self):
        return MentorSession.objects.select_related("pairing")

    @extend_schema(request=inputs.SessionInput, responses={201: serializers.SessionSerializer})
    def create(self, request, *args, **kwargs):
        session = services.session_create(actor=request.user, **self.validated(inputs.SessionInput))
        return self.show(session, status_code=status.HTTP_201_CREATED)

    @extend_schema(request=inputs.SessionUpdateInput, responses=serializers.SessionSerializer)
    def partial_update(self, request, *args, **kwargs):
        session = self.get_object()
        fields = self.validated(inputs.SessionUpdateInput, partial=True)
        session = services.session_update(actor=request.user, session=session, **fields)
        return self.show(session)

    @extend_schema(
        request=mentoring.BookInput,
        responses={201: serializers.SessionSerializer},
        description="Book a session with the learner's current mentor in one of the "
        "mentor's open slots; a taken, closed or out-of-limits time is a 400 on starts_at.",
    )
    @action(detail=False, methods=["post"], filter_backends=[])
    def book(self, request):
        fields = self.validated(mentoring.BookInput)
        session = booking.session_book(actor=request.user, **fields)
        return self.show(session, status_code=status.HTTP_201_CREATED)

    @extend_schema(request=mentoring.RescheduleInput, responses=serializers.SessionSerializer)
    @action(detail=True, methods=["post"], filter_backends=[])
    def reschedule(self, request, pk=None):
        session = self.get_object()
        fields = self.validated(mentoring.RescheduleInput)
        session = booking.session_reschedule(actor=request.user, session=session, **fields)
        return self.show(session)

    @extend_schema(request=mentoring.CancelInput, responses=serializers.SessionSerializer)
    @action(detail=True, methods=["post"], filter_backends=[])
    def cancel(self, request, pk=None):
        session = self.get_object()
        fields = self.validated(mentoring.CancelInput)
        session = booking.session_cancel(actor=request.user, session=session, **fields)
        return self.show(session)

    @extend_schema(request=mentoring.RatingInput, responses={201: mentoring.RatingSerializer})
    @action(detail=True, methods=["post"], filter_backends=[])
    def rating(self, request, pk=None):
        session = self.get_object()
        fields = self.validated(mentoring.RatingInput)
        rating = booking.session_rate(actor=request.user, session=session, **fields)
        return Response(mentoring.RatingSerializer(rating).data, status=status.HTTP_201_CREATED)


class ReviewViewSet(RuleViewSet):
    rule = REVIEW_RULE
    output_serializer = serializers.ReviewSerializer
    filterset_class = ReviewFilter
    ordering_fields = ["created_at"]
    ordering = ["-created_at", "-id"]

    def get_queryset(self):
        return Review.objects.select_related("reviewer")

    @extend_schema(
        responses=serializers.QueuedSubmissionSerializer(many=True),
        filters=True,
        description="Latest versions waiting for review, oldest first (a mentor's own "
        "learners; staff see all; empty for learners).",
    )
    @action(
        detail=False,
        methods=["get"],
        filterset_class=ReviewQueueFilter,
        filter_backends=[DjangoFilterBackend],
        serializer_class=serializers.QueuedSubmissionSerializer,
    )
    def queue(self, request):
        queryset = (
            review_queue(fetched_by=request.user)
            .select_related("enrollment__learner", "review__reviewer")
            .prefetch_related("deployment_checks")
        )
        # The queue's order is its meaning (oldest first); only the id filters apply.
        queryset = DjangoFilterBackend().filter_queryset(request, queryset, self)
        page = self.paginate_queryset(queryset)
        data = serializers.QueuedSubmissionSerializer(
            page, many=True, context=self.get_serializer_context()
        ).data
        return self.get_paginated_response(data)
