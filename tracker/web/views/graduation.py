"""Certificates on the pages: the public verification page (``/verify/<code>``) and the PDF
download (the learner, their mentor, staff); revoking is on the staff enrollment page
(``staff.certificate_revoke_view``). Their data: ``tracker.graduation``."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from curriculum.kernel.names import display_name
from learners.selectors import enrollment_list
from tracker.graduation import (
    certificate_by_code,
    certificate_list,
    certificate_pdf,
    graduation_panel,
    linkedin_url,
    verify_url,
)
from tracker.security import ratelimit
from tracker.web.views.common import page, role_required


@require_GET
@never_cache
def certificate_verify(request: HttpRequest, code: str) -> HttpResponse:
    """Public: the certificate's facts and whether it is valid or was revoked. Any code that
    names no certificate is the same 404; lookups are rate-limited per client address."""
    wait = ratelimit.hit(ratelimit.CERTIFICATE_VERIFY, f"ip:{ratelimit.client_ident(request)}")
    if wait is not None:
        response = page(
            request,
            "web/certificate_verify.html",
            {"certificate": None, "wait": ratelimit.wait_text(wait)},
            status=429,
        )
        response["Retry-After"] = str(wait)
        return response
    certificate = certificate_by_code(code)
    if certificate is None:
        raise Http404(_("No such certificate."))
    response = page(
        request,
        "web/certificate_verify.html",
        {
            "certificate": certificate,
            "verify_url": verify_url(certificate),
            "linkedin_url": linkedin_url(certificate),
        },
    )
    response["X-Robots-Tag"] = "noindex"
    return response


@login_required
@require_GET
def certificate_download(request: HttpRequest, pk: int) -> HttpResponse:
    certificate = get_object_or_404(certificate_list(fetched_by=request.user), pk=pk)
    response = HttpResponse(certificate_pdf(certificate), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="certificate-{certificate.code}.pdf"'
    response["Cache-Control"] = "private, no-store"
    return response


@role_required("mentor", "staff")
def graduation_checklist_page(request: HttpRequest, pk: int) -> HttpResponse:
    """One learner's graduation checklist and capstone status, for their mentor (and staff)."""
    enrollment = get_object_or_404(enrollment_list(fetched_by=request.user), pk=pk)
    context = graduation_panel(fetched_by=request.user, enrollment=enrollment)
    return page(
        request,
        "web/graduation_checklist.html",
        {**context, "enrollment": enrollment, "learner_name": display_name(enrollment.learner)},
    )
