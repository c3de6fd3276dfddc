"""Graduating an enrollment (which issues its certificate) and revoking a certificate.

Both are staff writes in one transaction. ``enrollment_graduate`` graduates through the
learners app's status service (so the status-changed event fires on commit and the pairing
closes), and only when the checklist is met, unless staff give a reason: the override, its
reason, who made it and which requirements were missing are kept on the certificate, and
logged to the ``stride.audit`` logger.
"""

from __future__ import annotations

import logging
import secrets
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from curriculum.kernel import clock
from curriculum.kernel.names import display_name
from curriculum.models import Assignment
from curriculum.services import add_error, raise_if, require_staff, validate_instance
from learners.models import Certificate, Enrollment, Submission
from learners.services import enrollment_set_status
from tracker.graduation.checklist import checklist_of

audit_log = logging.getLogger("stride.audit")

REASON_MAX = 2000


def new_certificate_code() -> str:
    """An unguessable code (128 random bits, URL-safe): the certificate's public address."""
    return secrets.token_urlsafe(16)


def _capstone(enrollment: Enrollment) -> tuple[str, str]:
    """The final milestone's title and the deployed address of its newest deployed version."""
    final_id = Assignment.final_milestone_id(enrollment.cohort.program_id)
    if final_id is None:
        return "", ""
    title = Assignment.objects.filter(pk=final_id).values_list("title", flat=True).first() or ""
    deployed = (
        Submission.objects.filter(enrollment=enrollment, assignment_id=final_id)
        .exclude(deployment_url="")
        .order_by("-version")
        .values_list("deployment_url", flat=True)
        .first()
    )
    return title, deployed or ""


def _clean_reason(value: Any, field: str, errors: dict) -> str:
    if not isinstance(value, str):
        value = ""
    value = value.strip()
    if len(value) > REASON_MAX:
        add_error(
            errors, field, _("Keep the reason under %(max)d characters.") % {"max": REASON_MAX}
        )
    return value


@transaction.atomic
def enrollment_graduate(
    *, actor: Any, enrollment: Enrollment, override_reason: str = ""
) -> Certificate:
    """Graduate ``enrollment`` and issue its certificate (returned). Refused (``override_reason``
    error) while the checklist is not met and no reason is given. Graduating an enrollment that
    already holds a valid certificate returns that certificate."""
    require_staff(actor, _("graduate learners"))
    errors: dict[str, list[str]] = {}
    reason = _clean_reason(override_reason, "override_reason", errors)
    raise_if(errors)
    locked = (
        Enrollment.objects.select_for_update(no_key=True, of=("self",))
        .select_related("cohort", "cohort__program", "learner")
        .get(pk=enrollment.pk)
    )
    existing = Certificate.objects.filter(enrollment=locked, revoked_at__isnull=True).first()
    checklist = checklist_of(locked)
    unmet = [item for item in checklist["requirements"] if not item["met"]]
    if unmet and not reason:
        raise ValidationError(
            {
                "override_reason": [
                    _(
                        "The graduation checklist is not met (%(missing)s). Give a reason to "
                        "graduate anyway."
                    )
                    % {"missing": "; ".join(item["detail"] for item in unmet)}
                ]
            }
        )
    if locked.status != Enrollment.Status.GRADUATED:
        enrollment_set_status(actor=actor, enrollment=locked, status=Enrollment.Status.GRADUATED)
        enrollment.status, enrollment.status_changed_at = locked.status, locked.status_changed_at
    if existing is not None:
        return existing
    title, deployed = _capstone(locked)
    certificate = Certificate(
        enrollment=locked,
        code=new_certificate_code(),
        issued_at=clock.now(),
        issued_by=actor,
        override_reason=reason if unmet else "",
        unmet=[item["code"] for item in unmet],
        learner_name=display_name(locked.learner),
        program_name=locked.cohort.program.name,
        cohort_name=locked.cohort.name,
        completed_on=clock.today(locked.cohort.timezone),
        capstone_title=title,
        deployed_url=deployed,
    )
    raise_if(validate_instance(certificate, validate_constraints=False))
    try:
        with transaction.atomic():
            certificate.save()
    except IntegrityError as error:  # graduated at the same moment by someone else
        raise ValidationError(
            {"enrollment": [_("This enrollment was graduated meanwhile; reload the page.")]}
        ) from error
    audit_log.info(
        "certificate issued",
        extra={
            "event": "certificate_issued",
            "certificate_id": certificate.pk,
            "enrollment_id": locked.pk,
            "actor_id": actor.pk,
            "override": bool(unmet),
            "unmet": certificate.unmet,
        },
    )
    return certificate


@transaction.atomic
def certificate_revoke(*, actor: Any, certificate: Certificate, reason: str) -> Certificate:
    """Mark ``certificate`` revoked, with the reason its verification page shows from then on."""
    require_staff(actor, _("revoke certificates"))
    locked = Certificate.objects.select_for_update(no_key=True).get(pk=certificate.pk)
    errors: dict[str, list[str]] = {}
    cleaned = _clean_reason(reason, "reason", errors)
    if not cleaned and "reason" not in errors:
        add_error(errors, "reason", _("Say why the certificate is revoked."))
    if locked.revoked_at is not None:
        add_error(errors, "certificate", _("This certificate is already revoked."))
    raise_if(errors)
    locked.revoked_at = clock.now()
    locked.revoked_by = actor
    locked.revoke_reason = cleaned
    raise_if(validate_instance(locked, validate_constraints=False))
    locked.save(update_fields=["revoked_at", "revoked_by", "revoke_reason"])
    audit_log.info(
        "certificate revoked",
        extra={"event": "certificate_revoked", "certificate_id": locked.pk, "actor_id": actor.pk},
    )
    for field in ("revoked_at", "revoked_by", "revoke_reason"):
        setattr(certificate, field, getattr(locked, field))
    return locked
