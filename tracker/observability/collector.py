"""Stride's own figures, read at scrape time: the same answer whichever process is scraped.

Five database queries whatever the data's size (``StrideCollector.collect``), plus one round
trip to the broker under a hard deadline. A part that cannot be read (database or broker down)
is left out of that scrape and ``stride_scrape_ok{source}`` says so; the scrape itself answers.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterator

from celery import current_app
from django.db.models import Count, F, Min, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from curriculum.kernel import clock
from learners.models import DeploymentCheck, Enrollment
from tracker.jobs import BROKER_PROBE_SECONDS, broker_queue_length
from tracker.models import Notification
from tracker.progress.snapshots import basis

logger = logging.getLogger(__name__)

BROKER_TIMEOUT_SECONDS = BROKER_PROBE_SECONDS
State = Notification.EmailState


class StrideCollector(Collector):
    def collect(self) -> Iterator[Metric]:
        ok = GaugeMetricFamily(
            "stride_scrape_ok",
            "1 when this scrape could read the source (database, broker), else 0.",
            labels=["source"],
        )
        try:
            families = [*reminder_metrics(), *outbox_metrics(), *deployment_metrics()]
            families.extend(progress_metrics())
        except Exception:
            logger.exception("Metrics: the database could not be read")
            ok.add_metric(["database"], 0)
        else:
            ok.add_metric(["database"], 1)
            yield from families
        queue = queue_metrics()
        ok.add_metric(["broker"], 0 if queue is None else 1)
        if queue is not None:
            yield queue
        yield ok


# --- reminders and the outbox -----------------------------------------------------------------
def reminder_metrics() -> list[Metric]:
    """Per kind: rows created, emailed, failed, skipped (opted out), and being sent now. One
    query: the notification table grouped by kind and email state."""
    created = CounterMetricFamily(
        "stride_reminders_created",
        "Notifications (reminders and events) created, by kind; every one is shown in-app.",
        labels=["kind"],
    )
    emailed = CounterMetricFamily(
        "stride_reminders_emailed", "Notification emails sent, by kind.", labels=["kind"]
    )
    failed = CounterMetricFamily(
        "stride_reminders_email_failed",
        "Notification emails given up after their retries, by kind.",
        labels=["kind"],
    )
    skipped = CounterMetricFamily(
        "stride_reminders_email_skipped",
        "Notification emails not sent because the recipient opted out, by kind.",
        labels=["kind"],
    )
    sending = GaugeMetricFamily(
        "stride_reminders_email_sending",
        "Notification emails claimed by a worker right now, by kind.",
        labels=["kind"],
    )
    counts = {kind: dict.fromkeys(State.values, 0) for kind in Notification.Kind.values}
    rows = Notification.objects.values_list("kind", "email_state").annotate(n=Count("pk"))
    for kind, state, n in rows.order_by():
        counts.setdefault(kind, dict.fromkeys(State.values, 0))[state] = n
    for kind, by_state in sorted(counts.items()):
        created.add_metric([kind], sum(by_state.values()))
        emailed.add_metric([kind], by_state.get(State.SENT, 0))
        failed.add_metric([kind], by_state.get(State.FAILED, 0))
        skipped.add_metric([kind], by_state.get(State.SKIPPED, 0))
        sending.add_metric([kind], by_state.get(State.SENDING, 0))
    return [created, emailed, failed, skipped, sending]


def outbox_metrics() -> list[Metric]:
    """The emails due and not sent, the age of the oldest, and those deferred by quiet hours.
    One query over the pending rows (the partial index ``notification_outbox``)."""
    now = clock.now()
    due = Q(email_after__isnull=True) | Q(email_after__lte=now)
    found = Notification.objects.filter(email_state=State.PENDING).aggregate(
        backlog=Count("pk", filter=due),
        oldest=Min(Coalesce("email_after", "created_at"), filter=due),
        deferred=Count("pk", filter=Q(email_after__gt=now)),
    )
    age = max((now - found["oldest"]).total_seconds(), 0.0) if found["oldest"] else 0.0
    return [
        GaugeMetricFamily(
            "stride_outbox_backlog",
            "Notification emails due now and not yet sent (pending).",
            value=found["backlog"],
        ),
        GaugeMetricFamily(
            "stride_outbox_oldest_pending_age_seconds",
            "Seconds since the oldest pending email became due (0 when none is pending).",
            value=age,
        ),
        GaugeMetricFamily(
            "stride_outbox_deferred",
            "Notification emails waiting for the end of their recipient's quiet hours.",
            value=found["deferred"],
        ),
    ]


# --- deployment checks --------------------------------------------------------------------------
def deployment_metrics() -> list[Metric]:
    """Every capstone deployment check by verdict, and the submissions whose latest check
    failed. Two queries."""
    checks = CounterMetricFamily(
        "stride_deployment_checks",
        "Capstone deployment checks made, by verdict (ok, failed).",
        labels=["verdict"],
    )
    by_ok = dict(DeploymentCheck.objects.values_list("ok").annotate(n=Count("pk")).order_by())
    checks.add_metric(["ok"], by_ok.get(True, 0))
    checks.add_metric(["failed"], by_ok.get(False, 0))
    latest = (
        DeploymentCheck.objects.filter(submission_id=OuterRef("submission_id"))
        .order_by("-checked_at", "-pk")
        .values("pk")[:1]
    )
    latest_by_ok = dict(
        DeploymentCheck.objects.filter(pk=Subquery(latest))
        .values_list("ok")
        .annotate(n=Count("pk"))
        .order_by()
    )
    latest_family = GaugeMetricFamily(
        "stride_deployments_latest",
        "Capstone submissions by the verdict of their latest deployment check.",
        labels=["verdict"],
    )
    latest_family.add_metric(["ok"], latest_by_ok.get(True, 0))
    latest_family.add_metric(["failed"], latest_by_ok.get(False, 0))
    return [checks, latest_family]


# --- stored progress rows ---------------------------------------------------------------------
def progress_metrics() -> list[Metric]:
    """Enrollments whose stored progress row is not fresh (``snapshots.is_fresh``: computed
    under its current token and basis, for its cohort's local today), and all of them. One
    query grouped by cohort time zone and stored day."""
    current = basis()
    computed_now = Q(
        progress_snapshot__computed=F("progress_snapshot__token"),
        progress_snapshot__basis=current,
    )
    rows = (
        Enrollment.objects.values_list("cohort__timezone", "progress_snapshot__day")
        .annotate(total=Count("pk"), current=Count("pk", filter=computed_now))
        .order_by()
    )
    today: dict[str, object] = {}
    total = stale = 0
    for timezone, day, n, current_n in rows:
        if timezone not in today:
            today[timezone] = clock.today(timezone)
        total += n
        stale += n - (current_n if day is not None and day == today[timezone] else 0)
    return [
        GaugeMetricFamily(
            "stride_progress_rows_stale",
            "Stored progress rows not fresh (outdated by a write, a new day or a release); "
            "the hourly refresh and the next reader compute them again.",
            value=stale,
        ),
        GaugeMetricFamily(
            "stride_progress_rows", "Enrollments (one stored progress row each).", value=total
        ),
    ]


# --- the broker's queue -----------------------------------------------------------------------
def queue_metrics() -> Metric | None:
    """The queue's length, read under a hard deadline so a silent broker cannot hold the scrape
    (NaN when the transport cannot count); None when the broker did not answer."""
    try:
        _, length = broker_queue_length(BROKER_TIMEOUT_SECONDS)
    except Exception as exc:  # kombu raises many kinds; all mean "unreachable"
        logger.warning("Metrics: the broker could not be read (%s)", exc.__class__.__name__)
        return None
    family = GaugeMetricFamily(
        "stride_celery_queue_length",
        "Tasks waiting in the broker's queue (not yet taken by a worker).",
        labels=["queue"],
    )
    family.add_metric(
        [current_app.conf.task_default_queue], math.nan if length is None else float(length)
    )
    return family
