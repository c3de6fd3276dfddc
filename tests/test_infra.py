"""The developer and CI plumbing: compose file, the two make targets, CI script, the
throwaway servers and the rule that `postgres` tests fail (never skip) on SQLite."""

import json
import os
import re
import signal
import subprocess
import sys
import textwrap
import threading
import time
import urllib.request
from pathlib import Path

import psycopg
import pytest
import yaml

from tests.services import (
    ThrowawayPostgres,
    configured_postgres_url,
    free_port,
    port_open,
    redis_ping,
)

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def compose():
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_compose_runs_the_production_shape(compose):
    services = compose["services"]
    assert {"web", "worker", "beat", "redis", "postgres", "mailpit", "migrate"} <= set(services)
    assert "gunicorn" in "".join((ROOT / "Dockerfile").read_text().split("CMD", 1)[-1]), (
        "web serves with gunicorn (the image's default command)"
    )
    for name in ("web", "worker", "beat", "redis", "postgres", "mailpit"):
        check = services[name].get("healthcheck")
        assert check and check["test"], f"{name} has no health check"
    for name in ("web", "worker", "beat", "migrate", "postgres"):
        assert services[name]["env_file"] == ".env", name
    assert services["web"]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert services["web"]["depends_on"]["postgres"]["condition"] == "service_healthy"


def test_compose_has_exactly_one_beat(compose):
    def command(service):
        value = service.get("command", [])
        return " ".join(value) if isinstance(value, list) else value

    beats = [name for name, svc in compose["services"].items() if " beat" in command(svc)]
    assert beats == ["beat"]
    assert compose["services"]["beat"]["deploy"]["replicas"] == 1
    assert "worker" in command(compose["services"]["worker"])
    assert "-B" not in command(compose["services"]["worker"]).split()


def test_env_example_names_what_compose_and_settings_read(compose):
    example = dict(
        line.split("=", 1)
        for line in (ROOT / ".env.example").read_text().splitlines()
        if line and not line.startswith("#")
    )
    for key in ("DJANGO_SECRET_KEY", "DJANGO_DEBUG", "DJANGO_ALLOWED_HOSTS", "DATABASE_URL"):
        assert key in example
    assert example["REDIS_URL"].startswith("redis://redis:")
    assert "@postgres:5432/" in example["DATABASE_URL"]
    assert example["EMAIL_URL"] == "smtp://mailpit:1025"
    assert example["DATABASE_URL"].split("//")[1].split(":")[0] == example["POSTGRES_USER"]


