"""Demo data of the live-model check: the capstone's prediction contract (a fraud scorer) and,
for every deployed capstone, a history of stored checks with a result per example — most
models pass, every third one now answers wrong values, and a few had outages. Nothing here
calls the network: the rows are written as the check would have written them.

Idempotent: the contract is set once (a staff-changed one is kept), and a capstone whose
checks already carry examples gets no more.
"""

from __future__ import annotations

import datetime as dt
import json
import math

from curriculum.kernel import clock
from curriculum.models import Assignment, Program
from learners.models import DeploymentCheck, Submission

CONTRACT = {
    "method": "POST",
    "path": "/predict",
    "examples": [
        {
            "name": "card-not-present, new device, 3 a.m.",
            "request": {"features": [3.2, 0.1]},
            "expect": {"pointer": "/label", "equals": 1},
        },
        {
            "name": "grocery run, known card",
            "request": {"features": [0.2, 2.8]},
            "expect": {"pointer": "/probability", "within": [0.0, 0.2]},
        },
        {
            "name": "borderline refund",
            "request": {"features": [0.4, 0.3]},
            "expect": {"pointer": "/label", "one_of": [0, 1]},
        },
    ],
    "response_schema": {
        "type": "object",
        "required": ["probability", "label"],
        "properties": {
            "probability": {"type": "number", "minimum": 0, "maximum": 1},
            "label": {"type": "integer", "enum": [0, 1]},
        },
    },
    "latency_budget_ms": 800,
}
HISTORY = 18  # checks per capstone
EVERY = dt.timedelta(hours=6)


def _answer(features: list[float], *, inverted: bool) -> dict:
    z = 1.5 * features[0] - 2.0 * features[1] + 0.25
    probability = 1 / (1 + math.exp(-z))
    if inverted:
        probability = 1 - probability
    return {"probability": round(probability, 4), "label": int(probability >= 0.5)}


def _example_result(example: dict, *, down: bool, inverted: bool, latency: int) -> dict:
    if down:
        return {
            "name": example["name"],
            "ok": False,
            "status_code": 502,
            "latency_ms": latency,
            "schema_errors": [""],
            "value_ok": None,
            "error": "HTTP 502. The answer is not JSON.",
            "request": example["request"],
            "response": "<html><body>502 Bad Gateway</body></html>",
        }
    answer = _answer(example["request"]["features"], inverted=inverted)
    expect = example["expect"]
    value = answer[expect["pointer"].lstrip("/")]
    if "equals" in expect:
        value_ok = value == expect["equals"]
        wrong = f"{expect['pointer']} is {value}, expected {expect['equals']}."
    elif "within" in expect:
        low, high = expect["within"]
        value_ok = low <= value <= high
        wrong = f"{expect['pointer']} is {value}, expected between {low} and {high}."
    else:
        value_ok = value in expect["one_of"]
        wrong = f"{expect['pointer']} is {value}, expected one of {expect['one_of']}."
    return {
        "name": example["name"],
        "ok": value_ok,
        "status_code": 200,
        "latency_ms": latency,
        "schema_errors": [],
        "value_ok": value_ok,
        "error": "" if value_ok else wrong,
        "request": example["request"],
        "response": json.dumps(answer),
    }


def _check(submission_id: int, at: dt.datetime, step: int, *, failing_now: bool) -> DeploymentCheck:
    seed = submission_id * 31 + step * 7
    down = step % 9 == 4  # an outage now and then
    inverted = failing_now and step >= HISTORY - 3  # the model broke three checks ago
    results = [
        _example_result(
            example, down=down, inverted=inverted, latency=90 + (seed * (index + 3)) % 260
        )
        for index, example in enumerate(CONTRACT["examples"])
    ]
    failed = [result for result in results if not result["ok"]]
    shown = failed[0] if failed else results[-1]
    error = (
        f"{len(failed)} of {len(results)} examples failed; “{failed[0]['name']}”: "
        f"{failed[0]['error']}"
        if failed
        else ""
    )
    return DeploymentCheck(
        submission_id=submission_id,
        checked_at=at,
        status_code=shown["status_code"],
        ok=not failed,
        latency_ms=max(result["latency_ms"] for result in results),
        error=error[:500],
        examples=results,
    )


def seed_capstones(program: Program, *, cohort_name: str) -> int:
    """Set the contract on the program's final milestone and store check histories for the
    deployed capstones of the cohort ``cohort_name`` (the finished one: the other cohorts'
    checks tell their own story, e.g. the graduation checklist's states); the number of checks
    written."""
    final_id = Assignment.final_milestone_id(program.pk)
    if final_id is None:
        return 0
    Assignment.objects.filter(pk=final_id, prediction_contract__isnull=True).update(
        prediction_contract=CONTRACT
    )
    now = clock.now()
    rows = []
    deployed = (
        Submission.objects.filter(assignment_id=final_id, enrollment__cohort__name=cohort_name)
        .exclude(deployment_url="")
        .order_by("enrollment_id", "-version")
    )
    seen = set()
    for number, submission in enumerate(deployed):
        if submission.enrollment_id in seen:
            continue
        seen.add(submission.enrollment_id)
        checks = DeploymentCheck.objects.filter(submission__enrollment_id=submission.enrollment_id)
        if checks.exclude(examples=[]).exists():
            continue
        last = checks.order_by("-checked_at").values_list("checked_at", flat=True).first()
        start = last or submission.submitted_at
        failing_now = number % 3 == 2
        for step in range(HISTORY):
            at = start + EVERY * (step + 1)
            if at > now:
                break
            rows.append(_check(submission.pk, at, step, failing_now=failing_now))
    DeploymentCheck.objects.bulk_create(rows)
    return len(rows)
