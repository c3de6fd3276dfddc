"""``python -m bench`` (``bin/bench``, ``make bench``): measure the figures of issues 6 and 17.

    bin/bench                         every figure at full size (about 10-15 minutes)
    bin/bench matrix progress         only these figures (matrix, progress, throughput, sweep,
                                      seed, load)
    bin/bench load                    issue 17's load figure: gunicorn + PostgreSQL + Redis
    bin/bench --quick                 small sizes: checks the harness end to end, judges nothing
    bin/bench --databases sqlite      the sweep on SQLite only
    bin/bench --json out.json         also write every figure, with details, as JSON

The exit status is 1 when a figure missed its goal, 0 otherwise.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from pathlib import Path

from .figures import Sizes, api_figures, sweep_figures
from .harness import DEFAULT_POSTGRES_ADMIN_URL, Report, say
from .load import DEFAULT_REDIS_URL, LoadSizes, load_figures

FIGURES = ("matrix", "progress", "throughput", "sweep", "seed", "load")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="bin/bench", description=__doc__.split("\n\n")[0].split(": ", 1)[1]
    )
    parser.add_argument(
        "figures", nargs="*", metavar="FIGURE", help=f"any of {', '.join(FIGURES)} (default: all)"
    )
    parser.add_argument("--quick", action="store_true", help="small sizes (harness check)")
    parser.add_argument(
        "--databases",
        default="sqlite,postgres",
        help="where the sweep runs, comma separated (default sqlite,postgres)",
    )
    parser.add_argument(
        "--postgres-url",
        default=DEFAULT_POSTGRES_ADMIN_URL,
        help="a PostgreSQL maintenance database; the benchmark creates and drops stride_bench "
        f"next to it (default {DEFAULT_POSTGRES_ADMIN_URL})",
    )
    parser.add_argument(
        "--redis-url",
        default=DEFAULT_REDIS_URL,
        help="the load figure's cache and broker: a database number of its own, emptied "
        f"before and after (FLUSHDB) (default {DEFAULT_REDIS_URL})",
    )
    parser.add_argument(
        "--load-generator",
        choices=["auto", "wrk", "locust"],
        default="auto",
        help="figure 3's load generator (auto: wrk when installed, else locust)",
    )
    parser.add_argument(
        "--sweep-sizes",
        type=lambda text: tuple(int(part) for part in text.split(",")),
        help="active enrollments of the sweep runs, comma separated (default 10000,100000)",
    )
    parser.add_argument(
        "--fresh-seed",
        action="store_true",
        help="seed every sweep database even when today's snapshot of it exists",
    )
    parser.add_argument("--json", type=Path, help="write the figures and their details here")
    args = parser.parse_args(argv)

    unknown = sorted(set(args.figures) - set(FIGURES))
    if unknown:
        parser.error(f"unknown figure(s): {', '.join(unknown)}; choose from {', '.join(FIGURES)}")
    only = set(args.figures or FIGURES)
    sizes = Sizes.quick() if args.quick else Sizes()
    if args.sweep_sizes:
        sizes.sweep_active = args.sweep_sizes
    if args.load_generator == "wrk" and not shutil.which("wrk"):
        parser.error("wrk is not installed (Debian: apt-get install wrk)")
    kinds = [kind for kind in args.databases.split(",") if kind]
    if not set(kinds) <= {"sqlite", "postgres"}:
        parser.error("--databases takes sqlite and/or postgres")

    report = Report()
    started = time.monotonic()
    say(
        f"Stride benchmarks: {', '.join(f for f in FIGURES if f in only)}"
        + (" (quick sizes: figures are not judged against the goals' sizes)" if args.quick else "")
    )
    if only & {"matrix", "progress", "throughput"}:
        api_figures(report, sizes, only, args.load_generator)
    if only & {"sweep", "seed"}:
        sweep_figures(report, sizes, only, kinds, args.postgres_url, reuse=not args.fresh_seed)
    if "load" in only:
        load_figures(
            report,
            LoadSizes.quick() if args.quick else LoadSizes(),
            postgres_url=args.postgres_url,
            redis_url=args.redis_url,
            reuse=not args.fresh_seed,
        )
    elapsed = time.monotonic() - started

    print()
    print(report.table())
    print(f"\n{len(report.figures)} figure(s) in {elapsed / 60:.1f} min")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report.as_json(), indent=2, default=str) + "\n")
        print(f"Details written to {args.json}")
    return 1 if any(figure.passed is False for figure in report.figures) else 0


if __name__ == "__main__":
    sys.exit(main())
