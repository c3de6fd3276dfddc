"""Several gunicorn workers, one scrape: with ``PROMETHEUS_MULTIPROC_DIR`` every process's
figures are added up; and the compose file's monitoring parts (Flower profile, the metrics
directory)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import yaml
from prometheus_client.parser import text_string_to_metric_families

from tests.services import free_port, port_open

ROOT = Path(__file__).resolve().parents[2]

RECORD = """
from tracker.observability.metrics import record_request
for _ in range({count}):
    record_request(view="probe", method="GET", status=200, seconds=0.01)
"""
SCRAPE = """
import sys
from tracker.observability.metrics import exposition
sys.stdout.write(exposition().decode())
"""


def run(code: str, directory: Path) -> str:
    environment = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "PROMETHEUS_MULTIPROC_DIR": str(directory),
    }
    environment.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout


def test_the_scrape_adds_up_every_process(tmp_path):
    tmp_path = tmp_path / "not-yet-made"
    run(RECORD.format(count=2), tmp_path)
    run(RECORD.format(count=3), tmp_path)
    text = run(SCRAPE, tmp_path)
    found = {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }
    labels = (("method", "GET"), ("status", "200"), ("view", "probe"))
    assert found[("stride_http_requests_total", labels)] == 5
    assert found[("stride_http_request_duration_seconds_count", labels[:1] + labels[2:])] == 5


# --- compose --------------------------------------------------------------------------------
def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_flower_is_an_optional_profile_bound_to_this_machine_with_basic_auth():
    flower = compose()["services"]["flower"]
    assert flower["profiles"] == ["monitoring"]
    assert flower["image"].startswith("mher/flower")
    assert all(port.startswith("127.0.0.1:") for port in flower["ports"])
    assert "CELERY_BROKER_URL" in flower["environment"]
    assert "FLOWER_BASIC_AUTH" in flower["environment"]
    # It refuses to run without credentials rather than serve the workers' controls openly.
    assert 'test -n "$${FLOWER_BASIC_AUTH}"' in " ".join(flower["command"])


def test_web_keeps_its_metrics_in_a_directory_emptied_on_start():
    web = compose()["services"]["web"]
    directory = web["environment"]["PROMETHEUS_MULTIPROC_DIR"]
    assert directory in web["tmpfs"]
    # Only web serves /metrics; the other services keep their plain single-process mode.
    for name in ("worker", "beat", "migrate"):
        assert "PROMETHEUS_MULTIPROC_DIR" not in (
            compose()["services"][name].get("environment") or {}
        )


def test_every_observability_variable_is_in_the_env_example():
    example = (ROOT / ".env.example").read_text()
    for name in (
        "DJANGO_LOG_FORMAT",
        "SENTRY_DSN",
        "SENTRY_ENVIRONMENT",
        "SENTRY_TRACES_SAMPLE_RATE",
        "OTEL_EXPORTER_OTLP_ENDPOINT",
        "STRIDE_METRICS_TOKEN",
        "STRIDE_METRICS_ALLOWED_NETS",
        "FLOWER_BASIC_AUTH",
        "STRIDE_CELERY_EVENTS",
    ):
        assert f"{name}=" in example, name


def test_gunicorn_with_two_workers_answers_the_sum_of_both(tmp_path):
    """The production shape: every request counted once, whichever worker answered it and
    whichever answers the scrape."""
    port = free_port()
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("SENTRY_", "OTEL_", "DJANGO_"))
    }
    environment.update(
        PYTHONPATH=str(ROOT),
        DJANGO_SETTINGS_MODULE="tests.observability.probe_site",
        PROMETHEUS_MULTIPROC_DIR=str(tmp_path / "metrics"),
    )
    log = (tmp_path / "gunicorn.log").open("wb")
    server = subprocess.Popen(
        [
            sys.executable, "-m", "gunicorn", "tracker.wsgi:application",
            "--bind", f"127.0.0.1:{port}", "--workers", "2", "--access-logfile", "/dev/null",
        ],
        cwd=ROOT,
        env=environment,
        stdout=log,
        stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while not port_open("127.0.0.1", port):
            assert server.poll() is None and time.monotonic() < deadline, (
                tmp_path / "gunicorn.log"
            ).read_text()
            time.sleep(0.2)
        requests = 20
        for _ in range(requests):
            with urllib.request.urlopen(f"{base}/probe/ok", timeout=30) as answer:
                assert answer.status == 200
        scrapes = set()
        for _ in range(4):
            with urllib.request.urlopen(f"{base}/metrics", timeout=30) as answer:
                text = answer.read().decode()
            found = {
                (sample.name, tuple(sorted(sample.labels.items()))): sample.value
                for family in text_string_to_metric_families(text)
                for sample in family.samples
            }
            labels = (
                ("method", "GET"),
                ("status", "200"),
                ("view", "tests.observability.probe_site.ok"),
            )
            scrapes.add(found[("stride_http_requests_total", labels)])
        assert scrapes == {requests}
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()
