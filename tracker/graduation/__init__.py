"""Graduation: what a program requires, the checklist of each enrollment, graduating (with a
recorded override), certificates (PDF, public verification, revocation) and what an alumnus's
pages show.

- ``checklist``: the rules of ``curriculum.Program.graduation_rules`` applied to one enrollment
  (``checklist_of``): all milestones approved, the live-model check passing within N days, at
  least K held mentor sessions, no open changes requested; each on or off.
- ``services``: ``enrollment_graduate`` (staff; refused unless the checklist is met or a reason
  is given, which is kept on the certificate) and ``certificate_revoke`` (staff, with a reason).
- ``selectors``: ``graduation_checklist``, ``certificate_list``, ``certificate_by_code`` (the
  public verification page), ``graduation_panel`` (what the learner's and staff pages show).
- ``documents``: the certificate PDF (reportlab, with a QR code of the verification address),
  the verification address and the "add to LinkedIn profile" link.

A feature room beside notifications, deployments and the others: imports the lower apps, the
kernel and ``tracker.progress`` only; never ``tracker.api`` or ``tracker.web``.
"""

from tracker.graduation.checklist import checklist_of
from tracker.graduation.documents import certificate_pdf, linkedin_url, verify_url
from tracker.graduation.selectors import (
    certificate_by_code,
    certificate_list,
    graduation_checklist,
    graduation_panel,
)
from tracker.graduation.services import certificate_revoke, enrollment_graduate

__all__ = [
    "certificate_by_code",
    "certificate_list",
    "certificate_pdf",
    "certificate_revoke",
    "checklist_of",
    "enrollment_graduate",
    "graduation_checklist",
    "graduation_panel",
    "linkedin_url",
    "verify_url",
]
