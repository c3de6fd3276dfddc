"""Figure 6, issue 17's "load held": Stride in the production shape under a bootcamp's mix.

gunicorn (2 x cores + 1 sync workers, DEBUG off) on PostgreSQL (``stride_bench_load``, created and
dropped here, seeded from a snapshot when today's exists) with Redis (the shared server, its own
database number) as cache and broker. Every goal is a ratio taken in the same run:

6a cost      the workers' CPU per request of each endpoint group (from /proc around sequential
             batches, as figure 1) / the trivial endpoint's: <= 20x; the matrix and the CSV per
             1,000 cells / rows: <= 12x
6b capacity  the mix's saturation requests/s (locust, no pauses) / the trivial endpoint's (wrk):
             >= 15 %
6c peak      users pausing 2-10 s, as many as load the server to half its capacity, 2 minutes:
             0 errors, every accepted write in the database, p99 <= 4 x the run's p50
"""

from __future__ import annotations

import contextlib
import csv
import json
import math
import os
import re
import secrets
import shutil
import subprocess
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from .harness import (
    DEMO_PASSWORD,
    PYTHON,
    ROOT,
    Database,
    Figure,
    Report,
    Server,
    fresh_database,
    gunicorn,
    median,
    postgres_available,
    restore_snapshot,
    save_snapshot,
    say,
    snapshot_key,
    workers,
    wrk,
)

COST_RATIO = 20.0
COST_PER_THOUSAND_RATIO = 12.0
CAPACITY_SHARE = 0.15
PEAK_TAIL_RATIO = 4.0
LOAD_DATABASE = "stride_bench_load"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/13"
MEAN_PAUSE_SECONDS = 6.0  # between(2, 10)


@dataclass
class LoadSizes:
    learners: int = 500
    signed_in_learners: int = 300
    rounds: int = 3
    trivial_per_round: int = 200
    page_per_round: int = 15
    write_per_round: int = 8
    saturation_users: int = 25
    saturation_seconds: int = 30
    saturation_rounds: int = 2
    peak_seconds: int = 120
    full: bool = True

    @classmethod
    def quick(cls) -> LoadSizes:
        return cls(
            learners=100,
            signed_in_learners=80,
            rounds=2,
            trivial_per_round=100,
            page_per_round=5,
            write_per_round=3,
            saturation_users=25,
            saturation_seconds=10,
            saturation_rounds=1,
            peak_seconds=30,
            full=False,
        )


# --- HTTP as a signed-in person ---------------------------------------------------------------
class Caller:
    """Sequential requests as one person of the plan: the session for pages, the token for the
    API, a CSRF secret of our own for form posts."""

    def __init__(self, base: str, person: dict | None, plan: dict) -> None:
        self.base = base
        self.person = person or {}
        self.csrf = secrets.token_hex(16)
        self.cookie = f"{plan['csrf_cookie_name']}={self.csrf}"
        if person:
            self.cookie += f"; {plan['session_cookie_name']}={self.person['session']}"

    def request(
        self, method: str, path: str, *, api: bool = False, form=None, payload=None
    ) -> tuple[int, bytes]:
        data = None
        request = urllib.request.Request(self.base + path, method=method)
        if api and self.person:
            request.add_header("Authorization", f"Token {self.person['token']}")
        elif self.cookie:
            request.add_header("Cookie", self.cookie)
        if form is not None:
            data = urllib.parse.urlencode({**form, "csrfmiddlewaretoken": self.csrf}).encode()
            request.add_header("Content-Type", "application/x-www-form-urlencoded")
        elif payload is not None:
            data = json.dumps(payload).encode()
            request.add_header("Content-Type", "application/json")
        try:
            with _no_redirects.open(request, data=data, timeout=120) as answer:
                return answer.status, answer.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()


class _KeepRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # a form's 302 is its answer
        return None


_no_redirects = urllib.request.build_opener(_KeepRedirects)


