"""The top layer's own rows: notifications (also the email outbox), user preferences and the
stored progress report rows. The bottom band of ``tracker``: every room may import it, it
imports only the lower apps."""

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from curriculum.models import validate_timezone


def new_calendar_token() -> str:
    # 32 bytes of randomness (256 bits), URL-safe.
    return secrets.token_urlsafe(32)


class Notification(models.Model):
    """One reminder or event for one person. The table is also the email outbox: a row whose
    email is due and not yet sent is delivered by the next sweep, whatever happened to the broker.
    """

    class Kind(models.TextChoices):
        DUE_SOON = "due_soon", _("Due soon")
        OVERDUE = "overdue", _("Overdue")
        INACTIVE = "inactive", _("Inactive")
        REVIEW_WAITING = "review_waiting", _("Review waiting")
        SESSION_UPCOMING = "session_upcoming", _("Session upcoming")
        FEEDBACK_READY = "feedback_ready", _("Feedback ready")
        WEEKLY_DIGEST = "weekly_digest", _("Weekly digest")
        HELP_REQUESTED = "help_requested", _("Help requested")
        MISSED_SESSIONS = "missed_sessions", _("Missed sessions")
        SUBMISSION_RECEIVED = "submission_received", _("Submission received")
        # Not a reminder: a new account's invitation to choose a password (roster import).
        INVITATION = "invitation", _("Invitation")
        # Mentor operations (docs/API.md has each one's "at most" rule).
        SESSION_BOOKED = "session_booked", _("Session booked")
        SESSION_CHANGED = "session_changed", _("Session changed")
        SESSION_UNMARKED = "session_unmarked", _("Session not marked")
        RATE_SESSION = "rate_session", _("Rate your session")

    class EmailState(models.TextChoices):
        PENDING = "pending", _("Pending")
        # Claimed by one delivery task (see docs/OPERATIONS.md, "exactly once").
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        SKIPPED = "skipped", _("Skipped (opted out)")
        FAILED = "failed", _("Failed")

    # No single-column index: the (recipient, -created_at) index below serves every lookup, and
    # each index is one more write per row of a 100,000-learner sweep.
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notifications",
        db_index=False,
    )
    kind = models.CharField(max_length=32, choices=Kind.choices)
    subject = models.CharField(max_length=300)
    body = models.TextField()
    link = models.CharField(max_length=500, blank=True)
    # Encodes the contract's "at most" column, e.g. "overdue:<user>:<enrollment>:<assignment>:w2".
    dedupe_key = models.CharField(max_length=200)
    created_at = models.DateTimeField()
    read_at = models.DateTimeField(null=True, blank=True)
    # Quiet hours defer the email to this instant; they never drop it.
    email_after = models.DateTimeField(null=True, blank=True)
    email_state = models.CharField(
        max_length=16, choices=EmailState.choices, default=EmailState.PENDING
    )
    email_attempts = models.PositiveSmallIntegerField(default=0)
    emailed_at = models.DateTimeField(null=True, blank=True)
    # When a delivery task claimed the row; a claim older than the lease belongs to a dead worker.
    email_claimed_at = models.DateTimeField(null=True, blank=True)
    # When a delivery task was last published for the row; the outbox flush skips fresh ones.
    email_enqueued_at = models.DateTimeField(null=True, blank=True)
    email_error = models.CharField(max_length=500, blank=True)
    # An iCalendar invitation (METHOD:REQUEST or CANCEL) the email carries, made when the
    # notification was created so the email says what was true at that change.
    calendar = models.TextField(blank=True, default="", db_default="")

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # A constraint rather than unique=True: PostgreSQL then keeps one index, not a second
            # "_like" copy for pattern matching that nothing uses.
            models.UniqueConstraint(fields=["dedupe_key"], name="notification_dedupe_key_unique"),
        ]
        indexes = [
            models.Index(fields=["recipient", "-created_at"]),
            models.Index(
                fields=["email_after"],
                condition=Q(email_state="pending"),
                name="notification_outbox",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} → {self.recipient}"


class Theme(models.TextChoices):
    AUTO = "auto", _("As my device")
    LIGHT = "light", _("Light")
    DARK = "dark", _("Dark")


class UserPreferences(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="preferences"
    )
    timezone = models.CharField(max_length=64, default="UTC", validators=[validate_timezone])
    email_reminders = models.BooleanField(default=True)
    # Kinds the user does not want by email (they still appear in-app).
    email_muted_kinds = models.JSONField(default=list, blank=True)
    quiet_hours_start = models.TimeField(null=True, blank=True)
    quiet_hours_end = models.TimeField(null=True, blank=True)
    calendar_token = models.CharField(max_length=64, unique=True, default=new_calendar_token)
    # Blank: follow the browser (Accept-Language); emails then go out in English.
    language = models.CharField(
        _("language"), max_length=8, blank=True, default="", choices=settings.LANGUAGES
    )
    # The pages' colours: ``auto`` follows the browser's prefers-color-scheme.
    theme = models.CharField(max_length=8, choices=Theme.choices, default=Theme.AUTO)

    class Meta:
        verbose_name = _("user preferences")
        verbose_name_plural = _("user preferences")

    def __str__(self) -> str:
        return f"Preferences of {self.user}"


class ProgressSnapshot(models.Model):
    """One enrollment's row of the cohort progress report (its progress fields, learner, active
    mentor and status) as last computed: the read model of the cohort progress page.

    A row is *fresh* when it was computed under its current ``token`` (``computed == token``),
    for the cohort's local date (``day``) and under the current ``basis`` (the thresholds and
    ``ENGINE_VERSION``, ``tracker.progress.snapshots.basis``). Every write that can move the
    enrollment's progress replaces ``token`` in its own transaction
    (``tracker.progress.freshness``), so a row is never fresh with older facts; a stale row is
    computed again by the next reader (or right after the write commits) and stored only if its
    token has not changed meanwhile.

    No database constraint (the row is an upsert target of every writer, by plain SQL); Django
    deletes it with its enrollment (``CASCADE``), so a reused enrollment id never finds one.
    """

    enrollment = models.OneToOneField(
        "learners.Enrollment",
        primary_key=True,
        on_delete=models.CASCADE,
        db_constraint=False,
        related_name="progress_snapshot",
    )
    # Replaced by every write touching the enrollment.
    token = models.CharField(max_length=32)
    # The token the stored fields were computed under ("" before the first computation).
    computed = models.CharField(max_length=32, blank=True, default="")
    day = models.DateField(null=True, blank=True)
    basis = models.CharField(max_length=32, blank=True, default="")
    # The report row as JSON text, as the page's JSON renderer would write it.
    data = models.TextField(blank=True, default="")
    # The same row as its line of the CSV export (``tracker.progress.csv_lines``); empty in a
    # row stored before the column existed (the export then writes it from ``data``).
    csv = models.TextField(blank=True, default="", db_default="")
    # The enrollment's progress detail (``enrollments/{id}/progress/``: the progress fields
    # with per-module and per-assignment status and due dates) as JSON text, computed with
    # the row from the same facts; empty in a row stored before the column existed (the
    # detail is then computed from the facts, ``tracker.progress.selectors.enrollment_detail``).
    detail = models.TextField(blank=True, default="", db_default="")

    def __str__(self) -> str:
        return f"Progress snapshot of enrollment {self.enrollment_id} ({self.day})"


# --- Outbound webhooks (tracker/webhooks/) ----------------------------------------------------
class WebhookEndpoint(models.Model):
    """A receiver staff registered: where events of the kinds in ``events`` are POSTed, signed
    with ``secret`` (shown once, at creation)."""

    class Format(models.TextChoices):
        JSON = "json", "JSON event"
        SLACK = "slack", "Slack incoming webhook"

    url = models.URLField(max_length=500)
    secret = models.CharField(max_length=128)
    # Event type names (``tracker.webhooks.events.EVENT_TYPES``).
    events = models.JSONField(default=list)
    active = models.BooleanField(default=True)
    format = models.CharField(max_length=8, choices=Format.choices, default=Format.JSON)
    description = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.url


class WebhookEvent(models.Model):
    """One fact worth telling receivers, written in the same transaction as the fact itself.
    ``event_id`` is what receivers see (the same on every attempt); ``key`` names the fact, so
    the same fact is never recorded twice."""

    event_id = models.CharField(max_length=40, unique=True)
    type = models.CharField(max_length=40)
    key = models.CharField(max_length=200)
    created_at = models.DateTimeField()
    data = models.JSONField(default=dict)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["key"], name="webhook_event_key_unique")]

    def __str__(self) -> str:
        return f"{self.type} {self.event_id}"


