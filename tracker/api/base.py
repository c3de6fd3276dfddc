"""What every API view shares: rule-based scope and permission, errors, schema, the write path."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.shortcuts import get_object_or_404
from django.utils import translation
from django.utils.translation import gettext
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.filters import OrderingFilter
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework.viewsets import GenericViewSet

from curriculum.kernel.access import scope
from tracker.api.exceptions import api_exception_handler
from tracker.api.parsers import StrictJSONParser
from tracker.api.permissions import RuleFilterBackend, RulePermission
from tracker.api.schema import StrideAutoSchema
from tracker.languages import request_language


class ApiViewMixin:
    permission_classes = [RulePermission]
    # JSON bodies only (the roster upload opts into multipart): one shape to validate, of a
    # bounded size and depth.
    parser_classes = [StrictJSONParser]
    schema = StrideAutoSchema()

    def get_exception_handler(self):
        return api_exception_handler

    def perform_authentication(self, request) -> None:
        super().perform_authentication(request)
        # A token-authenticated caller was anonymous to the language middleware (DRF
        # authenticates in the view): their language preference applies from here on.
        user = request.user
        applied_for = getattr(request._request, "stride_language_user", None)
        if user is not None and user.is_authenticated and applied_for != user.pk:
            translation.activate(request_language(request))

    def validated(self, serializer_class: type, *, partial: bool = False, data: Any = None) -> dict:
        """The request body checked by ``serializer_class`` (400 when it does not pass)."""
        body = self.request.data if data is None else data
        if not isinstance(body, Mapping):
            raise ValidationError({"non_field_errors": [gettext("Send a JSON object.")]})
        serializer = serializer_class(
            data=body,
            partial=partial,
            context={"request": self.request, "view": self},
        )
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)


class ApiView(ApiViewMixin, APIView):
    """A plain API view with the project's parser, error mapping and input helpers."""


class RuleViewSet(ApiViewMixin, GenericViewSet):
    """A viewset whose queryset is scoped by ``rule`` and whose writes go through services.

    ``output_serializer`` shows rows; writes validate with an input serializer, call one
    service, and answer with the fresh row in the output shape.
    """

    rule: Any = None
    output_serializer: type | None = None
    filter_backends = [RuleFilterBackend, DjangoFilterBackend, OrderingFilter]
    lookup_value_regex = "[0-9]+"

    def get_serializer_class(self):
        return self.output_serializer

    def show(self, instance: Any, *, status_code: int = status.HTTP_200_OK) -> Response:
        """The row re-read through the view's queryset (joins and prefetches included)."""
        fresh = self.get_queryset().get(pk=instance.pk)
        return Response(self.get_serializer(fresh).data, status=status_code)

    def list(self, request, *args, **kwargs):
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset)
        serializer = self.get_serializer(page, many=True)
        return self.get_paginated_response(serializer.data)

    def get_object(self):
        """The row named in the URL if the caller's scope holds it (404 otherwise), with the
        object checks applied (403). List filters do not apply to a single row."""
        queryset = scope(self.get_queryset(), self.rule, self.request.user)
        obj = get_object_or_404(queryset, pk=self.kwargs[self.lookup_url_kwarg or "pk"])
        self.check_object_permissions(self.request, obj)
        return obj

    def retrieve(self, request, *args, **kwargs):
        return Response(self.get_serializer(self.get_object()).data)