# --- the figure -------------------------------------------------------------------------------
def load_figures(
    report: Report,
    sizes: LoadSizes,
    *,
    postgres_url: str,
    redis_url: str,
    reuse: bool = True,
) -> None:
    problem = postgres_available(postgres_url)
    if problem is None:
        problem = _redis_problem(redis_url)
    if problem is None and not shutil.which("wrk"):
        problem = "wrk is not installed (Debian: apt-get install wrk)"
    if problem:
        report.add(Figure("load", "6  load held", f"not run: {problem}", "services", False))
        return
    with (
        fresh_database("postgres", postgres_admin_url=postgres_url, name=LOAD_DATABASE) as db,
        _redis_database(redis_url),
    ):
        key = snapshot_key("postgres-load", sizes.learners)
        if reuse and restore_snapshot(db, key, postgres_url):
            say(f"Load: {sizes.learners} learners from today's snapshot {key}")
        else:
            say(f"Load: seeding {sizes.learners} learners into PostgreSQL")
            db.manage(
                "seed_demo",
                "--skip-checks",
                "--learners",
                str(sizes.learners),
                "--password",
                DEMO_PASSWORD,
            )
            if reuse:
                save_snapshot(db, key, postgres_url)
        db.manage("collectstatic", "--noinput", "--skip-checks")
        plan_file = db.var_dir / "plan.json"
        cost_plan = _write_plan(db, sizes, plan_file)
        say(
            f"Load: {len(cost_plan['learners'])} learners for 6a, the rest of "
            f"{sizes.signed_in_learners} for locust, {len(cost_plan['mentors'])} mentors and "
            f"staff signed in; gunicorn with {workers()} workers, Redis {redis_url}"
        )
        with gunicorn(db, workers=workers(), REDIS_URL=redis_url) as server:
            _warm(server, cost_plan)
            _cost(report, sizes, server, cost_plan)
            _write_plan(db, sizes, plan_file)
            capacity = _capacity(report, sizes, server, db, plan_file)
            _peak(report, sizes, server, db, plan_file, capacity)


