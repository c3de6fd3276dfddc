"""Reads of the live-model check for the pages and the API: the latest result per example with
the last 30 checks' uptime and latency (learner, mentor, staff), and a cohort's capstones as
live / failing / pending / not deployed (staff)."""

from __future__ import annotations

import json
import math
from typing import Any

from django.db.models import OuterRef, Subquery

from curriculum.models import Assignment, Cohort
from learners.models import DeploymentCheck, Enrollment, Submission
from learners.rules import SUBMISSION_RULE
from learners.selectors import enrollment_list

HISTORY_LENGTH = 30  # checks the chart and the percentiles cover

LIVE = "live"
FAILING = "failing"
PENDING = "pending"  # deployed, not checked yet
NOT_DEPLOYED = "not_deployed"
STATES = (LIVE, FAILING, PENDING, NOT_DEPLOYED)


def percentile(values: list[int], share: float) -> int | None:
    """The nearest-rank percentile (``share`` in 0..1) of ``values``; None when empty."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(share * len(ordered)))
    return ordered[rank - 1]


def check_history(*, enrollment_id: int, assignment_id: int) -> list[DeploymentCheck]:
    """The last ``HISTORY_LENGTH`` checks of a capstone (every version), oldest first."""
    recent = DeploymentCheck.objects.filter(
        submission__enrollment_id=enrollment_id, submission__assignment_id=assignment_id
    ).order_by("-checked_at", "-id")[:HISTORY_LENGTH]
    return list(reversed(recent))


def history_summary(checks: list[DeploymentCheck]) -> dict[str, Any]:
    """Uptime and latency over ``checks``: how many passed, p50 and p95 of the latencies."""
    latencies = [check.latency_ms for check in checks if check.latency_ms is not None]
    passed = sum(1 for check in checks if check.ok)
    return {
        "total": len(checks),
        "passed": passed,
        "uptime_percent": round(100 * passed / len(checks)) if checks else None,
        "p50_ms": percentile(latencies, 0.50),
        "p95_ms": percentile(latencies, 0.95),
    }


def _pretty(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True)


def _expectations(contract: dict | None, extra: list[dict]) -> dict[str, Any]:
    examples = [*((contract or {}).get("examples") or []), *(extra or [])]
    return {example.get("name"): example.get("expect") for example in examples}


def example_rows(check: DeploymentCheck | None, expectations: dict[str, Any]) -> list[dict]:
    """The latest check's examples as the pages show them: sent, came back, what was wrong."""
    if check is None:
        return []
    rows = []
    for entry in check.examples or []:
        response = entry.get("response") or ""
        try:
            shown_response = _pretty(json.loads(response))
        except ValueError:
            shown_response = response
        expect = expectations.get(entry.get("name"))
        rows.append(
            {
                **entry,
                "sent": _pretty(entry.get("request")),
                "came_back": shown_response,
                "expect": _pretty(expect) if expect else "",
            }
        )
    return rows


def live_check(*, fetched_by: Any, submission: Submission) -> dict[str, Any]:
    """What the learner, their mentor and staff see of a deployed capstone: the contract, the
    latest check with one row per example, and the uptime and latency of the last 30 checks."""
    assignment = submission.assignment
    contract = assignment.prediction_contract
    extra = list(submission.enrollment.prediction_examples or [])
    checks = check_history(enrollment_id=submission.enrollment_id, assignment_id=assignment.pk)
    latest = checks[-1] if checks else None
    return {
        "submission": submission,
        "contract": contract,
        "contract_text": _pretty(contract) if contract else "",
        "extra_examples": extra,
        "latest": latest,
        "examples": example_rows(latest, _expectations(contract, extra)),
        "history": checks,
        "summary": history_summary(checks),
        "can_check": bool(submission.deployment_url)
        and SUBMISSION_RULE.can_read(fetched_by, submission),
    }


def latest_deployed_capstone(*, fetched_by: Any, enrollment: Enrollment) -> Submission | None:
    """The newest deployed version of the enrollment's final milestone, in scope (or None)."""
    final_id = Assignment.final_milestone_id(enrollment.cohort.program_id)
    if final_id is None:
        return None
    return (
        Submission.objects.filter(SUBMISSION_RULE.readable_by(fetched_by))
        .filter(enrollment=enrollment, assignment_id=final_id)
        .exclude(deployment_url="")
        .select_related("assignment", "enrollment")
        .order_by("-version")
        .first()
    )


def capstone_state(submission_id: int | None, latest_ok: bool | None) -> str:
    if submission_id is None:
        return NOT_DEPLOYED
    if latest_ok is None:
        return PENDING
    return LIVE if latest_ok else FAILING


def cohort_capstones(*, fetched_by: Any, cohort: Cohort) -> dict[str, Any]:
    """Every enrollment of ``cohort`` in scope with its capstone's state (``live``: the latest
    check passed; ``failing``: it did not; ``pending``: deployed, never checked;
    ``not_deployed``), the deployment URL and the latest check; plus the count per state."""
    final_id = Assignment.final_milestone_id(cohort.program_id)
    deployed = (
        Submission.objects.filter(enrollment_id=OuterRef("pk"), assignment_id=final_id)
        .exclude(deployment_url="")
        .order_by("-version")
    )
    latest_check = DeploymentCheck.objects.filter(
        submission__enrollment_id=OuterRef("pk"), submission__assignment_id=final_id
    ).order_by("-checked_at", "-id")
    enrollments = (
        enrollment_list(fetched_by=fetched_by)
        .filter(cohort=cohort)
        .annotate(
            capstone_id=Subquery(deployed.values("pk")[:1]),
            capstone_url=Subquery(deployed.values("deployment_url")[:1]),
            check_ok=Subquery(latest_check.values("ok")[:1]),
            check_at=Subquery(latest_check.values("checked_at")[:1]),
            check_error=Subquery(latest_check.values("error")[:1]),
            check_latency=Subquery(latest_check.values("latency_ms")[:1]),
        )
        .order_by("learner__last_name", "learner__first_name", "pk")
    )
    rows = []
    counts = dict.fromkeys(STATES, 0)
    for enrollment in enrollments:
        state = capstone_state(enrollment.capstone_id, enrollment.check_ok)
        counts[state] += 1
        rows.append(
            {
                "enrollment": enrollment,
                "state": state,
                "submission_id": enrollment.capstone_id,
                "deployment_url": enrollment.capstone_url or "",
                "checked_at": enrollment.check_at,
                "error": enrollment.check_error or "",
                "latency_ms": enrollment.check_latency,
            }
        )
    return {"cohort": cohort, "rows": rows, "counts": counts, "has_capstone": final_id is not None}
