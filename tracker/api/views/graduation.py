"""Certificates: list and detail in scope, the PDF, and revocation (staff). The enrollment's
graduation checklist and ``graduate`` action live on ``EnrollmentViewSet``."""

from __future__ import annotations

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.decorators import action
from rest_framework.renderers import BaseRenderer, JSONRenderer

from curriculum.kernel.access import IsStaff
from learners.models import Certificate
from learners.rules import CERTIFICATE_RULE
from tracker.api import inputs, serializers
from tracker.api.base import RuleViewSet
from tracker.graduation import certificate_pdf, certificate_revoke


class PdfRenderer(BaseRenderer):
    """Lets ``Accept: application/pdf`` through content negotiation (the view answers the
    document itself; errors are JSON)."""

    media_type = "application/pdf"
    format = "pdf"
    charset = None
    render_style = "binary"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return data if isinstance(data, bytes) else b""


def pdf_response(certificate: Certificate) -> HttpResponse:
    response = HttpResponse(certificate_pdf(certificate), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="certificate-{certificate.code}.pdf"'
    response["Cache-Control"] = "private, no-store"
    return response


class CertificateViewSet(RuleViewSet):
    rule = CERTIFICATE_RULE
    output_serializer = serializers.CertificateSerializer
    ordering_fields = ["issued_at", "id"]
    ordering = ["-issued_at", "-id"]
    object_checks = {"revoke": IsStaff()}

    def get_queryset(self):
        return Certificate.objects.all()

    @extend_schema(
        request=inputs.CertificateRevokeInput, responses=serializers.CertificateSerializer
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    def revoke(self, request, pk=None):
        certificate = self.get_object()
        fields = self.validated(inputs.CertificateRevokeInput)
        certificate = certificate_revoke(
            actor=request.user, certificate=certificate, reason=fields["reason"]
        )
        return self.show(certificate)

    @extend_schema(
        request=None,
        responses={
            (200, "application/pdf"): OpenApiResponse(
                OpenApiTypes.BINARY, description="The certificate as a PDF."
            )
        },
    )
    @action(
        detail=True,
        methods=["get"],
        filter_backends=[],
        renderer_classes=[JSONRenderer, PdfRenderer],
    )
    def pdf(self, request, pk=None):
        return pdf_response(self.get_object())