def _write_plan(db: Database, sizes: LoadSizes, plan_file: Path) -> dict:
    """Sign the people in and note what each may write now (read again before every locust
    run: an earlier run's submissions wait for review); returns the cost batches' plan, the
    last learners, whom the locust runs never use."""
    plan = db.child("load_plan", "--learners", str(sizes.signed_in_learners)).json()
    reserved = max(10, len(plan["learners"]) // 10)
    cost_plan = dict(plan, learners=plan["learners"][-reserved:])
    plan["learners"] = plan["learners"][:-reserved]
    plan_file.write_text(json.dumps(plan))
    return cost_plan


def _redis_problem(url: str) -> str | None:
    try:
        import redis
    except ImportError:
        return "redis-py is not installed"
    try:
        redis.Redis.from_url(url, socket_timeout=3).ping()
    except Exception as error:  # any failure: not run, with the reason shown
        return f"Redis at {url}: {error}"
    return None


@contextlib.contextmanager
def _redis_database(url: str):
    """The load figure's own Redis database, emptied before and after (FLUSHDB of that number
    only: the server is shared)."""
    import redis

    client = redis.Redis.from_url(url)
    client.flushdb()
    try:
        yield
    finally:
        with contextlib.suppress(Exception):
            client.flushdb()


def _warm(server: Server, plan: dict) -> None:
    staff = Caller(server.base, plan["staff"][0], plan)
    mentor = Caller(server.base, plan["mentors"][0], plan)
    learner = Caller(server.base, plan["learners"][0], plan)
    for _ in range(2 * workers()):
        Caller(server.base, None, plan).request("GET", "/bench/trivial/")
        staff.request("GET", f"/staff/cohorts/{plan['cohort']}/")
        staff.request("GET", f"/api/v1/cohorts/{plan['cohort']}/matrix/", api=True)
        mentor.request("GET", "/mentor/")
        learner.request("GET", f"/learner/?enrollment={plan['learners'][0]['enrollment']}")


# --- 6a: cost ---------------------------------------------------------------------------------
@dataclass
class Group:
    """One endpoint group of the cost table: ``step(i)`` makes the i-th request and returns its
    status; ``per`` is the unit the group is judged by (None: per request)."""

    name: str
    step: object
    count: int
    expect: tuple[int, ...] = (200,)
    per: str | None = None
    units: float = 1.0
    judged: bool = True


def _cost(report: Report, sizes: LoadSizes, server: Server, plan: dict) -> None:
    base, cohort = server.base, plan["cohort"]
    anonymous = Caller(base, None, plan)
    staff = Caller(base, plan["staff"][0], plan)
    learners = [Caller(base, person, plan) for person in plan["learners"]]
    mentors = [Caller(base, person, plan) for person in plan["mentors"]]

    def learner(i: int) -> Caller:
        return learners[i % len(learners)]

    def log(i: int) -> dict:
        return {
            "enrollment": learner(i).person["enrollment"],
            "module": plan["modules"][i % len(plan["modules"])],
            "logged_on": plan["today"],
            "minutes": 30,
            "note": "Cost batch.",
        }

    submit_turn = iter(range(10**9))

    def submission(i: int) -> dict:
        # Learners in turn, each with its next assignment it may submit.
        for _ in range(len(learners)):
            caller = learner(next(submit_turn))
            if caller.person["submittable"]:
                assignment = caller.person["submittable"].pop(0)
                return caller, {
                    "enrollment": caller.person["enrollment"],
                    "assignment": assignment,
                    "url": f"https://git.example.org/{caller.person['username']}/{assignment}",
                    "note": "Cost batch.",
                }
        raise RuntimeError("no learner has an assignment left to submit")

    def submit_api(i: int) -> int:
        caller, fields = submission(i)
        return caller.request("POST", "/api/v1/submissions/", api=True, payload=fields)[0]

    def submit_page(i: int) -> int:
        caller, fields = submission(i)
        return caller.request("POST", "/learner/submit/", form=fields)[0]

    review_targets: list[tuple[Caller, int]] = []

    def find_waiting(count: int) -> None:
        """Waiting submissions and their mentor, found before the batch (not measured)."""
        review_targets.clear()
        for mentor in mentors:
            status, body = mentor.request(
                "GET", "/api/v1/submissions/?status=submitted&page_size=100", api=True
            )
            if status == 200:
                review_targets.extend((mentor, row["id"]) for row in json.loads(body)["results"])
            if len(review_targets) >= count:
                return

    verdict = {"verdict": "changes_requested", "feedback": "Cost batch: tests missing."}

    def review_api(i: int) -> int:
        mentor, submission_id = review_targets.pop()
        path = f"/api/v1/submissions/{submission_id}/review/"
        return mentor.request("POST", path, api=True, payload=verdict)[0]

    def review_page(i: int) -> int:
        mentor, submission_id = review_targets.pop()
        return mentor.request("POST", f"/mentor/reviews/{submission_id}/", form=verdict)[0]

    def review_get(i: int) -> int:
        mentor, submission_id = review_targets[i % len(review_targets)]
        return mentor.request("GET", f"/mentor/reviews/{submission_id}/")[0]

    matrix = json.loads(staff.request("GET", f"/api/v1/cohorts/{cohort}/matrix/", api=True)[1])
    cells = len(matrix["cells"])
    csv_body = staff.request("GET", f"/api/v1/cohorts/{cohort}/progress.csv", api=True)[1]
    csv_rows = max(1, csv_body.count(b"\n") - 1)

    pages, writes = sizes.page_per_round, sizes.write_per_round
    groups = [
        Group("learner home (page)", lambda i: learner(i).request(
            "GET", f"/learner/?enrollment={learner(i).person['enrollment']}")[0], pages),
        Group("learner me (API)", lambda i: learner(i).request(
            "GET", "/api/v1/me/", api=True)[0], pages),
        Group("learner progress logs (API)", lambda i: learner(i).request(
            "GET", "/api/v1/progress-logs/?page_size=20", api=True)[0], pages),
        Group("learner log (page POST)", lambda i: learner(i).request(
            "POST", "/learner/log/", form=log(i))[0], writes, (302,)),
        Group("learner log (API POST)", lambda i: learner(i).request(
            "POST", "/api/v1/progress-logs/", api=True, payload=log(i))[0], writes, (201,)),
        Group("learner submit (page POST)", submit_page, writes, (302,)),
        Group("learner submit (API POST)", submit_api, writes, (201,)),
        Group("mentor dashboard (page)", lambda i: mentors[i % len(mentors)].request(
            "GET", "/mentor/")[0], pages),
        Group("mentor review queue (API)", lambda i: mentors[i % len(mentors)].request(
            "GET", "/api/v1/submissions/?status=submitted&page_size=20", api=True)[0], pages),
        Group("mentor review (page)", review_get, pages),
        Group("mentor review (page POST)", review_page, writes, (302,)),
        Group("mentor review (API POST)", review_api, writes, (201,)),
        Group("staff cohorts (page)", lambda i: staff.request("GET", "/staff/cohorts/")[0], pages),
        # The cohort page draws the whole matrix as a heat map (and every learner's row): its
        # cost grows with the cohort, so it is judged per 1,000 cells as the matrix is.
        Group("staff cohort (page, with the heat map)", lambda i: staff.request(
            "GET", f"/staff/cohorts/{cohort}/")[0], max(2, pages // 3), per="1,000 cells",
            units=cells / 1000),
        Group("staff progress report, 50 rows (API)", lambda i: staff.request(
            "GET", f"/api/v1/cohorts/{cohort}/progress/?page_size=50", api=True)[0], pages),
        Group("staff matrix (API)", lambda i: staff.request(
            "GET", f"/api/v1/cohorts/{cohort}/matrix/", api=True)[0], 2, per="1,000 cells",
            units=cells / 1000),
        # A few milliseconds each: 2 a round were 10 ms, one tick of the CPU clock, so the figure
        # moved by more than its margin from run to run; a batch like the GETs' reads it well.
        Group("staff progress CSV (API)", lambda i: staff.request(
            "GET", f"/api/v1/cohorts/{cohort}/progress.csv", api=True)[0], pages,
            per="1,000 rows", units=csv_rows / 1000),
        Group("sign-in (page POST, PBKDF2)", lambda i: anonymous.request(
            "POST", "/login/", form={"username": plan["mentors"][i % len(plan["mentors"])]
                                     ["username"], "password": DEMO_PASSWORD})[0],
            2, (302,), judged=False),
    ]  # fmt: skip
    say(
        f"Load 6a: server CPU of sequential batches, a warm-up round and {sizes.rounds} rounds, "
        f"each against {sizes.trivial_per_round} trivial requests"
    )
    trivial_cpu: list[float] = []
    spent = {group.name: 0.0 for group in groups}
    made = {group.name: 0 for group in groups}
    counter = 0
    # A first round that is not counted: each worker compiles a template, fills Django's URL
    # reverse table for a language and reads a translation catalogue once, on the first request
    # that needs it (``_warm`` covers only the pages it reads). The figure is the steady cost.
    for round_index in range(sizes.rounds + 1):
        counted = round_index > 0
        started = server.cpu_seconds()
        for _ in range(sizes.trivial_per_round):
            anonymous.request("GET", "/bench/trivial/")
        if counted:
            trivial_cpu.append((server.cpu_seconds() - started) / sizes.trivial_per_round)
        for group in groups:
            if "review (page POST)" in group.name or "review (API POST)" in group.name:
                find_waiting(group.count)
            elif group.name == "mentor review (page)":
                find_waiting(1)
            started = server.cpu_seconds()
            for _ in range(group.count):
                counter += 1
                status = group.step(counter)
                if status not in group.expect:
                    raise RuntimeError(f"{group.name} answered {status}, expected {group.expect}")
            if counted:
                spent[group.name] += server.cpu_seconds() - started
                made[group.name] += group.count
    trivial_ms = sum(trivial_cpu) / len(trivial_cpu) * 1000
    rows = []
    for group in groups:
        per_request_ms = spent[group.name] * 1000 / made[group.name]
        ms = per_request_ms / group.units
        ratio = ms / trivial_ms
        goal = COST_PER_THOUSAND_RATIO if group.per else COST_RATIO
        rows.append(
            {
                "group": group.name,
                "server_cpu_ms_per_request": round(per_request_ms, 3),
                "per": group.per or "request",
                "ms_per_unit": round(ms, 3),
                "ratio": round(ratio, 2),
                "goal": goal if group.judged else None,
                "requests": made[group.name],
            }
        )
        whole = f"; {per_request_ms:.0f} ms a request" if group.per else ""
        report.add(
            Figure(
                f"load_cost_{re.sub(r'[^a-z0-9]+', '_', group.name.lower()).strip('_')}",
                f"6a {group.name}: server CPU per {group.per or 'request'} / trivial",
                f"{ratio:.1f}x ({ms:.2f} ms / {trivial_ms:.3f} ms{whole})",
                f"<= {goal:g}x" if group.judged else "not judged",
                ratio <= goal if group.judged else None,
                rows[-1] | {"trivial_ms": trivial_ms, "cells": cells, "csv_rows": csv_rows},
            )
        )


# --- 6b: capacity -----------------------------------------------------------------------------
@dataclass
class LocustRun:
    requests_per_second: float
    requests: int
    failures: int
    p50_ms: float
    p99_ms: float
    by_name: dict
    accepted: dict
    actions: int
    server_cpu_seconds: float
    locust_cpu_seconds: float
    seconds: float
    failures_seen: list


def _locust(server: Server, plan_file: Path, *, users: int, seconds: int, wait: str) -> LocustRun:
    with tempfile.TemporaryDirectory() as scratch:
        prefix = str(Path(scratch) / "run")
        out = Path(scratch) / "accepted.json"
        env = dict(
            os.environ,
            BENCH_LOAD_PLAN=str(plan_file),
            BENCH_LOAD_OUT=str(out),
            BENCH_WAIT=wait,
        )
        command = [
            str(Path(PYTHON).parent / "locust"),
            "-f",
            str(ROOT / "bench" / "locustfile.py"),
            "--headless",
            "--only-summary",
            "-u",
            str(users),
            "-r",
            str(max(1, users // 2)),
            "-t",
            f"{seconds}s",
            "--stop-timeout",
            "30",
            "--host",
            server.base,
            "--csv",
            prefix,
            "--loglevel",
            "WARNING",
            "Learner",
            "Mentor",
            "Staff",
        ]
        cpu_started = server.cpu_seconds()
        started = time.monotonic()
        process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        _, status, usage = os.wait4(process.pid, 0)
        elapsed = time.monotonic() - started
        server_cpu = server.cpu_seconds() - cpu_started
        stderr = process.stderr.read().decode(errors="replace")
        process.stderr.close()
        try:
            with open(f"{prefix}_stats.csv") as stats:
                table = list(csv.DictReader(stats))
        except OSError as error:
            raise RuntimeError(f"locust wrote no statistics ({status}):\n{stderr[-3000:]}") from (
                error
            )
        failures_seen = []
        with contextlib.suppress(OSError), open(f"{prefix}_failures.csv") as failures:
            failures_seen = list(csv.DictReader(failures))[:20]
        answer = json.loads(out.read_text()) if out.exists() else {}
    whole = next(row for row in table if row["Name"] == "Aggregated")
    return LocustRun(
        requests_per_second=float(whole["Requests/s"]),
        requests=int(whole["Request Count"]),
        failures=int(whole["Failure Count"]),
        p50_ms=float(whole["50%"]),
        p99_ms=float(whole["99%"]),
        by_name={
            row["Name"]: {
                "requests": int(row["Request Count"]),
                "failures": int(row["Failure Count"]),
                "p50_ms": float(row["50%"]),
                "p99_ms": float(row["99%"]),
            }
            for row in table
            if row["Name"] != "Aggregated"
        },
        accepted=answer.get("accepted", {}),
        actions=answer.get("actions", 0),
        server_cpu_seconds=server_cpu,
        locust_cpu_seconds=usage.ru_utime + usage.ru_stime,
        seconds=elapsed,
        failures_seen=failures_seen,
    )


def _capacity(
    report: Report, sizes: LoadSizes, server: Server, db: Database, plan_file: Path
) -> dict:
    trivial_url = f"{server.base}/bench/trivial/"
    connections = 2 * workers()
    say(
        f"Load 6b: saturation, {sizes.saturation_rounds} x (wrk trivial, locust mix with "
        f"{sizes.saturation_users} users and no pauses), {sizes.saturation_seconds} s each"
    )
    wrk(trivial_url, None, 2, connections)  # warm-up
    trivial: list[float] = []
    trivial_errors = 0
    trivial_cpu = {"seconds": 0.0, "requests": 0}
    mixes: list[LocustRun] = []
    before = db.child("counts").json()
    for index in range(sizes.saturation_rounds):
        if index:
            _write_plan(db, sizes, plan_file)
        cpu_started = server.cpu_seconds()
        measured = wrk(trivial_url, None, sizes.saturation_seconds, connections)
        rps, errors = measured.requests_per_second, measured.errors
        trivial_cpu["seconds"] += server.cpu_seconds() - cpu_started
        trivial_cpu["requests"] += round(rps * sizes.saturation_seconds)
        trivial.append(rps)
        trivial_errors += errors
        mixes.append(
            _locust(
                server,
                plan_file,
                users=sizes.saturation_users,
                seconds=sizes.saturation_seconds,
                wait="0",
            )
        )
    after = db.child("counts").json()
    trivial_rps = median(trivial)
    mix_rps = median([run.requests_per_second for run in mixes])
    share = mix_rps / trivial_rps
    failures = sum(run.failures for run in mixes)
    locust_share = sum(run.locust_cpu_seconds for run in mixes) / sum(
        run.seconds * (os.cpu_count() or 1) for run in mixes
    )
    server_share = sum(run.server_cpu_seconds for run in mixes) / sum(
        run.seconds * (os.cpu_count() or 1) for run in mixes
    )
    requests = sum(run.requests for run in mixes)
    actions = sum(run.actions for run in mixes)
    # What the server could answer with the whole machine, from its CPU per request (the
    # neighbours of a shared machine take CPU from both runs, not always alike).
    mix_cpu_ms = sum(run.server_cpu_seconds for run in mixes) * 1000 / max(1, requests)
    trivial_cpu_ms = trivial_cpu["seconds"] * 1000 / max(1, trivial_cpu["requests"])
    cpu_share = trivial_cpu_ms / mix_cpu_ms if mix_cpu_ms else float("inf")
    lost = _lost_writes(before, after, mixes)
    report.add(
        Figure(
            "load_capacity",
            "6b mix saturation req/s / trivial req/s (locust mix, wrk trivial, same run)",
            f"{share:.0%} ({mix_rps:.1f} / {trivial_rps:.0f} req/s); by server CPU per request "
            f"{cpu_share:.1%} ({mix_cpu_ms:.1f} / {trivial_cpu_ms:.2f} ms); mix p50 "
            f"{median([r.p50_ms for r in mixes]):.0f} ms; {failures} failures; machine CPU: "
            f"workers {server_share:.0%}, locust {locust_share:.0%}",
            f">= {CAPACITY_SHARE:.0%}",
            share >= CAPACITY_SHARE and failures == 0 and trivial_errors == 0 and not lost,
            {
                "trivial_rps": trivial,
                "trivial_errors": trivial_errors,
                "mix_runs": [run.__dict__ for run in mixes],
                "locust_cpu_share": locust_share,
                "server_cpu_share": server_share,
                "server_cpu_ms_per_mix_request": mix_cpu_ms,
                "server_cpu_ms_per_trivial_request": trivial_cpu_ms,
                "cpu_share": cpu_share,
                "requests_per_action": requests / max(1, actions),
                "rows_before": before,
                "rows_after": after,
                "lost_writes": lost,
            },
        )
    )
    return {
        "mix_rps": mix_rps,
        "requests_per_action": requests / max(1, actions),
        "mix_p50_ms": median([r.p50_ms for r in mixes]),
    }


def _lost_writes(before: dict, after: dict, runs: list[LocustRun]) -> dict:
    """Per kind, accepted answers (201/302) that left no row (negative: rows nobody accepted)."""
    lost = {}
    for kind in before:
        accepted = sum(run.accepted.get(kind, 0) for run in runs)
        added = after[kind] - before[kind]
        if accepted != added:
            lost[kind] = {"accepted": accepted, "rows_added": added}
    return lost


# --- 6c: a day's peak -------------------------------------------------------------------------
def _peak(
    report: Report,
    sizes: LoadSizes,
    server: Server,
    db: Database,
    plan_file: Path,
    capacity: dict,
) -> None:
    target_rps = capacity["mix_rps"] / 2
    # Each user makes requests_per_action requests per action, then pauses 6 s on average.
    per_user_rps = capacity["requests_per_action"] / (
        MEAN_PAUSE_SECONDS + capacity["mix_p50_ms"] / 1000
    )
    users = max(1, math.ceil(target_rps / per_user_rps))
    say(
        f"Load 6c: a day's peak, {users} users pausing 2-10 s (aiming at {target_rps:.1f} "
        f"req/s, half the capacity), {sizes.peak_seconds} s"
    )
    _write_plan(db, sizes, plan_file)
    before = db.child("counts").json()
    run = _locust(server, plan_file, users=users, seconds=sizes.peak_seconds, wait="2-10")
    after = db.child("counts").json()
    lost = _lost_writes(before, after, [run])
    tail = run.p99_ms / run.p50_ms if run.p50_ms else float("inf")
    accepted = sum(run.accepted.values())
    # Which requests make the tail: the three names with the highest p99 (locust's per name).
    slowest = sorted(run.by_name.items(), key=lambda item: -item[1]["p99_ms"])[:3]
    say(
        "  6c slowest p99: "
        + "; ".join(
            f"{name} {row['p99_ms']:.0f} ms (p50 {row['p50_ms']:.0f}, {row['requests']} requests)"
            for name, row in slowest
        )
    )
    report.add(
        Figure(
            "load_peak",
            f"6c a day's peak: {users} users pausing 2-10 s for {sizes.peak_seconds} s",
            f"{run.failures} errors; {accepted} writes accepted, "
            f"{'all' if not lost else 'NOT all'} in the database; p99 {run.p99_ms:.0f} ms = "
            f"{tail:.1f} x p50 {run.p50_ms:.0f} ms; {run.requests_per_second:.1f} req/s",
            f"0 errors, 0 lost, p99 <= {PEAK_TAIL_RATIO:g}x p50",
            run.failures == 0 and not lost and tail <= PEAK_TAIL_RATIO,
            {
                "users": users,
                "target_rps": target_rps,
                "run": run.__dict__,
                "rows_before": before,
                "rows_after": after,
                "lost_writes": lost,
                "server_cpu_share": run.server_cpu_seconds / (run.seconds * (os.cpu_count() or 1)),
            },
        )
    )
