"""The five figures of issue 6, each measured, printed with its goal and judged.

1. matrix      cohort matrix over HTTP (gunicorn, SQLite): server CPU per 1,000 cells against
               the trivial endpoint's server CPU per request, same run; query count at two sizes
2. progress    50-row cohort progress page after a write: in-process CPU time against the
               trivial endpoint
3. throughput  progress page requests/s under gunicorn against the trivial endpoint (wrk)
4. sweep       reminder sweep at two sizes, SQLite and PostgreSQL: time, peak RSS, growth,
               and a second sweep creating nothing
5. seed        ``seed_demo --learners 10000`` wall time
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from .harness import (
    DEMO_PASSWORD,
    PYTHON,
    ROOT,
    Database,
    Figure,
    Load,
    Report,
    Run,
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

# Goals (issue 6).
# Matrix server CPU per 1,000 cells over the trivial endpoint's server CPU per request, both
# measured on the same gunicorn in the same run (absolute times drift several-fold between days
# on shared machines; the ratio does not). Chosen from one morning's numbers on the shipped code
# (3.06 ms / 1,000 cells against 0.63 ms a trivial request: 4.9x) with room for noise.
MATRIX_CPU_RATIO = 8.0
PROGRESS_CPU_RATIO = 8.0
THROUGHPUT_SHARE = 0.25
SWEEP_SECONDS = 30.0
SWEEP_RSS_MB = 500.0
SEED_SECONDS = 60.0
# "No faster than linearly": the time ratio may exceed the size ratio by this share. The 10,000
# sweep takes about a second, where a tenth of a second of timer or neighbour noise moves the
# ratio by 10 %; growth worse than linear shows far beyond it (quadratic would be x119).
GROWTH_NOISE_BAND = 0.15


@dataclass
class Sizes:
    matrix_small: int = 50
    matrix_large: int = 500
    sweep_active: tuple[int, ...] = (10_000, 100_000)
    seed_learners: int = 10_000
    throughput_seconds: int = 10
    throughput_rounds: int = 2
    matrix_repeats: int = 7
    cpu_progress_requests: int = 300
    cpu_trivial_requests: int = 1500
    cpu_cold_requests: int = 60
    full: bool = True

    @classmethod
    def quick(cls) -> Sizes:
        """Small sizes to check the harness end to end in a couple of minutes (not the goals)."""
        return cls(
            matrix_small=20,
            matrix_large=100,
            sweep_active=(1_000, 5_000),
            seed_learners=1_000,
            throughput_seconds=4,
            throughput_rounds=1,
            matrix_repeats=7,
            cpu_progress_requests=60,
            cpu_trivial_requests=300,
            cpu_cold_requests=20,
            full=False,
        )


def seed(database: Database, learners: int) -> Run:
    """Seed (or top up) to ``learners`` with the real command, timed as a whole."""
    return database.manage(
        "seed_demo", "--skip-checks", "--learners", str(learners), "--password", DEMO_PASSWORD
    )


# --- figures 1-3: the API ---------------------------------------------------------------------
def api_figures(report: Report, sizes: Sizes, only: set[str], load_generator: str) -> None:
    with fresh_database("sqlite") as database:
        say(f"API: seeding {sizes.matrix_small} learners (SQLite)")
        seed(database, sizes.matrix_small)
        small = database.child("queries").json()
        say(f"API: topping up to {sizes.matrix_large} learners")
        seed(database, sizes.matrix_large)
        large = database.child("queries").json()
        info = database.child("prepare").json()
        say(
            f"API: cohort {info['cohort']}: {info['enrollments']} enrollments x "
            f"{info['assignments']} assignments"
        )

        if "matrix" in only:
            report.add(
                Figure(
                    "matrix_queries",
                    f"1b matrix queries at {sizes.matrix_small} / {sizes.matrix_large} learners",
                    f"{small['matrix']} / {large['matrix']}",
                    "equal",
                    small["matrix"] == large["matrix"],
                    {"small_sql": small["matrix_sql"], "large_sql": large["matrix_sql"]},
                )
            )
            report.add(
                Figure(
                    "progress_queries",
                    f"   progress page queries at {sizes.matrix_small} / "
                    f"{sizes.matrix_large} learners, after a write (all rows stored)",
                    f"{small['progress_miss']} / {large['progress_miss']} "
                    f"({small['progress']} / {large['progress']})",
                    "equal",
                    small["progress_miss"] == large["progress_miss"]
                    and small["progress"] == large["progress"],
                    {
                        "small_sql": small["progress_miss_sql"],
                        "large_sql": large["progress_miss_sql"],
                        "small_hit_sql": small["progress_sql"],
                        "large_hit_sql": large["progress_sql"],
                    },
                )
            )

        if "progress" in only:
            _progress_cpu(report, sizes, database)

        if only & {"matrix", "throughput"}:
            with gunicorn(database, workers=workers()) as server:
                say(f"API: gunicorn with {workers()} sync workers at {server.base}")
                if "matrix" in only:
                    _matrix_http(report, sizes, server, info)
                if "throughput" in only:
                    _throughput(report, sizes, server, info, load_generator)


def _progress_cpu(report: Report, sizes: Sizes, database: Database) -> None:
    """Figure 2, in one run each against the trivial endpoint: every request after a learner's
    write (judged), every row computed by the engine (shown)."""

    def measure(*mode: str, requests: int, trivial: int) -> dict:
        return database.child(
            "cpu",
            *mode,
            "--progress-requests",
            str(requests),
            "--trivial-requests",
            str(trivial),
        ).json()

    def ratio(cpu: dict) -> str:
        return f"{cpu['ratio']:.1f}x ({cpu['progress_ms']:.2f} ms / {cpu['trivial_ms']:.3f} ms)"

    goal = f"<= {PROGRESS_CPU_RATIO:g}x"
    say("API: in-process CPU time, progress page after a learner's write, against trivial")
    written = measure(
        "--miss", requests=sizes.cpu_progress_requests, trivial=sizes.cpu_trivial_requests
    )
    report.add(
        Figure(
            "progress_cpu",
            f"2  progress page ({written['rows']} rows) after a write, CPU / trivial CPU",
            f"{ratio(written)}; the write itself {written['write_ms']:.1f} ms",
            goal,
            written["ratio"] <= PROGRESS_CPU_RATIO,
            written,
        )
    )
    say("API: the page with every row computed by the engine")
    cold = measure("--cold", requests=sizes.cpu_cold_requests, trivial=sizes.cpu_cold_requests * 5)
    report.add(
        Figure(
            "progress_cpu_cold",
            "   every row computed by the engine (a day's first read), CPU / trivial CPU",
            ratio(cold),
            "not judged",
            None,
            cold,
        )
    )


def _get(url: str, token: str | None = None) -> bytes:
    request = urllib.request.Request(url)
    if token:
        request.add_header("Authorization", f"Token {token}")
    with urllib.request.urlopen(request, timeout=120) as answer:
        if answer.status != 200:
            raise RuntimeError(f"GET {url} answered {answer.status}")
        return answer.read()


def _server_cpu_ms(server: Server, url: str, token: str | None, requests: int) -> float:
    """The gunicorn workers' CPU per sequential request of ``url``, in ms."""
    started = server.cpu_seconds()
    for _ in range(requests):
        _get(url, token)
    return (server.cpu_seconds() - started) * 1000 / requests