def test_makefile_offers_the_two_commands():
    result = subprocess.run(
        ["make", "-s", "-n", "run", "test", "VENV=.venv"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    planned = result.stdout
    assert "manage.py migrate" in planned
    assert "seed_demo" in planned
    assert "bin/run-local" in planned
    assert "bin/test" in planned


@pytest.mark.parametrize("script", [".ci/run", "bin/test"])
def test_shell_scripts_parse(script):
    path = ROOT / script
    assert os.access(path, os.X_OK), f"{script} is not executable"
    result = subprocess.run(["bash", "-n", str(path)], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr


def test_ci_calls_make_test_with_real_services():
    script = (ROOT / ".ci" / "run").read_text()
    assert re.search(r"^\s*(exec\s+)?(timeout\s[^\n]*?)?make test\b", script, re.MULTILINE)
    assert "STRIDE_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/postgres" in script
    assert "REDIS_URL=redis://127.0.0.1:6379/15" in script


def test_configured_postgres_url_prefers_the_test_variable():
    assert configured_postgres_url({"STRIDE_TEST_POSTGRES_URL": "postgres://a/b"}) == (
        "postgres://a/b"
    )
    assert configured_postgres_url({"DATABASE_URL": "postgresql://x/y"}) == "postgresql://x/y"
    assert configured_postgres_url({"DATABASE_URL": "sqlite:////tmp/x.sqlite3"}) is None
    assert configured_postgres_url({}) is None


def test_throwaway_postgres_serves_and_leaves_nothing_behind():
    server = ThrowawayPostgres()
    try:
        server.start()
        with psycopg.connect(f"postgresql://postgres@127.0.0.1:{server.port}/postgres") as conn:
            assert conn.execute("SELECT 1").fetchone() == (1,)
    finally:
        server.close()
    assert not server.directory.exists()
    assert not port_open("127.0.0.1", server.port)


@pytest.mark.redis
def test_throwaway_redis_stops_and_comes_back(throwaway_redis):
    assert redis_ping(throwaway_redis.url)
    throwaway_redis.stop()
    assert not redis_ping(throwaway_redis.url)
    throwaway_redis.start()
    assert redis_ping(throwaway_redis.url)


@pytest.mark.redis
def test_redis_url_fixture_answers(redis_url):
    assert redis_ping(redis_url)


def test_with_services_hands_a_postgres_url_and_cleans_up(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL"}}
    env.pop("STRIDE_TEST_POSTGRES_URL", None)
    probe = (
        "import os, psycopg; url = os.environ['DATABASE_URL']; print(url); "
        "psycopg.connect(url.replace('postgres://', 'postgresql://', 1)).close()"
    )
    result = subprocess.run(
        [sys.executable, "bin/with-services", "--postgres", "--", sys.executable, "-c", probe],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    port = int(result.stdout.strip().rsplit(":", 1)[1].split("/")[0])
    assert not port_open("127.0.0.1", port), "the throwaway cluster is still running"

    failing = subprocess.run(
        [sys.executable, "bin/with-services", "--postgres", "--", "sh", "-c", "exit 7"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert failing.returncode == 7


def test_postgres_marked_test_fails_loudly_on_sqlite(tmp_path):
    (tmp_path / "test_needs_pg.py").write_text(
        textwrap.dedent(
            """
            import pytest

            @pytest.mark.postgres
            @pytest.mark.django_db
            def test_needs_pg():
                assert True
            """
        )
    )
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "PYTEST_ADDOPTS"}}
    result = subprocess.run(
        [
            sys.executable, "-m", "pytest", str(tmp_path / "test_needs_pg.py"),
            "--rootdir", str(ROOT), "-c", str(ROOT / "pyproject.toml"),
            "-p", "tests.conftest", "-q", "--no-header",
            # The rule under test is the marker's, not the schema's: build the test database
            # from the models (seconds less than running every migration) and in one process.
            "--nomigrations", "-p", "no:xdist",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )  # fmt: skip
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert "1 failed" in output
    assert "skipped" not in output
    assert "needs PostgreSQL" in output


def test_readme_documents_every_stride_setting():
    readme = (ROOT / "README.md").read_text()
    names = set(re.findall(r"\"(STRIDE_[A-Z0-9_]+)\"", (ROOT / "tracker/settings.py").read_text()))
    assert names, "no STRIDE_* settings found"
    missing = sorted(name for name in names if f"`{name}`" not in readme)
    assert not missing, f"README.md does not document {missing}"
    for word in ("make run", "make test", "stride-demo"):
        assert word in readme


@pytest.mark.integration
def test_run_local_serves_and_runs_worker_and_beat(tmp_path):
    """What `make run` starts: web answers /healthz, the worker consumes a published task,
    beat starts with the database scheduler, and SIGINT (Ctrl-C) stops all three."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "CELERY_"))
        and key not in {"DATABASE_URL", "REDIS_URL", "EMAIL_URL"}
    }
    env.update(STRIDE_VAR_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="tracker.settings")
    migrate = subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=180, check=False,
    )  # fmt: skip
    assert migrate.returncode == 0, migrate.stderr

    port = free_port()
    supervisor = subprocess.Popen(
        [sys.executable, "bin/run-local", "--port", str(port), "--concurrency", "1"],
        cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(supervisor.stdout), daemon=True)
    reader.start()

    def wait_for(text: str, timeout: float = 60) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if any(text in line for line in list(lines)):
                return True
            if supervisor.poll() is not None:
                return False
            time.sleep(0.2)
        return False

    try:
        assert wait_for("Stride is running at"), "".join(lines)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as response:
            health = json.load(response)
        assert health["database"]["ok"] and health["broker"]["ok"], health
        assert wait_for("beat: Starting"), "".join(lines)
        assert wait_for("ready."), "".join(lines)  # the worker's "celery@… ready."

        publish = subprocess.run(
            [
                sys.executable, "-c",
                "import django; django.setup(); from tracker.celery import app; "
                "print(app.send_task('celery.backend_cleanup').id)",
            ],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip
        assert publish.returncode == 0, publish.stderr
        task_id = publish.stdout.strip()
        assert wait_for(f"{task_id}] succeeded", timeout=30), "".join(lines)
    finally:
        supervisor.send_signal(signal.SIGINT)
        try:
            code = supervisor.wait(timeout=40)
        except subprocess.TimeoutExpired:
            supervisor.kill()
            raise
        reader.join(timeout=5)
    assert code == 0, "".join(lines)
    assert any("SIGINT received" in line for line in lines)
    assert not port_open("127.0.0.1", port)
    pids = [int(pid) for pid in re.findall(r"started \w+ \(pid (\d+)\)", "".join(lines))]
    assert len(pids) == 3
    for pid in pids:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)


def test_missing_server_binaries_name_the_debian_package(monkeypatch):
    from tests import services

    monkeypatch.setattr(services.glob, "glob", lambda pattern: [])
    monkeypatch.setattr(services.shutil, "which", lambda name: None)

    with pytest.raises(services.ServiceUnavailable, match="Debian package `postgresql`"):
        services.ThrowawayPostgres()
    with pytest.raises(services.ServiceUnavailable, match="Debian package `redis-server`"):
        services.ThrowawayRedis()


def test_with_services_fails_clearly_without_postgres_binaries(tmp_path):
    # A PATH and a binary directory with no PostgreSQL in them: the phase must fail, loudly.
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "STRIDE_TEST_POSTGRES_URL"}
    }
    code = (
        "import runpy, sys, glob; glob.glob = lambda pattern: []; "
        "sys.argv = ['with-services', '--postgres', '--', 'true']; "
        "runpy.run_path('bin/with-services', run_name='__main__')"
    )
    env["PATH"] = str(tmp_path)
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == 2, result.stderr
    assert "Debian package `postgresql`" in result.stderr


# --- The reproducible build: locks, audit, image (issue 17, items 5 and 6) -------------------


def _script(name: str):
    """bin/<name> (a script without .py) loaded as a module, to call its functions."""
    import importlib.machinery
    import importlib.util

    loader = importlib.machinery.SourceFileLoader(f"stride_bin_{name}", str(ROOT / "bin" / name))
    spec = importlib.util.spec_from_loader(loader.name, loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


def _pins(lock: str) -> dict[str, tuple[str, int]]:
    return _script("lock").pins((ROOT / "requirements" / f"{lock}.txt").read_text())


def test_lock_files_match_pyproject():
    result = subprocess.run(
        [sys.executable, "bin/lock", "--check"],
        cwd=ROOT, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr


def test_lock_check_notices_a_changed_pyproject(tmp_path):
    lock = _script("lock")
    (tmp_path / "requirements").mkdir()
    for name in ("run", "prod", "dev"):
        text = (ROOT / "requirements" / f"{name}.txt").read_text()
        (tmp_path / "requirements" / f"{name}.txt").write_text(text)
    pyproject = (ROOT / "pyproject.toml").read_text()
    (tmp_path / "pyproject.toml").write_text(pyproject)
    assert lock.check(tmp_path) == []

    # A range the pinned version no longer satisfies, and a new dependency nobody locked.
    changed = pyproject.replace('"Django>=5.2,<5.3"', '"Django>=5.3,<5.4"', 1).replace(
        '"tzdata>=2024.1",', '"tzdata>=2024.1",\n    "left-pad-nowhere>=1",', 1
    )
    assert changed.count("Django>=5.3") == 1 and "left-pad-nowhere" in changed
    (tmp_path / "pyproject.toml").write_text(changed)
    problems = "\n".join(lock.check(tmp_path))
    for name in ("run", "prod", "dev"):
        assert f"requirements/{name}.txt was made from another pyproject.toml" in problems
        assert f"requirements/{name}.txt pins django==" in problems
        assert f"requirements/{name}.txt does not pin 'left-pad-nowhere>=1'" in problems

    # A pin whose hashes were stripped is refused too (pip --require-hashes would refuse it).
    (tmp_path / "pyproject.toml").write_text(pyproject)
    run_lock = tmp_path / "requirements" / "run.txt"
    run_lock.write_text(re.sub(r"(?m)^(django==\S+) \\\n(\s+--hash=\S+ \\\n)*\s+--hash=\S+\n",
                               r"\1\n", run_lock.read_text()))  # fmt: skip
    assert any("pins django==" in p and "without a hash" in p for p in lock.check(tmp_path))


def test_locks_split_what_running_testing_and_the_image_need():
    run, prod, dev = _pins("run"), _pins("prod"), _pins("dev")
    # The embedded broker is for `make run` only; the image's broker is Redis.
    assert "sqlalchemy" in run and "sqlalchemy" in dev
    assert "sqlalchemy" not in prod
    # Running needs none of the test toolchain; the image carries the otel exporter.
    for tool in ("pytest", "playwright", "schemathesis", "locust", "hypothesis", "ruff"):
        assert tool not in run and tool not in prod and tool in dev
    assert "opentelemetry-sdk" in prod and "opentelemetry-sdk" not in run
    for name in ("sentry-sdk", "prometheus-client", "python-json-logger", "django", "celery"):
        assert name in run and name in prod
    assert {"pip-audit", "uv", "pytest-xdist"} <= dev.keys()
    # One version per package across the locks, so dev.txt over run.txt only adds packages.
    for smaller in (run, prod):
        for name, (version, _) in smaller.items():
            assert dev.get(name, (version,))[0] == version, name
    # Every pin carries at least one hash (pip --require-hashes).
    for lock in (run, prod, dev):
        assert all(hashes for _, hashes in lock.values())


def test_make_run_installs_only_the_run_lock_and_make_test_the_rest(tmp_path):
    venv = tmp_path / "fresh-venv"  # does not exist: make plans the whole install

    def plan(target: str) -> str:
        result = subprocess.run(
            ["make", "-n", target, f"VENV={venv}"],
            cwd=ROOT, capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
        return result.stdout

    run = plan("run")
    assert "--require-hashes -r requirements/run.txt" in run
    assert "--no-deps --no-build-isolation -e ." in run
    assert "requirements/dev.txt" not in run and "[dev]" not in run
    test = plan("test")
    assert "--require-hashes -r requirements/run.txt" in test
    assert "--require-hashes -r requirements/dev.txt" in test
    assert "bin/test" in test
    assert "bin/lock" in plan("lock")
    # Inside the image there is no .venv: backup runs with the system python.
    assert "python3 bin/backup" in plan("backup")


def test_make_test_checks_the_lock_audits_and_runs_in_parallel():
    script = (ROOT / "bin" / "test").read_text()
    assert "bin/lock --check" in script
    assert "bin/audit" in script
    assert "--dist loadgroup" in script and '-n "$workers"' in script
    assert "--require-hashes" in (ROOT / "bin" / "audit").read_text()
    assert not subprocess.run(
        ["git", "ls-files", ".coverage"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.strip(), "the coverage data file is not source"


def test_audit_fails_on_a_known_vulnerability_unless_ignored_with_a_reason(tmp_path):
    audit = _script("audit")
    vuln = {
        "id": "PYSEC-2099-1",
        "aliases": ["GHSA-aaaa-bbbb-cccc"],
        "fix_versions": ["5.2.99"],
        "description": "…",
    }
    report = {
        "dependencies": [
            {"name": "django", "version": "5.2.19", "vulns": [vuln]},
            {"name": "celery", "version": "5.7.0", "vulns": []},
        ],
        "fixes": [],
    }
    code, lines = audit.judge(report, {})
    assert code == 1
    assert "VULNERABLE django==5.2.19 PYSEC-2099-1 (fixed in: 5.2.99)" in lines

    ignore = tmp_path / "audit-ignore.txt"
    ignore.write_text("# comment\nGHSA-aaaa-bbbb-cccc  no fix reaches us: we never call it\n")
    code, lines = audit.judge(report, audit.ignored_ids(ignore))
    assert code == 0, lines
    assert any(line.startswith("ignored  django==5.2.19 PYSEC-2099-1") for line in lines)

    ignore.write_text("GHSA-aaaa-bbbb-cccc\n")
    with pytest.raises(SystemExit, match="needs a reason"):
        audit.ignored_ids(ignore)

    skipped = {"dependencies": [{"name": "amqp", "skip_reason": "Dependency not found"}]}
    code, lines = audit.judge(skipped, {})
    assert code == 3 and "NOT AUDITED: 1 of 1" in lines[-1]
    assert audit.ignored_ids(ROOT / "requirements" / "audit-ignore.txt") is not None


def test_dockerfile_installs_the_image_lock_and_a_new_enough_postgres_client(compose):
    dockerfile = (ROOT / "Dockerfile").read_text()
    instructions = re.sub(r"\\\n", " ", dockerfile)
    base = re.search(r"^FROM\s+python:3\.11-slim-(\w+)", instructions, re.MULTILINE)
    assert base and base.group(1) == "bookworm", "the client version below is bookworm's"
    server_major = int(re.match(r"postgres:(\d+)", compose["services"]["postgres"]["image"])[1])
    client = re.search(r"apt-get install[^\n&]*\bpostgresql-client-(\d+)\b", instructions)
    assert client, "the image installs the PostgreSQL client (pg_dump) for make backup"
    # bookworm's own postgresql-client is 15; a newer server needs the PGDG repository.
    assert int(client.group(1)) >= server_major
    assert int(client.group(1)) == 15 or "apt.postgresql.org" in instructions
    assert re.search(r"apt-get install[^\n&]*\bmake\b", instructions), "make backup needs make"

    pip_lines = [line for line in instructions.splitlines() if "pip install" in line]
    assert pip_lines, "the image installs its packages with pip"
    for line in pip_lines:
        assert "--require-hashes" in line and "-r requirements/prod.txt" in line, line
    assert "COPY requirements/prod.txt" in dockerfile
    assert not re.search(r"pip install[^\n]*\s\.(\s|$|\[)", instructions), "no unlocked install"
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert "requirements" not in ignored and "Makefile" not in ignored


# Run first by the programs below: any import of SQLAlchemy fails, as in the image.
NO_SQLALCHEMY = """
import sys

class NoSQLAlchemy:
    def find_spec(self, name, path=None, target=None):
        if name == "sqlalchemy" or name.startswith("sqlalchemy."):
            raise ModuleNotFoundError(f"No module named {name!r} (blocked)")
        return None

sys.meta_path.insert(0, NoSQLAlchemy())
for name in [n for n in sys.modules if n.split(".")[0] == "sqlalchemy"]:
    del sys.modules[name]
"""


def run_without_sqlalchemy(
    program: str, tmp_path: Path, **env_vars: str
) -> subprocess.CompletedProcess:
    """``program`` in a fresh Python with production settings, SQLAlchemy blocked, and no
    database, Celery or Redis variables of this run except ``env_vars``."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "CELERY_")) and key not in {"DATABASE_URL", "REDIS_URL"}
    }
    env.update(
        DJANGO_SETTINGS_MODULE="tracker.settings",
        STRIDE_VAR_DIR=str(tmp_path),
        PYTHONPATH=str(ROOT),
        **env_vars,
    )
    result = subprocess.run(
        [sys.executable, "-c", NO_SQLALCHEMY + textwrap.dedent(program)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    return result


def test_the_embedded_broker_without_sqlalchemy_is_a_clear_check_error(tmp_path):
    """An image (no SQLAlchemy) started without REDIS_URL: `check` names what to set instead of
    a worker failing later with an import error."""
    program = """
        import django
        django.setup()
        from django.core.management import call_command
        from django.core.management.base import SystemCheckError
        try:
            call_command("check")
        except SystemCheckError as error:
            print(error)
        """
    result = run_without_sqlalchemy(program, tmp_path)
    assert "stride.E001" in result.stdout
    assert "Set REDIS_URL" in result.stdout


def test_app_imports_and_checks_without_sqlalchemy_when_the_broker_is_redis(tmp_path):
    """The image has no SQLAlchemy (the `embedded` extra): with a Redis broker URL, settings,
    URLs, the WSGI app, the Celery app and its tasks load, and `check` passes."""
    program = """
        import django
        django.setup()
        from django.core.management import call_command
        import tracker.urls, tracker.wsgi
        from tracker.celery import app
        app.loader.import_default_modules()
        assert app.conf.broker_url.startswith("redis://"), app.conf.broker_url
        assert any(name.startswith("tracker.") for name in app.tasks), sorted(app.tasks)
        call_command("check")
        assert "sqlalchemy" not in sys.modules
        try:  # the blocker works: the embedded broker's transport cannot load
            import kombu.transport.sqlalchemy
        except ModuleNotFoundError:
            print("ok without sqlalchemy")
        """
    # A Redis URL that is never connected to.
    result = run_without_sqlalchemy(program, tmp_path, CELERY_BROKER_URL="redis://127.0.0.1:9/0")
    assert "ok without sqlalchemy" in result.stdout
