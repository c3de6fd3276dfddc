"""Writes of the deployment check: run one check and store it, ask for one ("check now"),
publish the scheduled ones, and the mentor's extra examples for a learner.

A check of a submission whose assignment carries a prediction contract sends every example
(``live.run_contract``); without a contract it requests the URL (``guard.check_url``), as the
first deployment check did. Either way one ``DeploymentCheck`` row is stored, its contract
fields filled and, with a contract, ``examples`` too.
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from curriculum.kernel import clock
from curriculum.kernel.access import is_staff
from curriculum.models import Assignment
from curriculum.prediction import examples_errors
from learners.models import DeploymentCheck, Enrollment, Submission
from learners.rules import ENROLLMENT_RULE, SUBMISSION_RULE, OfEnrollment
from tracker import jobs
from tracker.deployments.guard import check_url
from tracker.deployments.live import run_contract

logger = logging.getLogger(__name__)

# Enrollments whose approved capstone is still checked on the schedule: until graduation.
SCHEDULED_STATUSES = (Enrollment.Status.ACTIVE, Enrollment.Status.PAUSED)


def deployment_check_run(*, submission_id: int) -> DeploymentCheck | None:
    """Check one submission's deployment and store the result (None if there is nothing to
    check)."""
    row = (
        Submission.objects.filter(pk=submission_id)
        .exclude(deployment_url="")
        .values(
            "deployment_url", "assignment__prediction_contract", "enrollment__prediction_examples"
        )
        .first()
    )
    if not row:
        return None
    checked_at = clock.now()
    contract = row["assignment__prediction_contract"]
    if contract:
        result = run_contract(
            row["deployment_url"], contract, row["enrollment__prediction_examples"] or []
        )
        fields = {
            "status_code": result.status_code,
            "ok": result.ok,
            "latency_ms": result.latency_ms,
            "error": result.error,
            "examples": result.examples,
        }
    else:
        plain = check_url(row["deployment_url"])
        fields = {
            "status_code": plain.status_code,
            "ok": plain.ok,
            "latency_ms": plain.latency_ms,
            "error": plain.error,
        }
    with transaction.atomic():
        if not Submission.objects.filter(pk=submission_id).exists():
            return None
        check = DeploymentCheck(submission_id=submission_id, checked_at=checked_at, **fields)
        check.full_clean()
        check.save()
    return check


def deployment_check_request(*, actor: Any, submission: Submission) -> bool:
    """ "Check now": the learner, their mentor or staff asks for a check of a deployed
    submission; published after commit. True when the broker took it (else the schedule
    catches up)."""
    if not SUBMISSION_RULE.can_read(actor, submission):
        raise PermissionDenied(_("You may not check this deployment."))
    if not submission.deployment_url:
        raise ValidationError(
            {"deployment_url": [_("This submission has no deployment URL to check.")]}
        )
    return jobs.publish(jobs.CHECK_DEPLOYMENT, args=[submission.pk])


def submissions_to_recheck():
    """The latest version of every deployed capstone submission of an active learner."""
    return (
        Submission.objects.exclude(deployment_url="")
        .filter(enrollment__status__in=["active", "paused", "graduated"])
        .order_by("enrollment_id", "assignment_id", "-version")
        .values_list("id", "enrollment_id", "assignment_id")
    )


def deployment_recheck_all() -> int:
    """Publish one check of the latest deployed version of every capstone submission; the
    number published."""
    seen: set[tuple[int, int]] = set()
    queued = 0
    for submission_id, enrollment_id, assignment_id in submissions_to_recheck():
        if (enrollment_id, assignment_id) in seen:
            continue
        seen.add((enrollment_id, assignment_id))
        queued += jobs.publish(jobs.CHECK_DEPLOYMENT, args=[submission_id])
    logger.info("Queued %d deployment re-checks at %s", queued, clock.now().isoformat())
    return queued


def approved_capstones_to_check() -> list[int]:
    """Submission ids of every approved, deployed capstone (the latest version) of a learner
    not yet graduated or withdrawn: what the hourly live-model check sends its examples to."""
    rows = (
        Submission.objects.exclude(deployment_url="")
        .filter(
            status=Submission.Status.APPROVED,
            assignment__kind=Assignment.Kind.MILESTONE,
            enrollment__status__in=SCHEDULED_STATUSES,
        )
        .order_by("enrollment_id", "assignment_id", "-version")
        .values_list("id", "enrollment_id", "assignment_id")
    )
    seen: set[tuple[int, int]] = set()
    chosen = []
    for submission_id, enrollment_id, assignment_id in rows:
        if (enrollment_id, assignment_id) not in seen:
            seen.add((enrollment_id, assignment_id))
            chosen.append(submission_id)
    return chosen


def capstone_check_all() -> int:
    """Publish the live-model check of every approved capstone until graduation (hourly);
    the number published."""
    queued = sum(
        jobs.publish(jobs.CHECK_DEPLOYMENT, args=[submission_id])
        for submission_id in approved_capstones_to_check()
    )
    logger.info("Queued %d capstone live-model checks", queued)
    return queued


@transaction.atomic
def prediction_examples_set(*, actor: Any, enrollment: Enrollment, examples: Any) -> Enrollment:
    """Replace the extra examples the learner's capstone is checked with: their active mentor
    or staff. Names may not repeat the contract's own examples' names. They are sent after the
    contract's own, once the final milestone has a contract."""
    if not ENROLLMENT_RULE.can_read(actor, enrollment):
        raise PermissionDenied(_("You may not change this learner's examples."))
    if not (is_staff(actor) or OfEnrollment("", learner=False).check(actor, enrollment)):
        raise PermissionDenied(_("Only the learner's mentor or staff add examples."))
    locked = Enrollment.objects.select_for_update(no_key=True).get(pk=enrollment.pk)
    final_id = Assignment.final_milestone_id(locked.cohort.program_id)
    contract = (
        Assignment.objects.filter(pk=final_id).values_list("prediction_contract", flat=True).first()
        if final_id
        else None
    )
    # Examples may be added before the program has a contract: they are sent once it has one.
    taken = {example.get("name") for example in (contract or {}).get("examples", [])}
    errors = examples_errors(examples, "", taken=taken)
    if errors:
        raise ValidationError({"examples": errors})
    locked.prediction_examples = examples
    locked.save(update_fields=["prediction_examples"])
    return locked
