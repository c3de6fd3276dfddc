"""Backup and restore of the app's database (``DATABASE_URL``, else ``var/stride.sqlite3``).

Standard library only, so it runs where the app cannot start. PostgreSQL: ``pg_dump`` /
``pg_restore`` in one transaction, the password in ``PGPASSWORD``, never on a command line.
SQLite: the online backup API, consistent while the app runs.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import sqlite3
import subprocess
import sys
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

BASE_DIR = Path(__file__).resolve().parent.parent.parent
POSTGRES_SCHEMES = {"postgres", "postgresql", "pgsql", "psql", "postgis"}
SQLITE_SCHEMES = {"sqlite", "spatialite"}
# libpq settings that may come as URL query parameters.
LIBPQ_PARAMETERS = {
    "sslmode": "PGSSLMODE",
    "sslrootcert": "PGSSLROOTCERT",
    "sslcert": "PGSSLCERT",
    "sslkey": "PGSSLKEY",
    "connect_timeout": "PGCONNECT_TIMEOUT",
    "application_name": "PGAPPNAME",
}


class BackupError(Exception):
    """Something the operator must fix; the message says what."""


@dataclass(frozen=True)
class Database:
    engine: str  # "postgresql" | "sqlite"
    name: str  # database name, or the SQLite file path
    env: dict[str, str] = field(default_factory=dict)  # libpq variables for PostgreSQL


def var_dir(environ: dict[str, str]) -> Path:
    return Path(environ.get("STRIDE_VAR_DIR") or BASE_DIR / "var")


def configured_database(environ: dict[str, str] | None = None) -> Database:
    """The database named by ``DATABASE_URL`` (the app's own default when unset)."""
    environ = dict(os.environ if environ is None else environ)
    url = environ.get("DATABASE_URL", "").strip()
    if not url:
        return Database("sqlite", str(var_dir(environ) / "stride.sqlite3"))
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme in SQLITE_SCHEMES:
        # sqlite:////abs/path, sqlite:///rel/path, sqlite://:memory:
        path = unquote(parts.path)
        if parts.netloc == ":memory:" or path in {"", "/:memory:"}:
            raise BackupError("An in-memory SQLite database cannot be backed up.")
        return Database("sqlite", path[1:] if path.startswith("//") else path.lstrip("/") or path)
    if scheme in POSTGRES_SCHEMES:
        name = unquote(parts.path.lstrip("/"))
        if not name:
            raise BackupError("DATABASE_URL names no database.")
        given = {"PGHOST": parts.hostname, "PGPORT": parts.port, "PGUSER": parts.username}
        given["PGPASSWORD"] = parts.password
        env = {name: unquote(str(value)) for name, value in given.items() if value}
        for key, values in parse_qs(parts.query).items():
            if key in LIBPQ_PARAMETERS and values:
                env[LIBPQ_PARAMETERS[key]] = values[-1]
        return Database("postgresql", name, env)
    raise BackupError(f"Backups support PostgreSQL and SQLite, not {scheme!r}.")


def _sqlite_path(database: Database) -> Path:
    path = Path(database.name)
    if not path.is_absolute():
        path = BASE_DIR / path
    return path


def default_backup_file(database: Database, environ: dict[str, str] | None = None) -> Path:
    environ = dict(os.environ if environ is None else environ)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    suffix = "dump" if database.engine == "postgresql" else "sqlite3"
    return var_dir(environ) / "backups" / f"stride-{stamp}.{suffix}"


def _tool(name: str) -> str:
    found = shutil.which(name)
    if not found:
        raise BackupError(
            f"{name} is not installed; on Debian: apt-get install postgresql-client "
            "(a version at least as new as the server's)."
        )
    return found


def _run(command: list[str], database: Database) -> None:
    env = {**os.environ, **database.env}
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise BackupError(
            f"{Path(command[0]).name} failed (exit {result.returncode}): "
            + (result.stderr.strip() or result.stdout.strip())
        )


def backup(target: Path, database: Database) -> Path:
    """Write a full backup of ``database`` to ``target`` (created readable by its owner only)."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    # Backups hold personal data: owner-only from the first byte.
    partial.touch(mode=0o600, exist_ok=True)
    partial.chmod(0o600)
    try:
        if database.engine == "postgresql":
            flags = ["--format=custom", "--no-owner", "--no-privileges", f"--file={partial}"]
            _run([_tool("pg_dump"), *flags, f"--dbname={database.name}"], database)
        else:
            source_path = _sqlite_path(database)
            if not source_path.exists():
                raise BackupError(f"No SQLite database at {source_path}.")
            _sqlite_copy(source_path, partial)
        partial.replace(target)
    finally:
        partial.unlink(missing_ok=True)
    return target


def restore(source: Path, database: Database) -> None:
    """Replace the contents of ``database`` with the backup in ``source``."""
    source = Path(source)
    if not source.is_file():
        raise BackupError(f"No backup file at {source}.")
    if database.engine == "postgresql":
        flags = (
            "--clean --if-exists --no-owner --no-privileges --single-transaction --exit-on-error"
        )
        _run(
            [_tool("pg_restore"), *flags.split(), f"--dbname={database.name}", str(source)],
            database,
        )
        return
    _check_sqlite_file(source)
    target = _sqlite_path(database)
    target.parent.mkdir(parents=True, exist_ok=True)
    _sqlite_copy(source, target)


def _check_sqlite_file(path: Path) -> None:
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as check:
            (verdict,) = check.execute("PRAGMA integrity_check").fetchone()
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{path} is not a SQLite backup: {exc}") from exc
    if verdict != "ok":
        raise BackupError(f"{path} is damaged: {verdict}")


def _sqlite_copy(source_path: Path, target_path: Path) -> None:
    with (
        closing(sqlite3.connect(source_path)) as source,
        closing(sqlite3.connect(target_path)) as target,
    ):
        source.execute("PRAGMA busy_timeout = 20000")
        target.execute("PRAGMA busy_timeout = 20000")
        source.backup(target)


def main_backup(argv: list[str]) -> int:
    """``bin/backup [FILE]``"""
    if len(argv) > 1 or (argv and argv[0] in {"-h", "--help"}):
        print("usage: bin/backup [FILE]  (default var/backups/stride-<UTC time>.dump)")
        return 0 if argv and argv[0] in {"-h", "--help"} else 2
    try:
        database = configured_database()
        target = Path(argv[0]) if argv else default_backup_file(database)
        backup(target, database)
    except BackupError as exc:
        print(f"backup: {exc}", file=sys.stderr)
        return 1
    print(f"Backed up {database.engine} database {database.name} to {target}")
    return 0


def main_restore(argv: list[str]) -> int:
    """``bin/restore FILE``"""
    if len(argv) != 1 or argv[0] in {"-h", "--help"}:
        print("usage: bin/restore FILE  (replaces the configured database's contents)")
        return 0 if argv and argv[0] in {"-h", "--help"} else 2
    try:
        database = configured_database()
        restore(Path(argv[0]), database)
    except BackupError as exc:
        print(f"restore: {exc}", file=sys.stderr)
        return 1
    print(f"Restored {database.engine} database {database.name} from {argv[0]}")
    return 0