def _matrix_http(report: Report, sizes: Sizes, server: Server, info: dict) -> None:
    url = f"{server.base}/api/v1/cohorts/{info['cohort']}/matrix/"
    trivial_url = f"{server.base}/bench/trivial/"
    body = _get(url, info["token"])
    payload = json.loads(body)
    cells = len(payload["cells"])
    expected = len(payload["enrollments"]) * len(payload["assignments"])
    if cells != expected:
        raise RuntimeError(f"matrix has {cells} cells, expected {expected}")
    # Warm every worker (sync workers take connections in turn, not strictly round robin).
    for _ in range(2 * workers()):
        _get(url, info["token"])
        _get(trivial_url)
    # The workers' CPU is counted in 10 ms clock ticks: the trivial endpoint is asked enough
    # times for its total to span many ticks. Interleaved in rounds so a neighbour's load on
    # the shared machine touches both alike.
    trivial_per_round = max(50, sizes.matrix_repeats * 40)
    timings: list[float] = []
    matrix_cpu: list[float] = []
    trivial_cpu: list[float] = []
    for _ in range(sizes.matrix_repeats):
        trivial_cpu.append(_server_cpu_ms(server, trivial_url, None, trivial_per_round))
        started = time.perf_counter()
        matrix_cpu.append(_server_cpu_ms(server, url, info["token"], 1))
        timings.append((time.perf_counter() - started) * 1000)
    matrix_ms = sum(matrix_cpu) / len(matrix_cpu)
    trivial_ms = sum(trivial_cpu) / len(trivial_cpu)
    per_thousand = matrix_ms / (cells / 1000)
    ratio = per_thousand / trivial_ms if trivial_ms else float("inf")
    whole_ms = median(timings)
    report.add(
        Figure(
            "matrix_http",
            f"1  matrix over HTTP, {len(payload['enrollments'])} x "
            f"{len(payload['assignments'])} = {cells} cells: server CPU per 1,000 cells / "
            "trivial server CPU",
            f"{ratio:.1f}x ({per_thousand:.2f} ms / 1,000 cells / {trivial_ms:.3f} ms; "
            f"wall {whole_ms / (cells / 1000):.2f} ms / 1,000 cells, {len(body) / 1e6:.1f} MB)",
            f"<= {MATRIX_CPU_RATIO:g}x",
            ratio <= MATRIX_CPU_RATIO,
            {
                "cells": cells,
                "bytes": len(body),
                "timings_ms": [round(t, 1) for t in timings],
                "median_ms": whole_ms,
                "server_cpu_ms_per_request": matrix_ms,
                "server_cpu_ms_per_1000_cells": per_thousand,
                "trivial_server_cpu_ms_per_request": trivial_ms,
                "trivial_requests": trivial_per_round * sizes.matrix_repeats,
            },
        )
    )


