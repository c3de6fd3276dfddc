"""Throwaway PostgreSQL and Redis servers for the test suite and ``bin/with-services``.

Standard library only: ``bin/with-services`` imports this module before Django or pytest exist
in the process. Each server lives in its own temporary directory on a free port and is removed
when stopped, so parallel runs never share state and nothing is left behind.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit


class ServiceUnavailable(RuntimeError):
    """A server the tests need can neither be reached nor started here."""


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def port_open(host: str, port: int, timeout: float = 0.5) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def is_postgres_url(url: str | None) -> bool:
    return bool(url) and urlsplit(url).scheme in {"postgres", "postgresql", "pgsql", "postgis"}


def _wait_until(predicate, *, timeout: float, what: str, log: Path | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    detail = ""
    if log is not None and log.exists():
        detail = "\n" + log.read_text(errors="replace")[-2000:]
    raise ServiceUnavailable(f"{what} did not come up within {timeout:.0f} s.{detail}")


# --- Redis ----------------------------------------------------------------------------------


def redis_ping(url_or_port: str | int, timeout: float = 1.0) -> bool:
    """True when a Redis server answers PING (raw RESP, so no client library is needed)."""
    if isinstance(url_or_port, int):
        host, port = "127.0.0.1", url_or_port
    else:
        parts = urlsplit(url_or_port)
        host, port = parts.hostname or "127.0.0.1", parts.port or 6379
    try:
        with socket.create_connection((host, port), timeout=timeout) as sock:
            sock.settimeout(timeout)
            sock.sendall(b"PING\r\n")
            return sock.recv(64).startswith(b"+PONG")
    except OSError:
        return False


class ThrowawayRedis:
    """A private ``redis-server`` on a free port: no persistence, removed on ``stop()``.

    ``stop()`` and ``start()`` may be called repeatedly; the port (so the URL) stays the same,
    which lets a test take Redis away and bring it back under a running application.
    """

    def __init__(self, *, port: int | None = None, db: int = 0) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            raise ServiceUnavailable(
                "redis-server is not installed. Install the Debian package `redis-server` "
                "(apt-get install redis-server) or set REDIS_URL to a running server."
            )
        self.binary = binary
        self.port = port or free_port()
        self.db = db
        self.directory = Path(tempfile.mkdtemp(prefix="stride-redis-"))
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/{self.db}"

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def start(self) -> ThrowawayRedis:
        if self.running:
            return self
        log = self.directory / "redis.log"
        self.directory.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(
            [
                self.binary,
                "--port", str(self.port),
                "--bind", "127.0.0.1",
                "--save", "",
                "--appendonly", "no",
                "--dir", str(self.directory),
                "--logfile", str(log),
                "--daemonize", "no",
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
        try:
            _wait_until(lambda: redis_ping(self.port), timeout=15, what="redis-server", log=log)
        except ServiceUnavailable:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """Stop the server (its data is gone); the directory stays for a later ``start()``."""
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.directory, ignore_errors=True)

    def __enter__(self) -> ThrowawayRedis:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.close()


# --- PostgreSQL -----------------------------------------------------------------------------


def postgres_bindir() -> Path:
    """The newest local PostgreSQL server binaries (Debian keeps them off PATH)."""
    candidates = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"),
        key=lambda path: (
            int(Path(path).parent.parent.name) if Path(path).parent.parent.name.isdigit() else 0
        ),
    )
    if candidates:
        return Path(candidates[-1]).parent
    on_path = shutil.which("initdb")
    if on_path:
        return Path(on_path).parent
    raise ServiceUnavailable(
        "PostgreSQL server binaries (initdb, pg_ctl) were not found. Install the Debian package "
        "`postgresql` (apt-get install postgresql), or point STRIDE_TEST_POSTGRES_URL at a "
        "running server."
    )


class ThrowawayPostgres:
    """A private PostgreSQL cluster in a temporary directory on a free port, trust auth.

    Built for speed (fsync off): it holds test data only. initdb refuses to run as root, so
    as root the cluster belongs to the ``postgres`` system user that the Debian package creates.
    """

    def __init__(self, *, port: int | None = None) -> None:
        self.bindir = postgres_bindir()
        self.port = port or free_port()
        self.directory = Path(tempfile.mkdtemp(prefix="stride-pg-"))
        self.datadir = self.directory / "data"
        self.log = self.directory / "postgres.log"
        self.started = False
        self._run_as: list[str] = []
        if os.geteuid() == 0:
            try:
                owner = pwd.getpwnam("postgres")
            except KeyError:
                shutil.rmtree(self.directory, ignore_errors=True)
                raise ServiceUnavailable(
                    "Running as root, a throwaway PostgreSQL needs the `postgres` system user "
                    "(created by the Debian package `postgresql`)."
                ) from None
            os.chown(self.directory, owner.pw_uid, owner.pw_gid)
            self._run_as = ["runuser", "-u", "postgres", "--"]

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *args: str, timeout: float = 120) -> None:
        command = [*self._run_as, *args]
        result = subprocess.run(
            command,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if result.returncode != 0:
            log = self.log.read_text(errors="replace")[-2000:] if self.log.exists() else ""
            raise ServiceUnavailable(
                f"{' '.join(args[:2])} failed ({result.returncode}):\n"
                f"{result.stdout}{result.stderr}{log}"
            )

    def start(self) -> ThrowawayPostgres:
        if self.started:
            return self
        if not self.datadir.exists():
            self._run(
                str(self.bindir / "initdb"),
                "-D", str(self.datadir),
                "-U", "postgres",
                "--auth=trust",
                "--encoding=UTF8",
                "--no-locale",
                "--no-sync",
            )  # fmt: skip
        options = " ".join(
            [
                f"-p {self.port}",
                "-c listen_addresses=127.0.0.1",
                f"-c unix_socket_directories={self.directory}",
                "-c fsync=off",
                "-c synchronous_commit=off",
                "-c full_page_writes=off",
                "-c max_connections=200",
            ]
        )
        self._run(
            str(self.bindir / "pg_ctl"),
            "start",
            "-D", str(self.datadir),
            "-l", str(self.log),
            "-o", options,
            "-w",
            "-t", "60",
        )  # fmt: skip
        self.started = True
        _wait_until(
            lambda: port_open("127.0.0.1", self.port), timeout=30, what="PostgreSQL", log=self.log
        )
        return self

    def stop(self) -> None:
        if not self.started:
            return
        with contextlib.suppress(ServiceUnavailable, subprocess.TimeoutExpired):
            self._run(
                str(self.bindir / "pg_ctl"), "stop", "-D", str(self.datadir), "-m", "immediate",
                "-w", "-t", "30",
            )  # fmt: skip
        self.started = False

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.directory, ignore_errors=True)

    def __enter__(self) -> ThrowawayPostgres:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.close()


def configured_postgres_url(environ: dict[str, str] | None = None) -> str | None:
    """The PostgreSQL server to test against, if one is configured: STRIDE_TEST_POSTGRES_URL,
    else DATABASE_URL when it names PostgreSQL."""
    environ = os.environ if environ is None else environ
    explicit = environ.get("STRIDE_TEST_POSTGRES_URL", "").strip()
    if explicit:
        return explicit
    database_url = environ.get("DATABASE_URL", "").strip()
    if is_postgres_url(database_url):
        return database_url
    return None
