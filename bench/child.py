"""The Django side of the benchmarks, one task per invocation; prints one JSON line.

    python -m bench.child plan --active 100000
    python -m bench.child prepare
    python -m bench.child queries
    python -m bench.child cpu [--progress-requests 300] [--trivial-requests 1500]
    python -m bench.child sweep
    python -m bench.child load_plan [--learners 300]
    python -m bench.child counts

Run by ``bench.harness`` with ``DJANGO_SETTINGS_MODULE=bench.settings`` and the database of the
size being measured.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any


def _setup() -> None:
    import django

    django.setup()


def _staff_and_cohort():
    from django.contrib.auth import get_user_model

    from curriculum.models import Cohort
    from tracker.security.tokens import token_issue
    from tracker.seed.builder import COHORT_NAME
    from tracker.seed.people import STAFF_USERNAME

    staff = get_user_model().objects.get(username=STAFF_USERNAME)
    _token, value = token_issue(user=staff, name="bench")
    cohort = Cohort.objects.get(name=COHORT_NAME)
    return staff, value, cohort


def _client(token: str):
    from django.test import Client

    return Client(HTTP_AUTHORIZATION=f"Token {token}")


def _get(client, path: str):
    response = client.get(path)
    if response.status_code != 200:
        raise SystemExit(f"GET {path} answered {response.status_code}: {response.content[:500]!r}")
    if response.streaming:  # read the stream, as the server does for the client
        response.streamed = b"".join(response.streaming_content)
    return response


def prepare(args) -> dict:
    """The staff token and the cohort the HTTP figures ask for, and the data's size."""
    from curriculum.models import Assignment
    from learners.models import Enrollment

    _, token, cohort = _staff_and_cohort()
    return {
        "token": token,
        "cohort": cohort.pk,
        "enrollments": Enrollment.objects.filter(cohort=cohort).count(),
        "assignments": Assignment.objects.filter(program_id=cohort.program_id).count(),
    }