# --- throughput -------------------------------------------------------------------------------
def _locust(url: str, token: str | None, seconds: int, connections: int) -> Load:
    """Fallback when wrk is not installed: locust headless (PyPI), one user per connection."""
    base, path = url.split("/", 3)[2], "/" + url.split("/", 3)[3]
    with tempfile.TemporaryDirectory() as scratch:
        prefix = str(Path(scratch) / "run")
        env = dict(os.environ, BENCH_PATH=path, BENCH_TOKEN=token or "")
        subprocess.run(
            [
                str(Path(PYTHON).parent / "locust"),
                "-f",
                str(ROOT / "bench" / "locustfile.py"),
                "--headless",
                "--only-summary",
                "-u",
                str(connections),
                "-r",
                str(connections),
                "-t",
                f"{seconds}s",
                "--host",
                f"http://{base}",
                "--csv",
                prefix,
                "--loglevel",
                "WARNING",
            ],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=seconds + 60,
        )
        with open(f"{prefix}_stats.csv") as stats:
            row = next(r for r in csv.DictReader(stats) if r["Name"] == "Aggregated")
    return Load(
        float(row["Requests/s"]),
        float(row["50%"]),
        float(row["99%"]),
        int(row["Request Count"]),
        int(row["Failure Count"]),
    )


