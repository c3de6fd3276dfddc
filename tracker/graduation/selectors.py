"""Reads of the graduation room, scoped to the caller: the checklist, certificates in scope,
a certificate by its public code, and what the learner's and staff pages show about graduation
(``graduation_panel``)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from learners.models import Certificate, Enrollment
from learners.rules import CERTIFICATE_RULE
from mentors.models import Pairing
from mentors.selectors import pairing_list
from tracker.graduation.checklist import GraduationReads, checklist_of, milestones_of_detail
from tracker.graduation.documents import linkedin_url, verify_url

ALUMNI_STATUSES = (Enrollment.Status.GRADUATED, Enrollment.Status.WITHDRAWN)


def certificate_list(*, fetched_by: Any) -> QuerySet[Certificate]:
    return Certificate.objects.filter(CERTIFICATE_RULE.readable_by(fetched_by)).select_related(
        "enrollment"
    )


def certificate_by_code(code: str) -> Certificate | None:
    """The certificate a public verification address names, valid or revoked; None for any
    code that names none (the page answers the same 404 for every such code)."""
    if not code or len(code) > 64:
        return None
    return Certificate.objects.filter(code=code).first()


def graduation_checklist(*, fetched_by: Any, enrollment: Enrollment) -> dict[str, Any]:
    """The checklist of an enrollment the caller may read (the view found it in their scope)."""
    return checklist_of(enrollment)


def certificate_links(certificate: Certificate) -> dict[str, Any]:
    return {
        "certificate": certificate,
        "verify_url": verify_url(certificate),
        "linkedin_url": linkedin_url(certificate),
    }


def _capstone(reads: GraduationReads) -> dict[str, Any] | None:
    if reads.final_id is None:
        return None
    latest = reads.latest.get(reads.final_id)
    if latest is None:
        return {"title": None, "submission": None, "deployment_url": "", "check": None}
    deployed = reads.deployed
    return {
        "title": latest.assignment.title,
        "submission": latest,
        "deployment_url": deployed.deployment_url if deployed else "",
        "check": reads.check,
    }


def graduation_panel(
    *,
    fetched_by: Any,
    enrollment: Enrollment,
    pairings: list[Pairing] | None = None,
    detail: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """What a page about ``enrollment`` shows of graduation: whether it is an alumnus's
    (graduated or withdrawn: no to-do forms then), the checklist while it is open, its newest
    certificate (with its verification and LinkedIn links), the capstone and its live status,
    and the last mentor it had (the newest of ``pairings`` when the page has read them:
    ``mentors.selectors.enrollment_pairings``). With the enrollment's progress ``detail``
    (``tracker.progress.enrollment_detail``), the milestones are read from it."""
    alumni = enrollment.status in ALUMNI_STATUSES
    certificate = (
        certificate_list(fetched_by=fetched_by)
        .filter(enrollment=enrollment)
        .order_by("revoked_at", "-issued_at")
        .first()
    )
    if pairings is not None:
        last_pairing = pairings[0] if pairings else None
    else:
        last_pairing = (
            pairing_list(fetched_by=fetched_by)
            .filter(enrollment=enrollment)
            .select_related("mentor__user")
            .order_by("-started_at", "-id")
            .first()
        )
    # The checklist and the capstone card read the same submissions: once.
    milestones = milestones_of_detail(detail) if detail is not None else None
    reads = GraduationReads(enrollment, milestones=milestones)
    return {
        "alumni": alumni,
        "graduation": None if alumni else checklist_of(enrollment, reads=reads),
        "certificate": certificate_links(certificate) if certificate else None,
        "capstone": _capstone(reads),
        "last_mentor": last_pairing.mentor if last_pairing else None,
    }
