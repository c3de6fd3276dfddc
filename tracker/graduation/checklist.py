"""The graduation checklist of one enrollment: each requirement its program turns on, whether it
is met and a sentence saying why (``checklist_of``).

The requirements (``curriculum.models.DEFAULT_GRADUATION_RULES`` for their defaults):

- ``milestones_approved``: the latest version of every capstone milestone is approved;
- ``live_check``: the newest check of the deployed final milestone (the latest version with a
  ``deployment_url``) passed (``DeploymentCheck.ok``: the whole check passed) within ``days``;
- ``mentor_sessions``: at least ``minimum`` mentor sessions were held (status ``completed``);
- ``no_open_changes``: no assignment's latest version has changes requested.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from curriculum.kernel import clock
from curriculum.models import Assignment
from learners.models import DeploymentCheck, Enrollment, Submission
from learners.selectors import latest_versions
from mentors.models import MentorSession

LABELS = {
    "milestones_approved": gettext_lazy("All capstone milestones approved"),
    "live_check": gettext_lazy("Live-model check passing"),
    "mentor_sessions": gettext_lazy("Mentor sessions held"),
    "no_open_changes": gettext_lazy("No open changes requested"),
}


def requirement_label(code: str) -> str:
    return str(LABELS.get(code, code))


def _titles(titles: list[str]) -> str:
    return ", ".join(f"“{title}”" for title in titles)


def _milestones(enrollment: Enrollment, latest: dict[int, Submission]) -> tuple[bool, str]:
    milestones = list(
        Assignment.objects.filter(
            program_id=enrollment.cohort.program_id, kind=Assignment.Kind.MILESTONE
        ).order_by("due_week", "order")
    )
    missing = [
        milestone.title
        for milestone in milestones
        if getattr(latest.get(milestone.pk), "status", None) != Submission.Status.APPROVED
    ]
    if missing:
        return False, _("Not approved yet: %(titles)s.") % {"titles": _titles(missing)}
    return True, ngettext(
        "The %(count)d milestone is approved.",
        "All %(count)d milestones are approved.",
        len(milestones),
    ) % {"count": len(milestones)}


def _day(moment: dt.datetime) -> str:
    return f"{moment:%Y-%m-%d}"


def _live_check(enrollment: Enrollment, days: int) -> tuple[bool, str]:
    final_id = Assignment.final_milestone_id(enrollment.cohort.program_id)
    if final_id is None:
        return False, _("The program has no capstone milestone to deploy.")
    deployed = (
        Submission.objects.filter(enrollment=enrollment, assignment_id=final_id)
        .exclude(deployment_url="")
        .order_by("-version")
        .first()
    )
    if deployed is None:
        return False, _("No deployed capstone yet.")
    check = (
        DeploymentCheck.objects.filter(submission=deployed).order_by("-checked_at", "-id").first()
    )
    if check is None:
        return False, _("The deployed capstone has not been checked yet.")
    if not check.ok:
        cause = check.error or (
            _("HTTP %(status)s") % {"status": check.status_code} if check.status_code else ""
        )
        return False, _("The latest check, on %(day)s, failed%(cause)s.") % {
            "day": _day(check.checked_at),
            "cause": f": {cause}" if cause else "",
        }
    if check.checked_at < clock.now() - dt.timedelta(days=days):
        return False, _(
            "The latest check passed on %(day)s, more than %(days)d days ago: check it again."
        ) % {"day": _day(check.checked_at), "days": days}
    return True, _("Passed on %(day)s (within the last %(days)d days).") % {
        "day": _day(check.checked_at),
        "days": days,
    }


def _sessions(enrollment: Enrollment, minimum: int) -> tuple[bool, str]:
    held = MentorSession.objects.filter(
        enrollment=enrollment, status=MentorSession.Status.COMPLETED
    ).count()
    return held >= minimum, ngettext(
        "%(held)d of %(minimum)d mentor session held.",
        "%(held)d of %(minimum)d mentor sessions held.",
        minimum,
    ) % {"held": held, "minimum": minimum}


def _open_changes(latest: dict[int, Submission]) -> tuple[bool, str]:
    open_titles = [
        submission.assignment.title
        for submission in latest.values()
        if submission.status == Submission.Status.CHANGES_REQUESTED
    ]
    if open_titles:
        return False, _("Changes requested on %(titles)s.") % {
            "titles": _titles(sorted(open_titles))
        }
    return True, _("No changes requested are open.")


def checklist_of(enrollment: Enrollment) -> dict[str, Any]:
    """``{"eligible", "requirements": [{code, label, met, detail}]}`` for ``enrollment`` under its
    program's rules; eligible when every requirement that is on is met (so always, when none
    is on). Five queries at most, whatever the enrollment's history."""
    rules = enrollment.cohort.program.graduation_requirements
    latest = {
        submission.assignment_id: submission
        for submission in latest_versions(
            Submission.objects.filter(enrollment=enrollment)
        ).select_related("assignment")
    }
    outcomes: list[tuple[str, tuple[bool, str]]] = []
    if rules["milestones_approved"]["on"]:
        outcomes.append(("milestones_approved", _milestones(enrollment, latest)))
    if rules["live_check"]["on"]:
        outcomes.append(("live_check", _live_check(enrollment, rules["live_check"]["days"])))
    if rules["mentor_sessions"]["on"]:
        outcomes.append(
            ("mentor_sessions", _sessions(enrollment, rules["mentor_sessions"]["minimum"]))
        )
    if rules["no_open_changes"]["on"]:
        outcomes.append(("no_open_changes", _open_changes(latest)))
    requirements = [
        {"code": code, "label": requirement_label(code), "met": met, "detail": detail}
        for code, (met, detail) in outcomes
    ]
    return {
        "eligible": all(item["met"] for item in requirements),
        "requirements": requirements,
    }