class WebhookMessage(models.Model):
    """The outbox: one event owed to one endpoint, until it is accepted (2xx) or the retry
    window has passed."""

    class State(models.TextChoices):
        PENDING = "pending", "Pending"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Failed"

    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="messages")
    event = models.ForeignKey(WebhookEvent, on_delete=models.CASCADE, related_name="messages")
    state = models.CharField(max_length=16, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    # Retries run until this window (from the first try, or from "send again") has passed.
    window_started_at = models.DateTimeField()
    next_attempt_at = models.DateTimeField()
    # A sender's claim; one older than the lease belongs to a dead worker.
    claimed_at = models.DateTimeField(null=True, blank=True)
    # When a task carrying the message was last published (the retry sweep skips fresh ones).
    enqueued_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["endpoint", "event"], name="webhook_message_endpoint_event_unique"
            )
        ]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(state="pending"),
                name="webhook_message_due",
            )
        ]

    def __str__(self) -> str:
        return f"{self.event} → {self.endpoint}"


class WebhookDelivery(models.Model):
    """One attempt to deliver a message: the delivery log staff read."""

    message = models.ForeignKey(WebhookMessage, on_delete=models.CASCADE, related_name="deliveries")
    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries"
    )
    attempt = models.PositiveIntegerField()
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    ok = models.BooleanField(default=False)
    latency_ms = models.PositiveIntegerField(null=True, blank=True)
    response_excerpt = models.CharField(max_length=500, blank=True)
    error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["endpoint", "-created_at"])]
        verbose_name_plural = "webhook deliveries"

    def __str__(self) -> str:
        return f"{self.message} attempt {self.attempt}"


class ApiToken(models.Model):
    """One named API token of one person (issue 14). Only a SHA-256 digest of the value is kept:
    the value itself is shown once, when the token is made, and cannot be read back from the
    database. ``prefix`` (the value's first characters) lets the owner tell tokens apart.
    Issued and checked by ``tracker.security.tokens``."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=16)
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "-created_at"], name="apitoken_user_created")]
        constraints = [
            models.CheckConstraint(
                condition=Q(expires_at__gt=models.F("created_at")),
                name="apitoken_expires_after_created",
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"
