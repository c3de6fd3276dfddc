"""``GET /metrics``: Stride's figures from the world's data, the request, database and cache
metrics, the protection (token, networks) and a constant number of queries."""

from __future__ import annotations

import datetime as dt
import math
import re

import pytest
from django.core.cache import caches
from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from prometheus_client.parser import text_string_to_metric_families

from learners.models import DeploymentCheck, Enrollment
from tests.learners.factories import EnrollmentFactory, SubmissionFactory
from tracker.models import Notification, ProgressSnapshot
from tracker.observability.cache import MeteredCache
from tracker.observability.collector import StrideCollector
from tracker.observability.metrics import CACHE_REQUESTS

State = Notification.EmailState


def scrape(client, **headers):
    return client.get("/metrics", REMOTE_ADDR=headers.pop("REMOTE_ADDR", "127.0.0.1"), **headers)


def samples(response) -> dict[tuple[str, tuple], float]:
    """Every sample of a scrape by (name, sorted labels)."""
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/plain; version=")
    found = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def value(found, name, **labels) -> float:
    return found[(name, tuple(sorted(labels.items())))]


def notification(world, *, kind="due_soon", state=State.PENDING, created_at, **fields):
    return Notification.objects.create(
        recipient=world.learner,
        kind=kind,
        subject="s",
        body="b",
        dedupe_key=f"metrics-test:{Notification.objects.count()}:{kind}:{state}",
        created_at=created_at,
        email_state=state,
        **fields,
    )


@pytest.fixture
def quiet_outbox(world):
    """The world's notifications all emailed: the test adds the ones it counts."""
    Notification.objects.update(email_state=State.SENT)
    return world


# --- Stride's own figures -------------------------------------------------------------------
def test_one_pending_email_gives_a_backlog_of_one_and_its_age(client, quiet_outbox, clock):
    world = quiet_outbox
    notification(world, created_at=clock.now() - dt.timedelta(minutes=10))
    # Deferred by quiet hours: waiting, but not a backlog.
    notification(
        world,
        kind="overdue",
        created_at=clock.now() - dt.timedelta(hours=2),
        email_after=clock.now() + dt.timedelta(hours=1),
    )
    found = samples(scrape(client))
    assert value(found, "stride_outbox_backlog") == 1
    assert value(found, "stride_outbox_oldest_pending_age_seconds") == 600
    assert value(found, "stride_outbox_deferred") == 1


def test_an_empty_outbox_has_no_age(client, quiet_outbox):
    found = samples(scrape(client))
    assert value(found, "stride_outbox_backlog") == 0
    assert value(found, "stride_outbox_oldest_pending_age_seconds") == 0


def test_reminders_created_and_emailed_per_kind(client, quiet_outbox, clock):
    world = quiet_outbox
    before = {
        kind: Notification.objects.filter(kind=kind).count()
        for kind in ("due_soon", "overdue", "feedback_ready")
    }
    now = clock.now()
    notification(world, kind="overdue", state=State.SENT, created_at=now, emailed_at=now)
    notification(world, kind="overdue", state=State.PENDING, created_at=now)
    notification(world, kind="overdue", state=State.FAILED, created_at=now)
    notification(world, kind="overdue", state=State.SKIPPED, created_at=now)
    notification(world, kind="overdue", state=State.SENDING, created_at=now)
    found = samples(scrape(client))
    assert value(found, "stride_reminders_created_total", kind="overdue") == before["overdue"] + 5
    assert value(found, "stride_reminders_emailed_total", kind="overdue") == before["overdue"] + 1
    assert value(found, "stride_reminders_email_failed_total", kind="overdue") == 1
    assert value(found, "stride_reminders_email_skipped_total", kind="overdue") == 1
    assert value(found, "stride_reminders_email_sending", kind="overdue") == 1
    assert value(found, "stride_reminders_created_total", kind="due_soon") == before["due_soon"]
    # Every kind is present, with 0 when nothing of it exists yet (alerts need the series).
    for kind in Notification.Kind.values:
        assert ("stride_reminders_emailed_total", (("kind", kind),)) in found


