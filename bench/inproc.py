"""In-process CPU per request of the pages and writes figure 6a judges worst: the learner's
home, the mentor's dashboard, one enrollment's progress (API), and the submit and review posts
(page and API).

Run on a database seeded with ``seed_demo --learners 500`` (a copy: the writes add rows), with
``bench.settings`` and ``DEBUG`` off, as ``bench/harness.py`` sets them (``bench_env``)::

    PYTHONPATH=$PWD python -m bench.inproc [--requests 40] [--writes 30]

Django's test ``Client`` signed in with ``force_login``; ``time.process_time()`` around each
request (the writes' ``on_commit`` work included: the client commits); three warm-up requests
per page; the median of each group and the queries of one request (``execute_wrapper``).
Prints one JSON line.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from typing import Any


class _Counter:
    def __init__(self) -> None:
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)


def _timed(call) -> tuple[float, Any]:
    started = time.process_time()
    answer = call()
    return (time.process_time() - started) * 1000, answer


def _queries(call) -> int:
    from django.db import connection

    counter = _Counter()
    with connection.execute_wrapper(counter):
        call()
    return counter.count


def _check(response, *codes: int) -> None:
    if response.status_code not in codes:
        raise SystemExit(f"{response.request['PATH_INFO']}: {response.status_code}")


def pages(client_for, enrollment, requests: int) -> dict[str, Any]:
    paths = {
        "learner home": ("learner", f"/learner/?enrollment={enrollment.pk}"),
        "enrollment progress (API)": ("learner", f"/api/v1/enrollments/{enrollment.pk}/progress/"),
        "mentor dashboard": ("mentor", "/mentor/"),
    }
    results = {}
    for name, (role, path) in paths.items():
        client = client_for(role)
        for _ in range(3):
            _check(client.get(path), 200)
        times = []
        for _ in range(requests):
            spent, response = _timed(lambda client=client, path=path: client.get(path))
            _check(response, 200)
            times.append(spent)
        results[name] = {
            "median_ms": round(statistics.median(times), 2),
            "queries": _queries(lambda client=client, path=path: client.get(path)),
        }
    return results


def _measure(index: int, post, codes: tuple[int, ...], times: list[float], queries):
    """One post of a kind's run: the first three warm up, the fourth is the one whose queries
    are counted (returned), every later one is timed into ``times``."""
    if index == 3:
        return _queries(lambda: _check(post(), *codes))
    spent, response = _timed(post)
    _check(response, *codes)
    if index > 3:
        times.append(spent)
    return queries


def writes(cohort, writes_per_kind: int) -> dict[str, Any]:
    """Submit by page and by API (a distinct learner and open assignment each), then review
    each of those submissions by page and by API as the learner's mentor."""
    from django.test import Client

    from curriculum.models import Assignment
    from learners.models import Enrollment, Submission
    from mentors.models import Pairing

    final = Assignment.final_milestone_id(cohort.program_id)
    assignments = list(
        Assignment.objects.filter(program_id=cohort.program_id)
        .exclude(pk=final)
        .order_by("due_week", "order")
        .values_list("pk", flat=True)
    )
    mentor_of = dict(
        Pairing.objects.filter(ended_at__isnull=True, enrollment__cohort=cohort)
        .select_related("mentor__user")
        .values_list("enrollment_id", "mentor__user_id")
    )
    enrollments = list(
        Enrollment.objects.filter(
            cohort=cohort, status=Enrollment.Status.ACTIVE, pk__in=list(mentor_of)
        )
        .select_related("learner")
        .order_by("pk")
    )
    latest: dict[tuple[int, int], str] = {}
    for enrollment_id, assignment_id, status in (
        Submission.objects.filter(enrollment__cohort=cohort)
        .order_by("enrollment_id", "assignment_id", "version")
        .values_list("enrollment_id", "assignment_id", "status")
    ):
        latest[enrollment_id, assignment_id] = status
    open_again = {None, Submission.Status.CHANGES_REQUESTED}
    plan = []
    for enrollment in enrollments:
        for assignment in assignments:
            if latest.get((enrollment.pk, assignment)) in open_again:
                plan.append((enrollment, assignment))
                break
    needed = 2 * (writes_per_kind + 3)
    if len(plan) < needed:
        raise SystemExit(f"only {len(plan)} learners with an open assignment; {needed} needed")
    plan = plan[:needed]

    # One client for every post: a new one would build the middleware again (WhiteNoise scans
    # the static files) inside the first timed request.
    client = Client()
    results: dict[str, Any] = {}
    made: list[tuple[int, int]] = []  # (submission id, mentor user id)
    for kind, path in (("submit (page POST)", "/learner/submit/"), ("submit (API POST)", None)):
        times, queries = [], None
        chunk, plan = plan[: writes_per_kind + 3], plan[writes_per_kind + 3 :]
        for index, (enrollment, assignment) in enumerate(chunk):
            client.force_login(enrollment.learner)
            fields = {
                "enrollment": enrollment.pk,
                "assignment": assignment,
                "url": f"https://git.example.org/{enrollment.learner.username}/work-{assignment}",
                "note": "Ready for a look.",
            }
            if path:
                post = lambda fields=fields, path=path: client.post(  # noqa: E731
                    path, fields
                )
                codes = (302,)
            else:
                post = lambda fields=fields: client.post(  # noqa: E731
                    "/api/v1/submissions/", fields, content_type="application/json"
                )
                codes = (201,)
            queries = _measure(index, post, codes, times, queries)
            made.append(
                (
                    Submission.objects.filter(enrollment=enrollment, assignment_id=assignment)
                    .order_by("-version")
                    .values_list("pk", flat=True)[0],
                    mentor_of[enrollment.pk],
                )
            )
        results[kind] = {"median_ms": round(statistics.median(times), 2), "queries": queries}

    from django.contrib.auth import get_user_model

    users = get_user_model().objects.in_bulk({mentor for _, mentor in made})
    verdict = {"verdict": "changes_requested", "feedback": "Good start; tests missing."}
    for kind, api in (("review (page POST)", False), ("review (API POST)", True)):
        times, queries = [], None
        chunk, made = made[: writes_per_kind + 3], made[writes_per_kind + 3 :]
        for index, (submission, mentor) in enumerate(chunk):
            client.force_login(users[mentor])
            if api:
                post = lambda submission=submission: client.post(  # noqa: E731
                    f"/api/v1/submissions/{submission}/review/",
                    verdict,
                    content_type="application/json",
                )
                codes = (200, 201)
            else:
                post = lambda submission=submission: client.post(  # noqa: E731
                    f"/mentor/reviews/{submission}/", verdict
                )
                codes = (302,)
            queries = _measure(index, post, codes, times, queries)
        results[kind] = {"median_ms": round(statistics.median(times), 2), "queries": queries}
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.inproc")
    parser.add_argument("--requests", type=int, default=40, help="GETs per page")
    parser.add_argument("--writes", type=int, default=30, help="posts per kind of write")
    parser.add_argument("--skip-writes", action="store_true")
    args = parser.parse_args(argv)

    import django

    django.setup()
    from django.test import Client

    from bench.child import first_people

    cohort, enrollment, users = first_people()

    def client_for(role: str) -> Client:
        client = Client()
        client.force_login(users[role])
        return client

    result: dict[str, Any] = {"pages": pages(client_for, enrollment, args.requests)}
    if not args.skip_writes:
        result["writes"] = writes(cohort, args.writes)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
