"""Cohorts, with their progress report (JSON and streamed CSV), roster import and matrix."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import Q, QuerySet
from django.http import Http404, StreamingHttpResponse
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.filters import OrderingFilter
from rest_framework.parsers import MultiPartParser
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.response import Response
from rest_framework.settings import api_settings

from curriculum import services
from curriculum.kernel.access import IsStaff, scope
from curriculum.models import Cohort
from curriculum.rules import COHORT_RULE
from learners.models import Enrollment
from learners.rules import ENROLLMENT_RULE
from tracker.api import inputs, serializers
from tracker.api.base import RuleViewSet
from tracker.api.exceptions import PayloadTooLarge
from tracker.api.filters import CohortFilter, CohortProgressFilter
from tracker.progress import cache as progress_cache
from tracker.progress import cohort_matrix, snapshots
from tracker.roster import RosterError, roster_import

# Characters that make a spreadsheet read a cell as a formula (CSV injection).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")

CSV_COLUMNS = [
    "enrollment",
    "learner_id",
    "learner_username",
    "learner_name",
    "mentor_id",
    "mentor_name",
    "status",
    "percent_complete",
    "expected_percent",
    "pace",
    "risk_reasons",
    "last_activity_at",
    "overdue_count",
    "next_due_assignment",
    "next_due_title",
    "next_due_date",
    "minutes_logged_7d",
    "projected_completion",
]


def neutralise(value: Any) -> str:
    """The cell as text, with a leading ``'`` when a spreadsheet would run it as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_TRIGGERS) else text


