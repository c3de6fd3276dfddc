"""One learner's data: export it whole (JSON), or erase the person while keeping the numbers.

Staff-only services, one transaction each, logged in the admin's ``LogEntry``. Erasure
anonymises: statuses, minutes and dates stay so progress and insights stay true; free text that
could name the learner is blanked, in the live rows and their audit history alike.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from typing import Any

from allauth.account.models import EmailAddress
from allauth.socialaccount.models import SocialAccount
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib.admin.models import LogEntry
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from curriculum.kernel import clock
from curriculum.kernel.access import is_staff
from curriculum.kernel.names import display_name
from learners.models import (
    Certificate,
    DeploymentCheck,
    Enrollment,
    HelpRequest,
    Pause,
    ProgressLog,
    Submission,
)
from mentors.models import Mentor, MentorSession, Pairing, Review
from tracker.models import ApiToken, Notification, UserPreferences, new_calendar_token
from tracker.security.audit import acting_as
from tracker.security.services import audit_log

ERASED_REASON = "learner erased"
# Text fields blanked on erasure, per model (the live rows and their historical copies).
ERASED_TEXT: dict[type, tuple[str, ...]] = {
    Pause: ("reason",),
    ProgressLog: ("note",),
    Submission: ("url", "note", "deployment_url"),
    Review: ("feedback",),
    Pairing: ("end_reason",),
}


def _require_staff(actor: Any) -> None:
    if not is_staff(actor):
        raise PermissionDenied(_("Only staff may export or erase a learner's data."))


def _require_learner(user: Any) -> None:
    if user.is_staff or user.is_superuser or Mentor.objects.filter(user_id=user.pk).exists():
        raise ValidationError(
            {"user": [f"{user.get_username()} is staff or a mentor, not a learner."]}
        )


def _value(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    return value


def _row(obj: Any, fields: str) -> dict[str, Any]:
    """``fields``, space-separated, of ``obj`` as JSON-ready values."""
    return {name: _value(getattr(obj, name)) for name in fields.split()}


def learner_export(*, actor: Any, user: Any) -> dict[str, Any]:
    """Everything Stride holds about ``user`` as a learner, as JSON-ready data."""
    _require_staff(actor)
    with transaction.atomic():
        enrollments = list(
            Enrollment.objects.filter(learner_id=user.pk)
            .select_related("cohort__program")
            .order_by("id")
        )
        enrollment_ids = [e.pk for e in enrollments]
        theirs = {"enrollment_id__in": enrollment_ids}
        preferences = UserPreferences.objects.filter(user_id=user.pk).first()
        submissions = list(
            Submission.objects.filter(**theirs)
            .select_related("assignment", "review__reviewer")
            .prefetch_related("deployment_checks")
            .order_by("enrollment_id", "assignment_id", "version")
        )
        profile = "id username first_name last_name email is_active date_joined last_login"
        preference_fields = (
            "timezone email_reminders email_muted_kinds quiet_hours_start quiet_hours_end"
        )
        sessions = MentorSession.objects.filter(**theirs).order_by("scheduled_at", "id")
        help_requests = HelpRequest.objects.filter(**theirs).order_by("created_at", "id")
        notifications = Notification.objects.filter(recipient_id=user.pk)
        data = {
            "format": "stride-learner-export/1",
            "exported_at": _value(clock.now()),
            "exported_by": actor.get_username(),
            "profile": _row(user, profile),
            "preferences": _row(preferences, preference_fields) if preferences else None,
            "enrollments": [
                {
                    **_row(
                        e, "id status enrolled_at status_changed_at paused_days prediction_examples"
                    ),
                    "cohort": {
                        "id": e.cohort_id,
                        "name": e.cohort.name,
                        "program": e.cohort.program.name,
                        "start_date": _value(e.cohort.start_date),
                    },
                    "pauses": [
                        _row(p, "start end reason created_at")
                        for p in Pause.objects.filter(enrollment_id=e.pk).order_by("start")
                    ],
                    "pairings": [
                        {"mentor": str(p.mentor), **_row(p, "started_at ended_at end_reason")}
                        for p in Pairing.objects.filter(enrollment_id=e.pk)
                        .select_related("mentor__user")
                        .order_by("started_at")
                    ],
                }
                for e in enrollments
            ],
            "progress_logs": [
                {
                    **_row(log, "id enrollment_id logged_on minutes note"),
                    "module": log.module.title,
                    "created_at": _value(log.created_at),
                }
                for log in ProgressLog.objects.filter(**theirs)
                .select_related("module")
                .order_by("logged_on", "id")
            ],
            "submissions": [_submission(s) for s in submissions],
            "sessions": [
                _row(s, "id enrollment_id scheduled_at duration_minutes status notes")
                for s in sessions
            ],
            "help_requests": [
                _row(h, "id enrollment_id message created_at answered_at answer")
                for h in help_requests
            ],
            "notifications": [
                _row(n, "id kind subject body link created_at read_at")
                for n in notifications.order_by("created_at", "id")
            ],
            "certificates": [
                _row(
                    c,
                    "id enrollment_id code issued_at learner_name program_name cohort_name "
                    "completed_on capstone_title deployed_url revoked_at revoke_reason",
                )
                for c in Certificate.objects.filter(**theirs).order_by("issued_at", "id")
            ],
        }
        audit_log(
            actor=actor,
            obj=user,
            message=(
                f"Exported learner data: {len(enrollments)} enrollments, "
                f"{len(data['progress_logs'])} progress logs, {len(submissions)} submissions."
            ),
        )
    return data


def _submission(submission: Submission) -> dict[str, Any]:
    try:
        review = submission.review
    except Review.DoesNotExist:
        review = None
    fields = (
        "id enrollment_id version url note deployment_url status submitted_at status_changed_at"
    )
    return {
        **_row(submission, fields),
        "assignment": {"id": submission.assignment_id, "title": submission.assignment.title},
        "review": (
            {
                "reviewer": display_name(review.reviewer),
                **_row(review, "verdict feedback scores created_at"),
            }
            if review
            else None
        ),
        "deployment_checks": [
            _row(c, "checked_at status_code ok latency_ms error examples")
            for c in submission.deployment_checks.all()
        ],
    }


def _blank(rows: Iterable[Any], fields: tuple[str, ...]) -> int:
    """Blank ``fields`` on each row, one save per row so the audit trail records the erasure
    (a queryset ``update()`` would bypass it)."""
    count = 0
    for row in rows:
        if all(getattr(row, name) == "" for name in fields):
            continue
        for name in fields:
            setattr(row, name, "")
        row._change_reason = ERASED_REASON
        row.save(update_fields=list(fields))
        count += 1
    return count


def learner_erase(*, actor: Any, user: Any) -> dict[str, int]:
    """Anonymise ``user``: the account can no longer sign in or be recognised, while statuses,
    minutes, versions and dates stay so aggregate progress is unchanged. Returns counts."""
    _require_staff(actor)
    _require_learner(user)
    user_model = get_user_model()
    with transaction.atomic(), acting_as(actor):
        user = user_model.objects.select_for_update().get(pk=user.pk)
        identifiers = {
            text
            for text in (user.get_username(), user.get_full_name().strip(), user.email)
            if len(text) >= 3
        }
        enrollment_ids = list(
            Enrollment.objects.filter(learner_id=user.pk).values_list("pk", flat=True)
        )
        theirs = Q(enrollment_id__in=enrollment_ids)
        reviews = Review.objects.filter(submission__enrollment_id__in=enrollment_ids)
        counts = {
            "pauses": _blank(Pause.objects.filter(theirs), ERASED_TEXT[Pause]),
            "progress_logs": _blank(ProgressLog.objects.filter(theirs), ERASED_TEXT[ProgressLog]),
            "submissions": _blank(Submission.objects.filter(theirs), ERASED_TEXT[Submission]),
            "reviews": _blank(reviews, ERASED_TEXT[Review]),
            "pairings": _blank(Pairing.objects.filter(theirs), ERASED_TEXT[Pairing]),
            "sessions": _blank(MentorSession.objects.filter(theirs), ("notes",)),
            "help_requests": _blank(HelpRequest.objects.filter(theirs), ("message", "answer")),
        }
        DeploymentCheck.objects.filter(submission__enrollment_id__in=enrollment_ids).update(
            error="", examples=[]
        )
        # The mentor's extra examples for the capstone (and their audit copies) go too.
        for enrollment in Enrollment.objects.filter(pk__in=enrollment_ids):
            if enrollment.prediction_examples:
                enrollment.prediction_examples = []
                enrollment._change_reason = ERASED_REASON
                enrollment.save(update_fields=["prediction_examples"])
        Enrollment.history.model.objects.filter(id__in=enrollment_ids).update(
            prediction_examples=[]
        )
        # A certificate's public page must not name an erased learner: its facts are blanked
        # and a valid one is revoked (issue 15).
        certificates = Certificate.objects.filter(theirs)
        counts["certificates"] = certificates.update(learner_name="(erased)", deployed_url="")
        certificates.filter(revoked_at__isnull=True).update(
            revoked_at=clock.now(), revoked_by=actor, revoke_reason=ERASED_REASON
        )
        # The audit history must not keep what the live rows no longer say.
        for model, fields in ERASED_TEXT.items():
            history = model.history.model.objects
            if model is Review:
                submissions = Submission.objects.filter(theirs).values("pk")
                history = history.filter(submission_id__in=submissions)
            else:
                history = history.filter(enrollment_id__in=enrollment_ids)
            history.update(**dict.fromkeys(fields, ""))
        counts["notifications"] = Notification.objects.filter(recipient_id=user.pk).update(
            subject="(erased)", body="", link=""
        )
        counts["others_notifications"] = _scrub_mentions(user.pk, identifiers)

        ApiToken.objects.filter(user_id=user.pk).delete()
        # Provider links keep the provider's copy of the name and address (single sign-on).
        SocialAccount.objects.filter(user_id=user.pk).delete()
        EmailAddress.objects.filter(user_id=user.pk).delete()
        UserPreferences.objects.filter(user_id=user.pk).update(
            email_reminders=False,
            quiet_hours_start=None,
            quiet_hours_end=None,
            calendar_token=new_calendar_token(),
        )
        if identifiers:
            for attempts in (AccessAttempt, AccessLog, AccessFailureLog):
                attempts.objects.filter(username__in=identifiers).delete()

        erased_name = f"erased-{user.pk}"
        user.username = erased_name
        user.first_name = user.last_name = user.email = ""
        user.is_active = False
        user.set_unusable_password()
        user.save()
        # Earlier admin log entries show the account and its enrollments by name.
        LogEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(user_model),
            object_id=str(user.pk),
        ).update(object_repr=erased_name)
        LogEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(Enrollment),
            object_id__in=[str(pk) for pk in enrollment_ids],
        ).update(object_repr="enrollment of an erased learner")
        audit_log(
            actor=actor,
            obj=user,
            message="Erased learner (anonymised): "
            + ", ".join(f"{count} {name.replace('_', ' ')}" for name, count in counts.items()),
        )
    return counts


def _scrub_mentions(user_id: int, identifiers: set[str]) -> int:
    """Other people's notifications (a mentor's "Ada Lovelace submitted …") that name the
    learner: each whole-word mention becomes "a former learner"."""
    if not identifiers:
        return 0
    candidates = Q()
    for text in identifiers:
        candidates |= Q(subject__icontains=text) | Q(body__icontains=text)
    pattern = re.compile(
        "|".join(
            rf"(?<!\w){re.escape(text)}(?!\w)"
            for text in sorted(identifiers, key=len, reverse=True)
        ),
        re.IGNORECASE,
    )
    count = 0
    for notification in Notification.objects.filter(candidates).exclude(recipient_id=user_id):
        subject = pattern.sub("a former learner", notification.subject)
        body = pattern.sub("a former learner", notification.body)
        if (subject, body) == (notification.subject, notification.body):
            continue
        notification.subject, notification.body = subject, body
        notification.save(update_fields=["subject", "body"])
        count += 1
    return count