def _throughput(report: Report, sizes: Sizes, server: Server, info: dict, generator: str) -> None:
    base = server.base
    if generator == "auto":
        generator = "wrk" if shutil.which("wrk") else "locust"
    measure = wrk if generator == "wrk" else _locust
    connections = 2 * workers()
    progress_url = f"{base}/api/v1/cohorts/{info['cohort']}/progress/?page_size=50"
    trivial_url = f"{base}/bench/trivial/"
    say(
        f"Throughput: {generator}, {connections} connections, "
        f"{sizes.throughput_rounds} x {sizes.throughput_seconds} s per endpoint, alternating"
    )
    measure(trivial_url, None, 2, connections)  # warm-up
    measure(progress_url, info["token"], 2, connections)
    runs: dict[str, list[Load]] = {"trivial": [], "progress": []}
    server_cpu = {"trivial": 0.0, "progress": 0.0}
    for _ in range(sizes.throughput_rounds):
        for name, url, token in (
            ("trivial", trivial_url, None),
            ("progress", progress_url, info["token"]),
        ):
            cpu_started = server.cpu_seconds()
            runs[name].append(measure(url, token, sizes.throughput_seconds, connections))
            server_cpu[name] += server.cpu_seconds() - cpu_started
    cpu_per_request_ms = {
        name: server_cpu[name] * 1000 / max(1, sum(load.requests for load in runs[name]))
        for name in runs
    }
    trivial_rps = median([load.requests_per_second for load in runs["trivial"]])
    progress_rps = median([load.requests_per_second for load in runs["progress"]])
    errors = sum(load.errors for loads in runs.values() for load in loads)
    share = progress_rps / trivial_rps
    p99_progress = max(load.p99_ms for load in runs["progress"])
    p99_trivial = max(load.p99_ms for load in runs["trivial"])
    report.add(
        Figure(
            "throughput",
            "3  progress page req/s / trivial req/s (gunicorn; pages joined from stored rows)",
            f"{share:.0%} ({progress_rps:.0f} / {trivial_rps:.0f} req/s), {errors} errors, "
            f"p99 {p99_progress:.0f} ms / {p99_trivial:.0f} ms; server CPU per request "
            f"{cpu_per_request_ms['progress']:.1f} / {cpu_per_request_ms['trivial']:.2f} ms",
            f">= {THROUGHPUT_SHARE:.0%}, 0 errors",
            share >= THROUGHPUT_SHARE and errors == 0,
            {
                "generator": generator,
                "connections": connections,
                "workers": workers(),
                "server_cpu_ms_per_request": cpu_per_request_ms,
                "runs": {name: [load.__dict__ for load in loads] for name, loads in runs.items()},
            },
        )
    )


# --- figures 4-5: the sweep and seeding -------------------------------------------------------
def sweep_figures(
    report: Report,
    sizes: Sizes,
    only: set[str],
    kinds: list[str],
    postgres_url: str,
    *,
    reuse: bool = True,
) -> None:
    if "sweep" not in only:
        if "seed" in only:
            with fresh_database("sqlite") as database:
                _seed_figure(report, sizes, database)
        return
    for kind in kinds:
        if kind == "postgres":
            problem = postgres_available(postgres_url)
            if problem:
                report.add(
                    Figure(
                        "sweep_postgres",
                        "4  reminder sweep on PostgreSQL",
                        f"not run: {problem}",
                        "PostgreSQL reachable",
                        False,
                    )
                )
                continue
        measured = []
        for index, active in enumerate(sizes.sweep_active):
            with fresh_database(kind, postgres_admin_url=postgres_url) as database:
                # The smallest SQLite size doubles as figure 5: seed_demo --learners 10000.
                if kind == "sqlite" and index == 0 and "seed" in only:
                    _seed_figure(report, sizes, database)
                else:
                    _seed_for_sweep(database, kind, active, reuse=reuse, admin_url=postgres_url)
                say(f"Sweep ({kind}): two sweeps")
                run = database.child("sweep")
                result = run.json() | {
                    "max_rss_mb": run.max_rss_mb,
                    "wall": run.wall_seconds,
                    "cpu_seconds": run.cpu_seconds,
                }
                measured.append(result)
                _sweep_size_figure(report, kind, result)
        if len(measured) >= 2:
            _growth_figure(report, kind, measured[0], measured[-1])


