"""Shared plumbing of the benchmarks: databases, child processes, gunicorn, results.

The orchestrator (``python -m bench``) never imports Django: every measurement runs in a child
process (``python -m bench.child ...`` or ``manage.py``) with the database and settings it is
given here, so each figure starts from a cold process and a known database, and peak memory is
the child's own (``os.wait4`` returns the same ``rusage`` as ``getrusage(RUSAGE_CHILDREN)``,
for that one child).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
MANAGE = str(ROOT / "manage.py")
DEMO_PASSWORD = "stride-bench"
DEFAULT_POSTGRES_ADMIN_URL = "postgres://postgres@127.0.0.1:5432/postgres"
POSTGRES_BENCH_DB = "stride_bench"


# --- results ----------------------------------------------------------------------------------
@dataclass
class Figure:
    """One line of the report: what was measured, against which goal, and whether it passed."""

    key: str
    name: str
    measured: str
    goal: str
    passed: bool | None  # None: informative only
    details: dict = field(default_factory=dict)

    @property
    def verdict(self) -> str:
        return {True: "PASS", False: "FAIL", None: "info"}[self.passed]


class Report:
    def __init__(self) -> None:
        self.figures: list[Figure] = []
        self.started = time.time()

    def add(self, figure: Figure) -> Figure:
        self.figures.append(figure)
        print(f"  [{figure.verdict}] {figure.name}: {figure.measured}  (goal {figure.goal})")
        sys.stdout.flush()
        return figure

    def table(self) -> str:
        rows = [("figure", "measured", "goal", "result")]
        rows += [(f.name, f.measured, f.goal, f.verdict) for f in self.figures]
        widths = [max(len(row[i]) for row in rows) for i in range(4)]
        lines = []
        for index, row in enumerate(rows):
            lines.append("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip())
            if index == 0:
                lines.append("  ".join("-" * width for width in widths))
        return "\n".join(lines)

    def as_json(self) -> dict:
        return {
            "started_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(self.started)),
            "seconds": round(time.time() - self.started, 1),
            "cpus": os.cpu_count(),
            "load_average_at_end": os.getloadavg(),
            "figures": [asdict(f) | {"verdict": f.verdict} for f in self.figures],
        }


def say(message: str) -> None:
    print(f"{time.strftime('%H:%M:%S')} {message}", flush=True)


def median(values) -> float:
    return statistics.median(values)


# --- databases --------------------------------------------------------------------------------
@dataclass
class Database:
    """A fresh database for one size: an SQLite file in a temp dir, or ``stride_bench``."""

    kind: str  # "sqlite" | "postgres"
    url: str
    var_dir: Path

    @property
    def name(self) -> str:
        """The PostgreSQL database's name (the last part of its URL)."""
        return self.url.rsplit("/", 1)[1]

    def env(self, **extra: str) -> dict[str, str]:
        return bench_env(self, **extra)

    def manage(self, *args: str, check: bool = True) -> Run:
        return run_child([PYTHON, MANAGE, *args], env=self.env(), check=check)

    def child(self, *args: str, check: bool = True) -> Run:
        return run_child([PYTHON, "-m", "bench.child", *args], env=self.env(), check=check)


@contextlib.contextmanager
def fresh_database(
    kind: str,
    *,
    postgres_admin_url: str = DEFAULT_POSTGRES_ADMIN_URL,
    name: str = POSTGRES_BENCH_DB,
):
    """Yield a migrated, empty database of ``kind`` (PostgreSQL: called ``name``); remove it
    afterwards."""
    var_dir = Path(tempfile.mkdtemp(prefix=f"stride-bench-{kind}-"))
    try:
        if kind == "sqlite":
            database = Database(kind, f"sqlite:///{var_dir / 'stride.sqlite3'}", var_dir)
        elif kind == "postgres":
            _recreate_postgres(postgres_admin_url, name)
            base = postgres_admin_url.rsplit("/", 1)[0]
            database = Database(kind, f"{base}/{name}", var_dir)
        else:
            raise ValueError(kind)
        (var_dir / "static").mkdir()  # WhiteNoise warns about a missing STATIC_ROOT
        database.manage("migrate", "--noinput", "--skip-checks")
        yield database
    finally:
        if kind == "postgres":
            with contextlib.suppress(Exception):
                _drop_postgres(postgres_admin_url, name)
        shutil.rmtree(var_dir, ignore_errors=True)


# --- seeded snapshots -------------------------------------------------------------------------
# Seeding 100,000 learners costs minutes per database; the sweep figure needs the seeded data,
# not the seeding. A snapshot is taken right after ``seed_demo`` ran into a fresh database and
# reused only while nothing that shapes the data changed: the seed code, every migration, the
# size and the day (the demo cohort is placed relative to today).
CACHE_DIR = ROOT / "var" / "bench" / "seeds"
SNAPSHOT_PREFIX = "stride_bench_seed_"