def test_deployment_checks_by_verdict_and_the_latest_per_submission(client, world, clock):
    now = clock.now()
    first = SubmissionFactory(enrollment=world.enrollment)
    second = SubmissionFactory(enrollment=world.other_enrollment)
    checks = [
        (first, now - dt.timedelta(days=1), False),
        (first, now, True),
        (second, now - dt.timedelta(hours=1), True),
        (second, now, False),
        (second, now - dt.timedelta(hours=2), False),
    ]
    for submission, checked_at, ok in checks:
        DeploymentCheck.objects.create(submission=submission, checked_at=checked_at, ok=ok)
    found = samples(scrape(client))
    assert value(found, "stride_deployment_checks_total", verdict="ok") == 2
    assert value(found, "stride_deployment_checks_total", verdict="failed") == 3
    assert value(found, "stride_deployments_latest", verdict="ok") == 1
    assert value(found, "stride_deployments_latest", verdict="failed") == 1


def test_stale_progress_rows_are_counted(client, world, clock):
    enrollments = Enrollment.objects.count()
    found = samples(scrape(client))
    assert value(found, "stride_progress_rows") == enrollments
    # Reading every learner's progress stores every row fresh.
    from tracker.progress.snapshots import refresh_stale

    refresh_stale()
    assert value(samples(scrape(client)), "stride_progress_rows_stale") == 0
    # A write outdates one row; a new day outdates them all.
    ProgressSnapshot.objects.filter(enrollment=world.enrollment).update(token="changed")
    assert value(samples(scrape(client)), "stride_progress_rows_stale") == 1
    clock.shift(dt.timedelta(days=1))
    assert value(samples(scrape(client)), "stride_progress_rows_stale") == enrollments


def test_celery_queue_length_is_read_from_the_broker(client, world):
    found = samples(scrape(client))
    length = value(found, "stride_celery_queue_length", queue="celery")
    assert length >= 0 and not math.isnan(length)
    assert value(found, "stride_scrape_ok", source="broker") == 1
    assert value(found, "stride_scrape_ok", source="database") == 1


def test_the_collector_queries_stay_constant_as_data_grows(world, clock):
    def queries() -> list[str]:
        with CaptureQueriesContext(connection) as captured:
            list(StrideCollector().collect())
        return [query["sql"] for query in captured.captured_queries]

    small = queries()
    now = clock.now()
    for index in range(6):
        enrollment = EnrollmentFactory(cohort=world.cohort)
        submission = SubmissionFactory(enrollment=enrollment)
        DeploymentCheck.objects.create(submission=submission, checked_at=now, ok=index % 2 == 0)
        for kind in ("overdue", "inactive"):
            notification(world, kind=kind, created_at=now - dt.timedelta(minutes=index))
    large = queries()
    assert len(small) == len(large) <= 5, "\n".join(large)


# --- the process's own metrics --------------------------------------------------------------
def test_requests_are_counted_by_view_method_and_status(client, world):
    client.get("/login/", REMOTE_ADDR="127.0.0.1")
    client.get("/no-such-page/", REMOTE_ADDR="127.0.0.1")
    client.get("/static/no-such-file.css", REMOTE_ADDR="127.0.0.1")
    found = samples(scrape(client))
    assert value(found, "stride_http_requests_total", view="<static>", method="GET", status="404")
    assert value(found, "stride_http_requests_total", view="login", method="GET", status="200")
    assert value(
        found, "stride_http_requests_total", view="<unresolved>", method="GET", status="404"
    )
    assert value(found, "stride_http_request_duration_seconds_count", view="login", method="GET")
    assert value(found, "stride_db_queries_total", alias="default") > 0
    assert value(found, "stride_db_query_duration_seconds_count", alias="default") > 0


def counted(alias: str, result: str) -> float:
    return CACHE_REQUESTS.labels(alias, result)._value.get()


def test_the_metered_cache_counts_hits_misses_and_errors():
    cache = MeteredCache(LocMemCache("metered-test", {}), alias="metered-test")
    hits, misses = counted("metered-test", "hit"), counted("metered-test", "miss")
    assert cache.get("absent", "fallback") == "fallback"
    cache.set("present", [1, 2])
    assert cache.get("present") == [1, 2]
    assert cache.get_many(["present", "absent"]) == {"present": [1, 2]}
    assert cache.add("present", "other") is False
    assert cache.get_or_set("made", lambda: 7) == 7
    assert cache.has_key("made")
    hit_count = counted("metered-test", "hit") - hits
    miss_count = counted("metered-test", "miss") - misses
    assert (hit_count, miss_count) == (3, 3)

    # Nothing listens on port 1: every call fails at once.
    broken = MeteredCache(
        RedisCache("redis://127.0.0.1:1/0", {"OPTIONS": {"socket_connect_timeout": 0.5}}),
        alias="metered-test",
    )
    errors = counted("metered-test", "error")
    with pytest.raises(Exception):  # noqa: B017 (redis-py's ConnectionError)
        broken.get("anything")
    assert counted("metered-test", "error") == errors + 1