def _seed_for_sweep(
    database: Database, kind: str, active: int, *, reuse: bool, admin_url: str
) -> None:
    learners = database.child("plan", "--active", str(active)).json()["learners"]
    key = snapshot_key(kind, learners)
    if reuse and restore_snapshot(database, key, admin_url):
        say(f"Sweep ({kind}): {learners} learners from today's seeded snapshot {key}")
        return
    say(f"Sweep ({kind}): seeding {learners} learners for {active} active")
    seeded = seed(database, learners)
    say(
        f"Sweep ({kind}): seeded in {seeded.wall_seconds:.0f} s "
        f"({seeded.cpu_seconds:.0f} s CPU in the command)"
    )
    if reuse:
        save_snapshot(database, key, admin_url)


def _seed_figure(report: Report, sizes: Sizes, database: Database) -> None:
    say(f"Seed: seed_demo --learners {sizes.seed_learners} into a fresh SQLite database")
    seeded = seed(database, sizes.seed_learners)
    seconds = seeded.wall_seconds
    goal_applies = sizes.seed_learners == 10_000
    report.add(
        Figure(
            "seed",
            f"5  seed_demo --learners {sizes.seed_learners} (whole command)",
            f"{seconds:.1f} s ({seeded.cpu_seconds:.1f} s CPU)",
            f"< {SEED_SECONDS:g} s" + ("" if goal_applies else " at 10,000"),
            seconds < SEED_SECONDS if goal_applies else None,
            {
                "learners": sizes.seed_learners,
                "seconds": seconds,
                "cpu_seconds": seeded.cpu_seconds,
                "max_rss_mb": seeded.max_rss_mb,
            },
        )
    )


def _sweep_size_figure(report: Report, kind: str, result: dict) -> None:
    active = result["active"]
    full = active >= 100_000
    seconds, rss = result["first_seconds"], result["max_rss_mb"]
    ok = seconds <= SWEEP_SECONDS and rss <= SWEEP_RSS_MB
    report.add(
        Figure(
            f"sweep_{kind}_{active}",
            f"4  reminder sweep, {active:,} active enrollments, {kind}",
            f"{seconds:.1f} s, {rss:.0f} MB peak, {result['first_created']:,} created",
            f"<= {SWEEP_SECONDS:g} s, <= {SWEEP_RSS_MB:g} MB" + ("" if full else " (at 100k)"),
            ok if full else None,
            result,
        )
    )
    report.add(
        Figure(
            f"sweep_{kind}_{active}_second",
            f"4  second sweep, same day, {active:,}, {kind}",
            f"{result['second_created']} created ({result['second_seconds']:.1f} s)",
            "0 created",
            result["second_created"] == 0,
        )
    )


def _growth_figure(report: Report, kind: str, small: dict, large: dict) -> None:
    size_ratio = large["active"] / small["active"]
    time_ratio = large["first_seconds"] / small["first_seconds"]
    rss_ratio = large["max_rss_mb"] / small["max_rss_mb"]
    # Judged on wall time (PostgreSQL's own work is in it); the sweep process's CPU ratio is
    # shown beside it, being what a neighbour's load on the machine disturbs least.
    cpu_ratio = large["first_cpu_seconds"] / small["first_cpu_seconds"]
    report.add(
        Figure(
            f"sweep_{kind}_growth",
            f"4  sweep growth {small['active']:,} -> {large['active']:,} ({kind})",
            f"time x{time_ratio:.1f} (sweep CPU x{cpu_ratio:.1f}), peak RSS x{rss_ratio:.2f} "
            f"for x{size_ratio:.1f} enrollments",
            f"<= x{size_ratio:.1f} (linear), +{GROWTH_NOISE_BAND:.0%} for noise",
            time_ratio <= size_ratio * (1 + GROWTH_NOISE_BAND)
            and rss_ratio <= size_ratio * (1 + GROWTH_NOISE_BAND),
            {
                "size_ratio": size_ratio,
                "time_ratio": time_ratio,
                "cpu_ratio": cpu_ratio,
                "rss_ratio": rss_ratio,
            },
        )
    )
