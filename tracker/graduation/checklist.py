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
from functools import cached_property
from typing import Any, NamedTuple

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from curriculum.kernel import clock
from curriculum.models import Assignment
from learners.models import DeploymentCheck, Enrollment, Submission
from learners.selectors import latest_versions
from mentors.models import MentorSession


class Milestone(NamedTuple):
    """A capstone milestone as the checklist uses it (its id and title)."""

    pk: int
    title: str


def milestones_of_detail(detail: dict[str, Any]) -> list[Milestone]:
    """The program's milestones read from an enrollment's progress detail
    (``tracker.progress.enrollment_detail``): its assignments are the program's, in due order
    (due week, then order, unique per program), each with its kind and title."""
    return [
        Milestone(item["assignment"], item["title"])
        for item in detail["assignments"]
        if item["kind"] == Assignment.Kind.MILESTONE
    ]


class GraduationReads:
    """What the checklist and the capstone card of one enrollment both read, read once each
    (``graduation_panel`` shows both): the latest version of every assignment, the program's
    milestones (given, when the page has them: ``milestones_of_detail``), the final milestone
    (the last of them) and its newest deployed version."""

    def __init__(
        self, enrollment: Enrollment, *, milestones: list[Milestone] | None = None
    ) -> None:
        self.enrollment = enrollment
        self._milestones = milestones

    @cached_property
    def latest(self) -> dict[int, Submission]:
        return {
            submission.assignment_id: submission
            for submission in latest_versions(
                Submission.objects.filter(enrollment=self.enrollment)
            ).select_related("assignment")
        }

    @cached_property
    def milestones(self) -> list[Assignment] | list[Milestone]:
        if self._milestones is not None:
            return self._milestones
        return list(
            Assignment.objects.filter(
                program_id=self.enrollment.cohort.program_id, kind=Assignment.Kind.MILESTONE
            ).order_by("due_week", "order")
        )

    @cached_property
    def final_id(self) -> int | None:
        # The last by due week and order, as ``Assignment.final_milestone_id`` orders them
        # (order is unique per program, so there is no tie).
        return self.milestones[-1].pk if self.milestones else None

    @cached_property
    def deployed(self) -> Submission | None:
        """The newest version of the final milestone that carries a deployment address."""
        if self.final_id is None or self.final_id not in self.latest:
            return None  # no capstone, or never submitted: never deployed
        return (
            Submission.objects.filter(enrollment=self.enrollment, assignment_id=self.final_id)
            .exclude(deployment_url="")
            .order_by("-version")
            .first()
        )

    @cached_property
    def check(self) -> DeploymentCheck | None:
        """The newest check of ``deployed``."""
        if self.deployed is None:
            return None
        return (
            DeploymentCheck.objects.filter(submission=self.deployed)
            .order_by("-checked_at", "-id")
            .first()
        )


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


def _milestones(reads: GraduationReads, latest: dict[int, Submission]) -> tuple[bool, str]:
    milestones = reads.milestones
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


def _live_check(reads: GraduationReads, days: int) -> tuple[bool, str]:
    if reads.final_id is None:
        return False, _("The program has no capstone milestone to deploy.")
    if reads.deployed is None:
        return False, _("No deployed capstone yet.")
    check = reads.check
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


def checklist_of(enrollment: Enrollment, *, reads: GraduationReads | None = None) -> dict[str, Any]:
    """``{"eligible", "requirements": [{code, label, met, detail}]}`` for ``enrollment`` under its
    program's rules; eligible when every requirement that is on is met (so always, when none
    is on). Five queries at most, whatever the enrollment's history."""
    rules = enrollment.cohort.program.graduation_requirements
    reads = reads or GraduationReads(enrollment)
    latest = reads.latest
    outcomes: list[tuple[str, tuple[bool, str]]] = []
    if rules["milestones_approved"]["on"]:
        outcomes.append(("milestones_approved", _milestones(reads, latest)))
    if rules["live_check"]["on"]:
        outcomes.append(("live_check", _live_check(reads, rules["live_check"]["days"])))
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