def test_every_cache_of_the_process_is_metered_and_the_settings_stay_as_written(settings):
    from django.core.cache import cache

    assert isinstance(caches["default"], MeteredCache)
    assert settings.CACHES["default"]["BACKEND"].endswith("LocMemCache")
    misses = counted("default", "miss")
    # DRF's throttles and every other user go through ``django.core.cache.cache``.
    assert cache.get("metrics-test-absent") is None
    assert counted("default", "miss") == misses + 1
    # What the wrapper does not define comes from the real backend.
    assert cache._cache is caches["default"].inner._cache


# --- protection -----------------------------------------------------------------------------
def test_open_to_loopback_by_default_without_session_or_csrf(client, db):
    assert scrape(client).status_code == 200
    assert scrape(client, REMOTE_ADDR="::1").status_code == 200


@pytest.mark.parametrize("address", ["10.0.0.5", "192.168.1.20", "203.0.113.9", "::2", "junk"])
def test_refused_from_elsewhere(client, db, address):
    response = scrape(client, REMOTE_ADDR=address)
    assert response.status_code == 403
    assert b"stride_" not in response.content


def test_allowed_networks_come_from_the_setting(client, db, settings):
    settings.STRIDE_METRICS_ALLOWED_NETS = ["10.0.0.0/8", "fd00::/8"]
    assert scrape(client, REMOTE_ADDR="10.1.2.3").status_code == 200
    assert scrape(client, REMOTE_ADDR="fd00::1").status_code == 200
    assert scrape(client, REMOTE_ADDR="127.0.0.1").status_code == 403
    assert scrape(client, REMOTE_ADDR="11.0.0.1").status_code == 403


def test_a_forwarded_address_is_believed_only_behind_trusted_proxies(client, db, settings):
    # No trusted proxy: a client cannot claim to be local.
    spoofed = {"REMOTE_ADDR": "203.0.113.9", "HTTP_X_FORWARDED_FOR": "127.0.0.1"}
    assert scrape(client, **spoofed).status_code == 403
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    # One proxy (at 10.0.0.2) appends what it saw: the last entry is the client.
    behind = {"REMOTE_ADDR": "10.0.0.2", "HTTP_X_FORWARDED_FOR": "203.0.113.9, 127.0.0.1"}
    assert scrape(client, **behind).status_code == 200
    behind["HTTP_X_FORWARDED_FOR"] = "127.0.0.1, 203.0.113.9"
    assert scrape(client, **behind).status_code == 403


def test_with_a_token_only_the_bearer_of_it_is_answered(client, db, settings):
    settings.STRIDE_METRICS_TOKEN = "s3cret-scrape-token"
    missing = scrape(client)
    assert missing.status_code == 401
    assert missing["WWW-Authenticate"].startswith("Bearer")
    assert scrape(client, HTTP_AUTHORIZATION="Bearer wrong").status_code == 403
    assert scrape(client, HTTP_AUTHORIZATION="Token s3cret-scrape-token").status_code == 401
    assert scrape(client, HTTP_AUTHORIZATION="Bearer s3cret-scrape-token-x").status_code == 403
    # The right token works from anywhere (a scraper outside the allowed networks).
    accepted = scrape(
        client, REMOTE_ADDR="203.0.113.9", HTTP_AUTHORIZATION="Bearer s3cret-scrape-token"
    )
    assert accepted.status_code == 200
    assert b"stride_outbox_backlog" in accepted.content


def test_only_get_is_answered_and_nothing_is_written(client, db):
    with CaptureQueriesContext(connection) as captured:
        assert scrape(client).status_code == 200
    writes = [
        query["sql"]
        for query in captured.captured_queries
        if re.match(r"\s*(INSERT|UPDATE|DELETE)", query["sql"], re.IGNORECASE)
    ]
    assert writes == []
    assert client.post("/metrics", REMOTE_ADDR="127.0.0.1").status_code == 405
