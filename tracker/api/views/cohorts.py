"""Cohorts, with their progress report (JSON and streamed CSV), roster import and matrix."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from django.conf import settings
from django.http import StreamingHttpResponse
from django.utils.translation import gettext
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.filters import OrderingFilter
from rest_framework.parsers import MultiPartParser
from rest_framework.renderers import BaseRenderer, BrowsableAPIRenderer, JSONRenderer
from rest_framework.response import Response
from rest_framework.settings import api_settings

from curriculum import services
from curriculum.kernel.access import IsStaff
from curriculum.models import Cohort
from curriculum.rules import COHORT_RULE
from tracker.api import inputs, serializers
from tracker.api.base import RuleViewSet
from tracker.api.exceptions import PayloadTooLarge
from tracker.api.filters import CohortFilter, CohortProgressFilter
from tracker.api.pagination import StoredRowsPagination
from tracker.progress import cohort_matrix_json, cohort_progress
from tracker.progress.csv_lines import neutralise
from tracker.progress.rendering import EncodedJSONRenderer, StoredRowsJSONRenderer
from tracker.roster import RosterError, roster_import
from tracker.security.ratelimit import RosterLimit


class CsvRenderer(BaseRenderer):
    """Lets ``Accept: text/csv`` through content negotiation; errors render as one line."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if isinstance(data, dict) and "detail" in data:
            return f"error\n{neutralise(data['detail'])}\n".encode()
        return b""


# Lines per chunk of the streamed CSV: one chunk per line cost the server a socket write per
# learner (docs/PERFORMANCE.md, issue 17); a few hundred lines are a few tens of kilobytes.
CSV_LINES_PER_CHUNK = 250


def stream_csv(lines: Iterable[str]) -> Iterator[str]:
    chunk: list[str] = []
    for line in lines:
        chunk.append(line)
        if len(chunk) >= CSV_LINES_PER_CHUNK:
            yield "".join(chunk)
            chunk = []
    if chunk:
        yield "".join(chunk)


class NamedFilterBackend(DjangoFilterBackend):
    """``DjangoFilterBackend`` that builds and validates its filterset only when the request
    names one of its filters: without them it changes nothing, and the progress page is read
    after every write (figure 2 of docs/PERFORMANCE.md)."""

    def filter_queryset(self, request, queryset, view):
        filterset_class = self.get_filterset_class(view, queryset)
        if filterset_class is not None and not any(
            name in request.query_params for name in filterset_class.base_filters
        ):
            return queryset
        return super().filter_queryset(request, queryset, view)


