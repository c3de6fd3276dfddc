"""A certificate's documents: its public verification address, the PDF (reportlab, with a QR
code of that address) and the "add to LinkedIn profile" link. Everything printed is the
certificate's frozen facts, never a live read of the enrollment."""

from __future__ import annotations

import io
from pathlib import Path
from urllib.parse import urlencode

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext as _
from reportlab.graphics import renderPDF
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib.colors import HexColor
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas

from learners.models import Certificate

LINKEDIN_ADD_URL = "https://www.linkedin.com/profile/add"
# A font that covers names beyond Latin-1 (Debian's fonts-dejavu-core); Helvetica otherwise.
UNICODE_FONTS = (
    ("StrideSans", "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),
    ("StrideSans-Bold", "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"),
)


def issuer_name() -> str:
    return settings.STRIDE_CERTIFICATE_ISSUER


def verify_url(certificate: Certificate) -> str:
    """The certificate's public verification address (on ``STRIDE_BASE_URL``)."""
    return settings.STRIDE_BASE_URL + reverse("certificate_verify", args=[certificate.code])


def linkedin_url(certificate: Certificate) -> str:
    """LinkedIn's "add a licence or certification" form, filled in with the certificate."""
    day = certificate.completed_on
    query = {
        "startTask": "CERTIFICATION_NAME",
        "name": certificate.program_name,
        "organizationName": issuer_name(),
        "issueYear": day.year,
        "issueMonth": day.month,
        "certUrl": verify_url(certificate),
        "certId": certificate.code,
    }
    return f"{LINKEDIN_ADD_URL}?{urlencode(query)}"


def _fonts() -> tuple[str, str]:
    try:
        for name, path in UNICODE_FONTS:
            if name not in pdfmetrics.getRegisteredFontNames():
                if not Path(path).exists():
                    raise FileNotFoundError(path)
                pdfmetrics.registerFont(TTFont(name, path))
    except (FileNotFoundError, OSError):
        return "Helvetica", "Helvetica-Bold"
    return UNICODE_FONTS[0][0], UNICODE_FONTS[1][0]


def _qr(url: str, size: float) -> Drawing:
    widget = QrCodeWidget(url, barLevel="M")
    left, bottom, right, top = widget.getBounds()
    drawing = Drawing(
        size, size, transform=[size / (right - left), 0, 0, size / (top - bottom), 0, 0]
    )
    drawing.add(widget)
    return drawing


def certificate_pdf(certificate: Certificate) -> bytes:
    """The certificate as a one-page landscape A4 PDF."""
    regular, bold = _fonts()
    address = verify_url(certificate)
    buffer = io.BytesIO()
    width, height = landscape(A4)
    pdf = canvas.Canvas(buffer, pagesize=(width, height))
    pdf.setTitle(_("Certificate: %(name)s") % {"name": certificate.learner_name})
    pdf.setAuthor(issuer_name())
    pdf.setSubject(certificate.program_name)
    ink = HexColor("#1f2937")
    pdf.setStrokeColor(HexColor("#2563eb"))
    pdf.setLineWidth(3)
    pdf.rect(12 * mm, 12 * mm, width - 24 * mm, height - 24 * mm)
    pdf.setFillColor(ink)
    centre = width / 2
    pdf.setFont(bold, 30)
    pdf.drawCentredString(centre, height - 45 * mm, _("Certificate of completion"))
    pdf.setFont(regular, 14)
    pdf.drawCentredString(centre, height - 62 * mm, _("This certifies that"))
    pdf.setFont(bold, 26)
    pdf.drawCentredString(centre, height - 78 * mm, certificate.learner_name)
    pdf.setFont(regular, 14)
    pdf.drawCentredString(
        centre, height - 92 * mm, _("has completed the program") + f" {certificate.program_name}"
    )
    pdf.drawCentredString(
        centre,
        height - 101 * mm,
        _("Cohort %(cohort)s · completed on %(day)s")
        % {"cohort": certificate.cohort_name, "day": f"{certificate.completed_on:%Y-%m-%d}"},
    )
    lines = []
    if certificate.capstone_title:
        lines.append(_("Capstone: %(title)s") % {"title": certificate.capstone_title})
    if certificate.deployed_url:
        lines.append(_("Deployed at: %(url)s") % {"url": certificate.deployed_url})
    pdf.setFont(regular, 12)
    for index, line in enumerate(lines):
        pdf.drawCentredString(centre, height - (115 + 8 * index) * mm, line)
    # The verification block: the QR code of the address, the code and the address in words.
    qr_size = 38 * mm
    renderPDF.draw(_qr(address, qr_size), pdf, 20 * mm, 20 * mm)
    pdf.setFont(regular, 10)
    pdf.drawString(64 * mm, 40 * mm, _("Issued by %(issuer)s") % {"issuer": issuer_name()})
    pdf.drawString(64 * mm, 33 * mm, _("Verification code: %(code)s") % {"code": certificate.code})
    pdf.drawString(64 * mm, 26 * mm, _("Verify at: %(url)s") % {"url": address})
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()