class CsvRenderer(BaseRenderer):
    """Lets ``Accept: text/csv`` through content negotiation; errors render as one line."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if isinstance(data, dict) and "detail" in data:
            return f"error\n{neutralise(data['detail'])}\n".encode()
        return b""


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_line(row: dict[str, Any]) -> list[str]:
    next_due = row["next_due"] or {}
    mentor = row["mentor"] or {}
    values = [
        row["enrollment"],
        row["learner"]["id"],
        row["learner"]["username"],
        row["learner"]["name"],
        mentor.get("id"),
        mentor.get("name"),
        row["status"],
        row["percent_complete"],
        row["expected_percent"],
        row["pace"],
        ";".join(row["risk_reasons"]),
        row["last_activity_at"],
        row["overdue_count"],
        next_due.get("assignment"),
        next_due.get("title"),
        next_due.get("date"),
        row["minutes_logged_7d"],
        row["projected_completion"],
    ]
    return [neutralise(value) for value in values]


def stream_csv(rows: Iterable[dict[str, Any]]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield "\ufeff" + writer.writerow(CSV_COLUMNS)
    for row in rows:
        yield writer.writerow(csv_line(row))


COHORT_TIMEZONE_SQL = "SELECT {pk}, {timezone} FROM {table} WHERE {pk} = %s".format(
    pk=connection.ops.quote_name("id"),
    timezone=connection.ops.quote_name("timezone"),
    table=connection.ops.quote_name(Cohort._meta.db_table),
)


def _roster_sql() -> tuple[str, str]:
    q = connection.ops.quote_name
    enrollments, users = q(Enrollment._meta.db_table), q(get_user_model()._meta.db_table)
    count = f"SELECT COUNT(*) FROM {enrollments} WHERE {q('cohort_id')} = %s"
    page = (
        f"SELECT e.{q('id')} FROM {enrollments} e INNER JOIN {users} u "
        f"ON u.{q('id')} = e.{q('learner_id')} WHERE e.{q('cohort_id')} = %s "
        f"ORDER BY u.{q('last_name')} ASC, u.{q('first_name')} ASC, e.{q('id')} ASC "
        f"LIMIT %s OFFSET %s"
    )
    return count, page


ROSTER_COUNT_SQL, ROSTER_PAGE_SQL = _roster_sql()


class CohortRoster:
    """The ids of every enrollment of a cohort in the progress page's default order (the
    learner's last name, first name, then id), paged by Django's ``Paginator`` with two plain
    statements: what the ORM query of an unfiltered page for staff (whose scope is everything)
    compiles to, without compiling it on every request."""

    ordered = True

    def __init__(self, cohort_id: int) -> None:
        self.cohort_id = cohort_id

    def count(self) -> int:
        with connection.cursor() as cursor:
            cursor.execute(ROSTER_COUNT_SQL, [self.cohort_id])
            return cursor.fetchone()[0]

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, index: slice) -> list[int]:
        if not isinstance(index, slice) or index.step is not None:
            raise TypeError("A roster is read by slices of consecutive rows.")
        start = index.start or 0
        with connection.cursor() as cursor:
            cursor.execute(ROSTER_PAGE_SQL, [self.cohort_id, index.stop - start, start])
            return [row[0] for row in cursor.fetchall()]


class RenderedResponse(Response):
    """A response whose JSON body is already rendered (a cached progress page): the bytes are
    sent as they are; ``data`` parses them back for callers that read it."""

    def __init__(self, content: bytes) -> None:
        self.content_bytes = content
        super().__init__(data=None)

    @property
    def data(self) -> Any:
        return json.loads(self.content_bytes)

    @data.setter
    def data(self, value: Any) -> None:
        # Response.__init__ assigns None; the body is the bytes given, so the value is dropped.
        del value

    @property
    def rendered_content(self) -> bytes:
        self["Content-Type"] = self.content_type or self.accepted_renderer.media_type
        return self.content_bytes


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
        "filter_backends": [DjangoFilterBackend, OrderingFilter],
        "ordering_fields": ["id", "learner__username", "learner__last_name", "enrolled_at"],
        "ordering": None,
        "renderer_classes": [JSONRenderer, CsvRenderer],
        "pagination_class": None,
        "detail": True,
    }

    # --- Progress ------------------------------------------------------------------------
    def _readable(self, rule: Any) -> Q:
        """``rule.readable_by`` the caller, built once per request (rules build subqueries)."""
        conditions = self.__dict__.setdefault("_readable_conditions", {})
        if rule not in conditions:
            conditions[rule] = rule.readable_by(self.request.user)
        return conditions[rule]

    def _progress_cohort(self) -> Cohort:
        """``get_object()`` for the progress page, reading only the two columns it uses: the
        same scope (404 outside it) and object checks, without the program join."""
        condition = self._readable(self.rule)
        if condition == Q():
            # Every cohort is in scope (staff): a plain read, not an ORM query to compile.
            with connection.cursor() as cursor:
                cursor.execute(COHORT_TIMEZONE_SQL, [self.kwargs["pk"]])
                found = cursor.fetchall()
        else:
            visible = scope(Cohort.objects.all(), self.rule, self.request.user, condition=condition)
            found = list(visible.filter(pk=self.kwargs["pk"]).values_list("pk", "timezone")[:1])
        if not found:
            raise Http404("No cohort matches the given query.")
        cohort = Cohort(pk=found[0][0], timezone=found[0][1])
        self.check_object_permissions(self.request, cohort)
        return cohort

    def _asks_to_filter(self) -> bool:
        params = self.request.query_params
        return any(name in params for name in CohortProgressFilter.base_filters)

    def _asks_to_order(self) -> bool:
        return api_settings.ORDERING_PARAM in self.request.query_params

    def _progress_enrollments(self, cohort: Cohort) -> QuerySet[Enrollment]:
        """Every enrollment of the cohort in the caller's scope, filtered by ``?status=``,
        in the order asked for (by name if none)."""
        enrollments = scope(
            Enrollment.objects.filter(cohort_id=cohort.pk),
            ENROLLMENT_RULE,
            self.request.user,
            condition=self._readable(ENROLLMENT_RULE),
        )
        # Without their parameters the backends change nothing: skip building their forms.
        if self._asks_to_filter():
            enrollments = DjangoFilterBackend().filter_queryset(self.request, enrollments, self)
        if self._asks_to_order():
            enrollments = OrderingFilter().filter_queryset(self.request, enrollments, self)
        if not enrollments.query.order_by:
            enrollments = enrollments.order_by("learner__last_name", "learner__first_name", "id")
        return enrollments

    def _progress_page_texts(self, cohort: Cohort) -> list[str]:
        """The requested page's rows as JSON text (no ``?pace=``): the count, the page's ids,
        their stored rows; the engine only for rows not fresh."""
        if (
            self._readable(ENROLLMENT_RULE) == Q()
            and not self._asks_to_order()
            and not self._asks_to_filter()
        ):
            ids: Any = CohortRoster(cohort.pk)
        else:
            ids = self._progress_enrollments(cohort).values_list("pk", flat=True)
        return snapshots.page_texts(list(self.paginate_queryset(ids)), cohort.timezone)

    def _progress_rows(self, cohort: Cohort, *, paginate: bool) -> list[dict[str, Any]]:
        """Rows of every enrollment of the cohort in the caller's scope, filtered by
        ``?status=`` and ``?pace=``; a fixed number of queries whatever the cohort's size."""
        pace = self.request.query_params.get("pace")
        if paginate and not pace:
            return [json.loads(text) for text in self._progress_page_texts(cohort)]
        enrollments = self._progress_enrollments(cohort)
        # Beyond MAX_ID_LIST rows (a large cohort's CSV) the engine reads the rows that are not
        # fresh through this queryset as a subquery rather than a long list of ids.
        texts = snapshots.page_texts(
            list(enrollments.values_list("pk", flat=True)), cohort.timezone, scope=enrollments
        )
        rows = [json.loads(text) for text in texts]
        if pace:
            rows = [row for row in rows if row["pace"] == pace]
        if paginate:
            return self.paginate_queryset(rows)
        return rows

    def _progress_json(self, cohort: Cohort) -> bytes:
        """The page as DRF's ``JSONRenderer`` would write it, joined from the stored rows'
        text without parsing them."""
        texts = self._progress_page_texts(cohort)
        paginator = self.paginator
        count = paginator.page.paginator.count
        next_link = snapshots.to_json(paginator.get_next_link())
        previous_link = snapshots.to_json(paginator.get_previous_link())
        results = ",".join(texts)
        return (
            f'{{"count":{count},"next":{next_link},"previous":{previous_link},'
            f'"results":[{results}]}}'
        ).encode()

    @extend_schema(
        request=None,
        responses=serializers.CohortProgressRowSerializer(many=True),
        description="Progress of every enrollment of the cohort in the caller's scope.",
    )
    @action(
        detail=True,
        methods=["get"],
        filterset_class=CohortProgressFilter,
        filter_backends=[DjangoFilterBackend, OrderingFilter],
        ordering_fields=["id", "learner__username", "learner__last_name", "enrolled_at"],
        ordering=None,
    )
    def progress(self, request, pk=None):
        cohort = self._progress_cohort()
        # Keyed by the progress version stored in the database, so never stale (see
        # tracker.progress.cache); errors (bad filters, missing page) are never stored.
        renderer = request.accepted_renderer
        if not isinstance(renderer, JSONRenderer):
            # The browsable API: rendered per request, not cached.
            return self.get_paginated_response(self._progress_rows(cohort, paginate=True))
        key = progress_cache.page_key(
            cohort=cohort,
            user=request.user,
            # The query string picks filters, order and page; the host the links; the media
            # type's parameters (``indent``) the bytes.
            url=f"{request.build_absolute_uri()} {request.accepted_media_type}",
        )
        content = progress_cache.cached_page(key)
        if content is None:
            if self.request.query_params.get("pace") or renderer.get_indent(
                request.accepted_media_type, self.get_renderer_context()
            ):
                page = self.get_paginated_response(self._progress_rows(cohort, paginate=True))
                content = renderer.render(
                    page.data, request.accepted_media_type, self.get_renderer_context()
                )
            else:
                content = self._progress_json(cohort)
            progress_cache.store_page(key, content)
        return RenderedResponse(content)

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
        rows = self._progress_rows(cohort, paginate=False)
        response = StreamingHttpResponse(stream_csv(rows), content_type="text/csv; charset=utf-8")
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
        },
    )
    @action(detail=True, methods=["post"], parser_classes=[MultiPartParser], filter_backends=[])
    def roster(self, request, pk=None):
        limit = settings.STRIDE_MAX_UPLOAD_BYTES
        # Refuse before reading the body when the client announces it is too large.
        try:
            announced = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            announced = 0
        if announced > limit + 64 * 1024:
            raise PayloadTooLarge(f"The upload is larger than {limit} bytes.")
        cohort = self.get_object()
        upload = request.FILES.get("file")
        if upload is None:
            return Response({"file": ["Upload the CSV as the form field “file”."]}, status=400)
        if upload.size > limit:
            raise PayloadTooLarge(f"The upload is larger than {limit} bytes.")
        try:
            result = roster_import(actor=request.user, cohort=cohort, content=upload.read())
        except RosterError as error:
            return Response(error.as_dict(), status=status.HTTP_400_BAD_REQUEST)
        return Response(result.as_dict(), status=status.HTTP_201_CREATED)

    # --- Matrix ---------------------------------------------------------------------------
    @extend_schema(request=None, responses=serializers.CohortMatrixSerializer)
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def matrix(self, request, pk=None):
        cohort = self.get_object()
        enrollments = scope(Enrollment.objects.all(), ENROLLMENT_RULE, request.user)
        return Response(cohort_matrix(cohort, enrollments))