class CohortViewSet(RuleViewSet):
    rule = COHORT_RULE
    output_serializer = serializers.CohortSerializer
    filterset_class = CohortFilter
    ordering_fields = ["start_date", "name", "created_at"]
    ordering = ["-start_date", "name"]
    staff_only_actions = {"create"}
    object_checks = {"roster": IsStaff()}

    def get_queryset(self):
        return Cohort.objects.select_related("program")

    @extend_schema(request=inputs.CohortInput, responses={201: serializers.CohortSerializer})
    def create(self, request, *args, **kwargs):
        cohort = services.cohort_create(actor=request.user, **self.validated(inputs.CohortInput))
        return self.show(cohort, status_code=status.HTTP_201_CREATED)

    @extend_schema(request=inputs.CohortUpdateInput, responses=serializers.CohortSerializer)
    def partial_update(self, request, *args, **kwargs):
        cohort = self.get_object()
        fields = self.validated(inputs.CohortUpdateInput, partial=True)
        cohort = services.cohort_update(actor=request.user, cohort=cohort, **fields)
        return self.show(cohort)

    # The CSV export's view options (it is routed by hand, see urls.py).
    progress_csv_options = {
        "filterset_class": CohortProgressFilter,
        "filter_backends": [NamedFilterBackend, OrderingFilter],
        "ordering_fields": ["id", "learner__username", "learner__last_name", "enrolled_at"],
        "ordering": None,
        "renderer_classes": [JSONRenderer, CsvRenderer],
        "pagination_class": None,
        "detail": True,
    }

    # --- Progress ------------------------------------------------------------------------
    @extend_schema(
        request=None,
        responses=serializers.CohortProgressRowSerializer(many=True),
        description="Progress of every enrollment of the cohort in the caller's scope.",
    )
    @action(
        detail=True,
        methods=["get"],
        filterset_class=CohortProgressFilter,
        filter_backends=[NamedFilterBackend, OrderingFilter],
        ordering_fields=["id", "learner__username", "learner__last_name", "enrolled_at"],
        ordering=None,
        pagination_class=StoredRowsPagination,
        renderer_classes=[StoredRowsJSONRenderer, BrowsableAPIRenderer],
    )
    def progress(self, request, pk=None):
        rows = cohort_progress(
            fetched_by=request.user,
            cohort_id=pk,
            narrow=self.filter_queryset,
            pace=request.query_params.get("pace"),
        )
        return self.get_paginated_response(self.paginate_queryset(rows))

    @extend_schema(
        request=None,
        responses={
            (200, "text/csv"): OpenApiResponse(
                OpenApiTypes.STR, description="The same rows and fields as progress/, streamed."
            )
        },
        filters=True,
    )
    def progress_csv(self, request, pk=None):
        """Routed by hand in urls.py: the contract's path has no trailing slash."""
        cohort = self.get_object()
        rows = cohort_progress(
            fetched_by=request.user,
            cohort_id=cohort.pk,
            narrow=self.filter_queryset,
            pace=request.query_params.get("pace"),
        )
        response = StreamingHttpResponse(
            stream_csv(rows.export_lines()), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = f'attachment; filename="cohort-{cohort.pk}-progress.csv"'
        return response

    # --- Roster ---------------------------------------------------------------------------
    @extend_schema(
        request={"multipart/form-data": inputs.RosterInput},
        responses={
            201: serializers.RosterResultSerializer,
            400: OpenApiResponse(
                serializers.RosterErrorSerializer,
                description="Nothing imported: each bad row with its line and field, or a "
                "problem with the whole file.",
            ),
            413: OpenApiResponse(
                serializers.ErrorDetailSerializer,
                description="Larger than STRIDE_MAX_UPLOAD_BYTES.",
            ),
            429: OpenApiResponse(
                serializers.ErrorDetailSerializer,
                description="Too many imports (STRIDE_THROTTLE_ROSTER); see `Retry-After`.",
            ),
        },
    )
    @action(
        detail=True,
        methods=["post"],
        parser_classes=[MultiPartParser],
        filter_backends=[],
        throttle_classes=[*api_settings.DEFAULT_THROTTLE_CLASSES, RosterLimit],
    )
    def roster(self, request, pk=None):
        limit = settings.STRIDE_MAX_UPLOAD_BYTES
        # Refuse before reading the body when the client announces it is too large.
        try:
            announced = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            announced = 0
        if announced > limit + 64 * 1024:
            raise PayloadTooLarge(
                gettext("The upload is larger than %(limit)s bytes.") % {"limit": limit}
            )
        cohort = self.get_object()
        upload = request.FILES.get("file")
        if upload is None:
            return Response(
                {"file": [gettext("Upload the CSV as the form field “file”.")]}, status=400
            )
        if upload.size > limit:
            raise PayloadTooLarge(
                gettext("The upload is larger than %(limit)s bytes.") % {"limit": limit}
            )
        try:
            result = roster_import(actor=request.user, cohort=cohort, content=upload.read())
        except RosterError as error:
            return Response(error.as_dict(), status=status.HTTP_400_BAD_REQUEST)
        return Response(result.as_dict(), status=status.HTTP_201_CREATED)

    # --- Matrix ---------------------------------------------------------------------------
    @extend_schema(request=None, responses=serializers.CohortMatrixSerializer)
    @action(
        detail=True,
        methods=["get"],
        filter_backends=[],
        pagination_class=None,
        renderer_classes=[EncodedJSONRenderer, BrowsableAPIRenderer],
    )
    def matrix(self, request, pk=None):
        # Written as JSON text by the selector: a dict per cell and DRF's encoder were most of
        # this answer's cost (docs/PERFORMANCE.md, issue 17).
        return Response(cohort_matrix_json(fetched_by=request.user, cohort=self.get_object()))
