"""bin/backup and bin/restore: dump, wipe, restore, same data (SQLite here, PostgreSQL below)."""

from __future__ import annotations

import os
import sqlite3
import stat
import subprocess
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection

from learners.models import Enrollment, ProgressLog, Submission
from tests.learners.factories import ProgressLogFactory, SubmissionFactory
from tests.mentors.factories import PairingFactory, ReviewFactory
from tracker.security.backup import BackupError, configured_database

BIN = Path(settings.BASE_DIR) / "bin"


def run(script: str, *args: str, database_url: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "DATABASE_URL": database_url}
    return subprocess.run(
        [str(BIN / script), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


def test_database_url_parsing():
    pg = configured_database(
        {"DATABASE_URL": "postgres://app:s%40cret@db.internal:6543/stride?sslmode=require"}
    )
    assert (pg.engine, pg.name) == ("postgresql", "stride")
    assert pg.env == {
        "PGHOST": "db.internal",
        "PGPORT": "6543",
        "PGUSER": "app",
        "PGPASSWORD": "s@cret",
        "PGSSLMODE": "require",
    }
    absolute = configured_database({"DATABASE_URL": "sqlite:////srv/stride.db"})
    assert absolute.name == "/srv/stride.db"
    local = configured_database({"STRIDE_VAR_DIR": "/srv/var"})
    assert (local.engine, local.name) == ("sqlite", "/srv/var/stride.sqlite3")
    with pytest.raises(BackupError):
        configured_database({"DATABASE_URL": "mysql://x@y/z"})


def test_sqlite_backup_wipe_restore(tmp_path):
    database = tmp_path / "stride.sqlite3"
    url = f"sqlite:///{database}"
    with sqlite3.connect(database) as db:
        db.execute("CREATE TABLE log (id INTEGER PRIMARY KEY, note TEXT)")
        db.executemany("INSERT INTO log (note) VALUES (?)", [("één",), ("two",), ("three",)])
    backup = tmp_path / "backups" / "nightly.sqlite3"

    result = run("backup", str(backup), database_url=url)
    assert result.returncode == 0, result.stderr
    assert stat.S_IMODE(backup.stat().st_mode) == 0o600

    with sqlite3.connect(database) as db:
        db.execute("DROP TABLE log")
    result = run("restore", str(backup), database_url=url)
    assert result.returncode == 0, result.stderr
    with sqlite3.connect(database) as db:
        rows = db.execute("SELECT id, note FROM log ORDER BY id").fetchall()
    assert rows == [(1, "één"), (2, "two"), (3, "three")]


def test_restore_refuses_a_file_that_is_not_a_backup(tmp_path):
    database = tmp_path / "stride.sqlite3"
    sqlite3.connect(database).close()
    junk = tmp_path / "junk.sqlite3"
    junk.write_bytes(b"not a database at all" * 100)
    result = run("restore", str(junk), database_url=f"sqlite:///{database}")
    assert result.returncode == 1
    assert "not a SQLite backup" in result.stderr
    missing = run("restore", str(tmp_path / "nope"), database_url=f"sqlite:///{database}")
    assert missing.returncode == 1
    assert "No backup file" in missing.stderr


def snapshot() -> dict:
    return {
        "enrollments": list(Enrollment.objects.order_by("pk").values("pk", "status", "learner")),
        "logs": list(ProgressLog.objects.order_by("pk").values("pk", "minutes", "note")),
        "submissions": list(
            Submission.objects.order_by("pk").values("pk", "version", "status", "url")
        ),
        "history": Enrollment.history.count(),
        "migrations": connection.cursor()
        .execute("SELECT count(*) FROM django_migrations")
        .fetchone()[0],
    }


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_postgres_backup_wipe_restore(tmp_path):
    pairing = PairingFactory()
    for minutes in (30, 45, 60):
        ProgressLogFactory(enrollment=pairing.enrollment, minutes=minutes, note=f"{minutes} ✓")
    ReviewFactory(submission=SubmissionFactory(enrollment=pairing.enrollment))
    before = snapshot()
    assert len(before["logs"]) == 3

    db = connection.settings_dict
    url = "postgres://{user}:{password}@{host}:{port}/{name}".format(
        user=quote(db["USER"] or "", safe=""),
        password=quote(db["PASSWORD"] or "", safe=""),
        host=db["HOST"] or "127.0.0.1",
        port=db["PORT"] or 5432,
        name=quote(db["NAME"], safe=""),
    )
    backup = tmp_path / "stride.dump"
    result = run("backup", str(backup), database_url=url)
    assert result.returncode == 0, result.stderr
    assert backup.stat().st_size > 0

    with connection.cursor() as cursor:
        cursor.execute("DROP SCHEMA public CASCADE")
        cursor.execute("CREATE SCHEMA public")
    connection.close()
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass('public.learners_enrollment')")
        assert cursor.fetchone()[0] is None

    result = run("restore", str(backup), database_url=url)
    assert result.returncode == 0, result.stderr
    connection.close()
    assert snapshot() == before