def snapshot_key(kind: str, learners: int) -> str:
    digest = hashlib.sha1(f"{kind}:{learners}:{time.strftime('%Y-%m-%d', time.gmtime())}".encode())
    sources = sorted((ROOT / "tracker" / "seed").glob("*.py"))
    sources += sorted(ROOT.glob("*/migrations/*.py"))
    for source in sources:
        digest.update(str(source.relative_to(ROOT)).encode())
        digest.update(source.read_bytes())
    return f"{learners}_{digest.hexdigest()[:12]}"


def restore_snapshot(database: Database, key: str, admin_url: str) -> bool:
    """Replace ``database``'s content with the snapshot ``key``; False when there is none."""
    if database.kind == "sqlite":
        source = CACHE_DIR / f"{key}.sqlite3"
        if not source.exists():
            return False
        target = Path(database.url.removeprefix("sqlite:///"))
        for suffix in ("", "-wal", "-shm"):
            Path(f"{target}{suffix}").unlink(missing_ok=True)
        shutil.copyfile(source, target)
        return True
    with _postgres_admin(admin_url) as connection:
        exists = connection.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [SNAPSHOT_PREFIX + key]
        ).fetchone()
        if not exists:
            return False
        name = database.name
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}" TEMPLATE "{SNAPSHOT_PREFIX}{key}"')
    return True


def save_snapshot(database: Database, key: str, admin_url: str) -> None:
    """Keep ``database`` as the snapshot ``key``, replacing older snapshots of its kind."""
    if database.kind == "sqlite":
        CACHE_DIR.mkdir(parents=True, exist_ok=True)
        for old in CACHE_DIR.glob(f"{key.split('_')[0]}_*.sqlite3"):
            old.unlink()
        source = sqlite3.connect(database.url.removeprefix("sqlite:///"))
        target = sqlite3.connect(CACHE_DIR / f"{key}.sqlite3.part")
        with source, target:
            source.backup(target)  # consistent, with whatever the WAL still held
        source.close()
        target.close()
        (CACHE_DIR / f"{key}.sqlite3.part").rename(CACHE_DIR / f"{key}.sqlite3")
        return
    with _postgres_admin(admin_url) as connection:
        size = key.split("_")[0]
        for (name,) in connection.execute(
            "SELECT datname FROM pg_database WHERE datname LIKE %s",
            [f"{SNAPSHOT_PREFIX}{size}\\_%"],
        ).fetchall():
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{SNAPSHOT_PREFIX}{key}" TEMPLATE "{database.name}"')


def _postgres_admin(url: str):
    import psycopg  # only the orchestrator's PostgreSQL runs need it

    return psycopg.connect(url.replace("postgres://", "postgresql://", 1), autocommit=True)


def _recreate_postgres(admin_url: str, name: str = POSTGRES_BENCH_DB) -> None:
    with _postgres_admin(admin_url) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')


def _drop_postgres(admin_url: str, name: str = POSTGRES_BENCH_DB) -> None:
    with _postgres_admin(admin_url) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def postgres_available(admin_url: str) -> str | None:
    """None when PostgreSQL answers, else why not."""
    try:
        with _postgres_admin(admin_url) as connection:
            connection.execute("SELECT 1")
    except Exception as error:  # any failure means "skip PostgreSQL", with the reason shown
        return str(error).strip().splitlines()[0] if str(error).strip() else repr(error)
    return None


def bench_env(database: Database, **extra: str) -> dict[str, str]:
    """Production-like settings (DEBUG off) on ``database``, with the embedded local broker."""
    env = {
        key: value
        for key, value in os.environ.items()
        # Results must not depend on what the caller's shell happens to export.
        if not key.startswith(("DJANGO_", "STRIDE_", "CELERY_"))
        and key not in {"DATABASE_URL", "REDIS_URL", "EMAIL_URL"}
    }
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "bench.settings",
            "DJANGO_DEBUG": "false",
            "DJANGO_SECRET_KEY": "stride-bench-" + "k" * 40,
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
            # TLS ends at the proxy in production; plain HTTP here must not be redirected.
            "DJANGO_SECURE_SSL_REDIRECT": "false",
            "DJANGO_LOG_LEVEL": "WARNING",
            "DATABASE_URL": database.url,
            # The broker (Kombu over SQLite) and static root live in the run's temp dir.
            "STRIDE_VAR_DIR": str(database.var_dir),
            "EMAIL_URL": "dummymail://",
            "PYTHONDONTWRITEBYTECODE": "1",
            "PYTHONPATH": str(ROOT),
        }
    )
    env.update(extra)
    return env