def queries(args) -> dict:
    """Queries of one matrix and one 50-row progress page, counted in-process."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    _, token, cohort = _staff_and_cohort()
    client = _client(token)
    counts = {}
    for name, path in (
        ("matrix", f"/api/v1/cohorts/{cohort.pk}/matrix/"),
        ("progress", f"/api/v1/cohorts/{cohort.pk}/progress/?page_size=50"),
    ):
        _get(client, path)  # warm: role and token lookups, caches
        with CaptureQueriesContext(connection) as captured:
            response = _get(client, path)
        counts[name] = len(captured.captured_queries)
        counts[f"{name}_sql"] = [query["sql"][:300] for query in captured.captured_queries]
        if name == "matrix":
            counts["cells"] = len(json.loads(response.content)["cells"])
        else:
            # The warm request above read every row as stored; after a learner's write the
            # next one computes that learner's row again (unless its commit already did).
            _learner_writes(cohort, path, client)()
            with CaptureQueriesContext(connection) as captured:
                _get(client, path)
            counts[f"{name}_miss"] = len(captured.captured_queries)
            counts[f"{name}_miss_sql"] = [q["sql"][:300] for q in captured.captured_queries]
    return counts


def cpu(args) -> dict:
    """CPU seconds per request, in this process: the progress page against the trivial view.

    The two are interleaved in rounds so a neighbour's load on the shared machine touches both
    alike; each request is timed alone with ``time.process_time`` and the medians compared.
    """
    _, token, cohort = _staff_and_cohort()
    client = _client(token)
    progress_path = f"/api/v1/cohorts/{cohort.pk}/progress/?page_size=50"
    trivial_path = "/bench/trivial/"
    rows = len(json.loads(_get(client, progress_path).content)["results"])
    for _ in range(20):  # warm-up: imports, URL resolver, serializer caches
        _get(client, progress_path)
        _get(client, trivial_path)

    write = None
    if args.cold:
        # Every row of the page computed by the engine, as on the first read of a day: the
        # cohort's stored rows are outdated before every progress request (a cohort-wide
        # write, which leaves its rows to the next reader).
        from django.db import transaction

        from curriculum.kernel.signals import progress_inputs_change

        def write() -> None:
            with transaction.atomic():
                progress_inputs_change(cohort_ids=[cohort.pk])

    elif args.miss:
        # Every progress request follows a real write: a learner of the page logs time through
        # the service, so that learner's stored row is outdated and computed again on commit,
        # as after any write in production (timed apart).
        write = _learner_writes(cohort, progress_path, client)

    rounds = 10
    progress_per_round = max(1, args.progress_requests // rounds)
    trivial_per_round = max(1, args.trivial_requests // rounds)
    timings: dict[str, list[float]] = {"progress": [], "trivial": [], "write": []}
    for _ in range(rounds):
        for name, path, count in (
            ("trivial", trivial_path, trivial_per_round),
            ("progress", progress_path, progress_per_round),
        ):
            for _ in range(count):
                if write is not None and name == "progress":
                    started = time.process_time()
                    write()
                    timings["write"].append(time.process_time() - started)
                started = time.process_time()
                client.get(path)
                timings[name].append(time.process_time() - started)
    progress_ms = statistics.median(timings["progress"]) * 1000
    trivial_ms = statistics.median(timings["trivial"]) * 1000
    return {
        "rows": rows,
        "progress_ms": progress_ms,
        "trivial_ms": trivial_ms,
        "ratio": progress_ms / trivial_ms,
        "progress_requests": len(timings["progress"]),
        "trivial_requests": len(timings["trivial"]),
        "progress_p90_ms": statistics.quantiles(timings["progress"], n=10)[-1] * 1000,
        "write_ms": statistics.median(timings["write"]) * 1000 if timings["write"] else None,
    }


def _learner_writes(cohort, progress_path: str, client):
    """A function that makes the next learner of the page log 30 minutes for today."""
    import itertools

    from curriculum.kernel import clock
    from curriculum.models import Module
    from learners.models import Enrollment
    from learners.services import progress_log_create

    page = json.loads(_get(client, progress_path).content)
    shown = [row["enrollment"] for row in page["results"]]
    # Only an active learner may log time.
    enrollments = Enrollment.objects.filter(
        pk__in=shown, status=Enrollment.Status.ACTIVE
    ).select_related("learner", "cohort")
    module = Module.objects.filter(program_id=cohort.program_id).order_by("order").first()
    turns = itertools.cycle(list(enrollments))

    def write() -> None:
        enrollment = next(turns)
        progress_log_create(
            actor=enrollment.learner,
            enrollment=enrollment,
            module=module,
            logged_on=clock.today(cohort.timezone),
            minutes=30,
        )

    return write


def sweep(args) -> dict:
    """Two reminder sweeps over the same day, as ``manage.py send_reminders`` runs them."""
    from learners.models import Enrollment
    from tracker.models import Notification
    from tracker.notifications import sweep as reminders

    active = Enrollment.objects.filter(status=Enrollment.Status.ACTIVE).count()
    gc.collect()
    started, cpu_started = time.perf_counter(), time.process_time()
    first = reminders.run_sweep()
    first_seconds = time.perf_counter() - started
    first_cpu = time.process_time() - cpu_started
    started, cpu_started = time.perf_counter(), time.process_time()
    second = reminders.run_sweep()
    second_seconds = time.perf_counter() - started
    second_cpu = time.process_time() - cpu_started
    return {
        "active": active,
        "first_seconds": first_seconds,
        "first_cpu_seconds": first_cpu,
        "first_created": sum(first.created.values()),
        "first_by_kind": dict(first.created),
        "first_enrollments": first.enrollments,
        "second_seconds": second_seconds,
        "second_cpu_seconds": second_cpu,
        "second_created": sum(second.created.values()),
        "notifications": Notification.objects.count(),
    }


def plan(args) -> dict:
    """How many demo learners to seed so that ``--active`` of them are active: the stories
    repeat, and some learners are paused right now or withdrew."""
    from tracker.seed.people import story_of

    learners = active = 0
    while active < args.active:
        learners += 1
        story = story_of(learners)
        active += not story.withdrawn and story.pause != "current"
    return {"learners": learners}


def load_plan(args) -> dict:
    """Who the load figure's users are: a signed-in session, an API token and what each may
    write without being refused (an active learner's modules and the assignments it may submit
    now; every mentor with learners; staff and the demo cohort).

    The sessions are what ``django.contrib.auth.login`` stores, written here once per user so
    the load generator never signs in during a measurement (PBKDF2 at Django's default
    iterations costs more than any page; the sign-in is measured apart by the harness)."""
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import (
        BACKEND_SESSION_KEY,
        HASH_SESSION_KEY,
        SESSION_KEY,
        get_user_model,
    )

    from curriculum.kernel import clock
    from curriculum.models import Assignment, Module
    from learners.models import Enrollment, Submission
    from mentors.models import Pairing
    from tracker.security.tokens import token_issue

    store_class = import_module(settings.SESSION_ENGINE).SessionStore
    # What a password sign-in records (``login()`` stores the backend that authenticated); the
    # session is refused if the backend is not one of AUTHENTICATION_BACKENDS.
    backend = "tracker.security.sso.backends.PasswordBackend"
    if backend not in settings.AUTHENTICATION_BACKENDS:
        raise RuntimeError(f"{backend} is not in AUTHENTICATION_BACKENDS: update load_plan")

    def signed_in(user) -> dict:
        session = store_class()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = backend
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.save()
        _token, value = token_issue(user=user, name="bench")
        return {"username": user.username, "session": session.session_key, "token": value}

    staff, _, cohort = _staff_and_cohort()
    modules = list(
        Module.objects.filter(program_id=cohort.program_id)
        .order_by("order")
        .values_list("pk", flat=True)
    )
    final = Assignment.final_milestone_id(cohort.program_id)
    assignments = list(
        Assignment.objects.filter(program_id=cohort.program_id)
        .exclude(pk=final)
        .values_list("pk", flat=True)
    )
    paired = Pairing.objects.filter(ended_at__isnull=True).values_list("enrollment_id", flat=True)
    enrollments = list(
        Enrollment.objects.filter(cohort=cohort, status=Enrollment.Status.ACTIVE, pk__in=paired)
        .select_related("learner")
        .order_by("pk")[: args.learners]
    )
    latest: dict[tuple[int, int], str] = {}
    for enrollment_id, assignment_id, status in (
        Submission.objects.filter(enrollment__in=enrollments)
        .order_by("enrollment_id", "assignment_id", "version")
        .values_list("enrollment_id", "assignment_id", "status")
    ):
        latest[enrollment_id, assignment_id] = status  # the highest version wins
    open_again = {None, Submission.Status.CHANGES_REQUESTED}
    learners = [
        signed_in(enrollment.learner)
        | {
            "enrollment": enrollment.pk,
            "submittable": [a for a in assignments if latest.get((enrollment.pk, a)) in open_again],
        }
        for enrollment in enrollments
    ]
    mentor_ids = (
        Pairing.objects.filter(ended_at__isnull=True, enrollment__cohort=cohort)
        .values_list("mentor__user_id", flat=True)
        .distinct()
    )
    mentors = [signed_in(user) for user in get_user_model().objects.filter(pk__in=mentor_ids)]
    return {
        "cohort": cohort.pk,
        "today": clock.today(cohort.timezone).isoformat(),
        "modules": modules,
        "learners": learners,
        "mentors": mentors,
        "staff": [signed_in(staff)],
        "csrf_cookie_name": settings.CSRF_COOKIE_NAME,
        "session_cookie_name": settings.SESSION_COOKIE_NAME,
    }


def counts(args) -> dict:
    """The rows the load figure's writes create, counted to check none was lost."""
    from learners.models import ProgressLog, Submission
    from mentors.models import Review

    return {
        "progress_logs": ProgressLog.objects.count(),
        "submissions": Submission.objects.count(),
        "reviews": Review.objects.count(),
    }