# --- child processes --------------------------------------------------------------------------
@dataclass
class Run:
    wall_seconds: float
    # User + system CPU of the child: steadier than wall time on a shared machine, but blind to
    # a database server's own work.
    cpu_seconds: float
    max_rss_mb: float
    returncode: int
    stdout: str
    stderr: str

    def json(self) -> dict:
        """The child's answer: the last stdout line that is a JSON object."""
        for line in reversed(self.stdout.splitlines()):
            if line.startswith("{"):
                return json.loads(line)
        raise RuntimeError(f"no JSON in the child's output:\n{self.stdout}\n{self.stderr}")


def run_child(command: list[str], *, env: dict[str, str], check: bool = True) -> Run:
    """Run ``command`` to completion; wall time and the child's own peak RSS."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        started = time.perf_counter()
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=err)
        # wait4 gives this child's rusage: getrusage(RUSAGE_CHILDREN) would also count every
        # earlier child (seeding included) in its maximum.
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        # ru_maxrss is in kilobytes on Linux.
        run = Run(
            wall,
            usage.ru_utime + usage.ru_stime,
            usage.ru_maxrss / 1024,
            process.returncode,
            out.read(),
            err.read(),
        )
    if check and run.returncode != 0:
        raise RuntimeError(
            f"{' '.join(command)} failed ({run.returncode}):\n{run.stdout[-3000:]}\n"
            f"{run.stderr[-3000:]}"
        )
    return run


# --- gunicorn ---------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Server:
    base: str
    pid: int

    def cpu_seconds(self) -> float:
        """User + system CPU used so far by the workers (Linux /proc), whatever the machine's
        load: the server's own cost per request, next to the load generator's wall figures."""
        ticks = os.sysconf("SC_CLK_TCK")
        total = 0.0
        try:
            children = Path(f"/proc/{self.pid}/task/{self.pid}/children").read_text().split()
        except OSError:
            return float("nan")
        for child in children:
            try:
                fields = Path(f"/proc/{child}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue  # a worker that just exited
            # utime and stime are fields 14 and 15 of stat; [0] here is field 3 (state).
            total += (int(fields[11]) + int(fields[12])) / ticks
        return total


@contextlib.contextmanager
def gunicorn(database: Database, *, workers: int, **env: str) -> Iterator[Server]:
    """Serve Stride (``bench.settings``, plus ``env``) with ``workers`` sync workers."""
    port = free_port()
    log = open(database.var_dir / "gunicorn.log", "w+")  # noqa: SIM115 (closed below)
    command = [
        str(Path(PYTHON).parent / "gunicorn"),
        "tracker.wsgi:application",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--worker-class",
        "sync",
        "--timeout",
        "120",
        "--log-level",
        "warning",
    ]
    process = subprocess.Popen(
        command, cwd=ROOT, env=database.env(**env), stdout=log, stderr=subprocess.STDOUT
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            if process.poll() is not None:
                log.seek(0)
                raise RuntimeError(f"gunicorn exited ({process.returncode}):\n{log.read()}")
            # Not listening yet is an OSError: keep waiting until the deadline.
            with (
                contextlib.suppress(OSError),
                urllib.request.urlopen(f"{base}/bench/trivial/", timeout=5) as answer,
            ):
                if answer.status == 200:
                    break
            if time.monotonic() > deadline:
                raise RuntimeError("gunicorn did not answer within 90 s")
            time.sleep(0.3)
        yield Server(base, process.pid)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def workers() -> int:
    """gunicorn's sync workers for this machine: 2 x cores + 1, as the image runs."""
    return 2 * (os.cpu_count() or 1) + 1


# --- wrk ----------------------------------------------------------------------------------------
@dataclass
class Load:
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    requests: int
    errors: int


_WRK_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def wrk(url: str, token: str | None, seconds: int, connections: int) -> Load:
    """One wrk run (one thread, ``connections`` connections): requests/s, p50/p99, errors
    (socket errors and non-2xx/3xx answers)."""
    command = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", "--timeout", "30s"]
    if token:
        command += ["-H", f"Authorization: Token {token}"]
    out = subprocess.run(
        [*command, url], capture_output=True, text=True, check=True, timeout=seconds + 60
    ).stdout

    def latency(label: str) -> float:
        match = re.search(rf"^\s+{label}%\s+([\d.]+)(us|ms|s|m)\s*$", out, re.M)
        if not match:
            raise RuntimeError(f"no {label}% latency in wrk's output:\n{out}")
        return float(match.group(1)) * _WRK_UNITS[match.group(2)]

    requests = int(re.search(r"(\d+) requests in", out).group(1))
    errors = 0
    socket_errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out
    )
    if socket_errors:
        errors += sum(int(value) for value in socket_errors.groups())
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if non_2xx:
        errors += int(non_2xx.group(1))
    return Load(
        float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        latency("50"),
        latency("99"),
        requests,
        errors,
    )