def first_people() -> tuple[Any, Any, dict[str, Any]]:
    """The demo cohort, its first active enrollment, and who the page figures sign in as:
    ``{"staff", "learner", "mentor"}`` (that learner and their current mentor)."""
    from learners.models import Enrollment
    from mentors.models import Pairing

    staff, _, cohort = _staff_and_cohort()
    enrollment = (
        Enrollment.objects.filter(cohort=cohort, status=Enrollment.Status.ACTIVE)
        .select_related("learner")
        .order_by("pk")
        .first()
    )
    users = {
        "staff": staff,
        "learner": enrollment.learner,
        "mentor": Pairing.objects.filter(enrollment=enrollment, ended_at__isnull=True)
        .select_related("mentor__user")
        .get()
        .mentor.user,
    }
    return cohort, enrollment, users


def page(args) -> dict:
    """``--requests`` GETs of ``--path`` as the first active learner, mentor or staff
    (``--as``), signed in without a password; with ``--profile``, what to profile. ``{cohort}``
    and ``{enrollment}`` in the path are filled in."""
    from django.test import Client

    cohort, enrollment, users = first_people()
    user = users[args.role]
    client = Client()
    client.force_login(user)
    path = args.path.format(cohort=cohort.pk, enrollment=enrollment.pk)
    _get(client, path)
    started = time.process_time()
    for _ in range(args.requests):
        _get(client, path)
    return {"path": path, "cpu_ms": (time.process_time() - started) * 1000 / args.requests}


TASKS = {
    "page": page,
    "load_plan": load_plan,
    "counts": counts,
    "plan": plan,
    "prepare": prepare,
    "queries": queries,
    "cpu": cpu,
    "sweep": sweep,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.child")
    parser.add_argument("task", choices=sorted(TASKS))
    parser.add_argument("--progress-requests", type=int, default=300)
    parser.add_argument("--trivial-requests", type=int, default=1500)
    parser.add_argument("--active", type=int, default=0)
    parser.add_argument("--learners", type=int, default=300, help="load_plan: signed-in learners")
    parser.add_argument(
        "--cold", action="store_true", help="cpu: every row outdated before every progress request"
    )
    parser.add_argument(
        "--miss", action="store_true", help="cpu: a learner's write before every progress request"
    )
    parser.add_argument("--path", default="/", help="page: the path to GET")
    parser.add_argument(
        "--as", dest="role", default="staff", choices=["learner", "mentor", "staff"]
    )
    parser.add_argument("--requests", type=int, default=20, help="page: how many GETs")
    parser.add_argument("--profile", type=Path, help="write a pyinstrument profile here")
    args = parser.parse_args(argv)
    _setup()
    if args.profile:
        from pyinstrument import Profiler

        with Profiler() as profiler:
            result = TASKS[args.task](args)
        args.profile.write_text(
            profiler.output_text(unicode=True, show_all=bool(os.environ.get("BENCH_PROFILE_ALL")))
        )
    else:
        result = TASKS[args.task](args)
    sys.stdout.write(json.dumps(result, default=str) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
