"""Writes of the learners' side: enrollments and pauses, progress logs, submissions, help.

Same shape as ``curriculum/services.py``: keyword-only, actor first, one transaction,
``full_clean()``, ``ValidationError({field: [messages]})`` with nothing written, and
``PermissionDenied`` when the actor's role may not make the write. Events leave through
``learners.signals`` on commit.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history

from curriculum.kernel import clock
from curriculum.kernel.signals import progress_inputs_change
from curriculum.models import Assignment, Cohort, Module
from curriculum.services import (
    Errors,
    add_error,
    raise_if,
    reject_unknown_fields,
    require_staff,
    validate_instance,
)
from learners import signals
from learners.models import Enrollment, HelpRequest, Pause, ProgressLog, Submission
from learners.rules import HELP_REQUEST_RULE, PROGRESS_LOG_RULE, SUBMISSION_RULE

MAX_PAUSE_DAYS = 180
CLOSED_STATUSES = (Enrollment.Status.WITHDRAWN, Enrollment.Status.GRADUATED)


# A log before this is a typing mistake (the year 0001 is a valid date to the database).
EARLIEST_LOG_DATE = dt.date(2000, 1, 1)


def _max_pause_days() -> int:
    return getattr(settings, "STRIDE_MAX_PAUSE_DAYS", MAX_PAUSE_DAYS)


def _closed_message(enrollment: Enrollment) -> str:
    return _("The enrollment is %(status)s.") % {"status": enrollment.get_status_display().lower()}


def _is_http_url(value: str) -> bool:
    return urlsplit(value).scheme.lower() in ("http", "https")


def _lock_enrollment(enrollment: Enrollment) -> Enrollment:
    return (
        Enrollment.objects.select_for_update(no_key=True, of=("self",))
        .select_related("cohort")
        .get(pk=enrollment.pk)
    )


# --- Enrollments and pauses -------------------------------------------------------------------


@transaction.atomic
def enrollment_create(*, actor: Any, cohort: Cohort, learner: Any) -> Enrollment:
    require_staff(actor, _("enroll learners"))
    enrollment = Enrollment(cohort=cohort, learner=learner, status=Enrollment.Status.ACTIVE)
    errors = validate_instance(enrollment, validate_constraints=False)
    if not errors and Enrollment.objects.filter(cohort=cohort, learner=learner).exists():
        add_error(
            errors,
            "learner",
            _("%(learner)s is already enrolled in %(cohort)s.")
            % {"learner": learner, "cohort": cohort},
        )
    raise_if(errors)
    enrollment.status_changed_at = clock.now()
    try:
        with transaction.atomic():
            enrollment.save()
    except IntegrityError as error:  # a concurrent enrollment of the same learner
        raise ValidationError(
            {
                "learner": [
                    _("%(learner)s is already enrolled in %(cohort)s.")
                    % {"learner": learner, "cohort": cohort}
                ]
            }
        ) from error
    progress_inputs_change(enrollment_ids=[enrollment.pk])
    return enrollment


@transaction.atomic
def enrollments_create(*, actor: Any, cohort: Cohort, learners: list[Any]) -> list[Enrollment]:
    """Enroll many learners in one cohort at once (a roster import): the rules of
    ``enrollment_create`` checked for every learner before anything is written, then one insert
    for the enrollments and one for their audit history. All or none: a learner already in the
    cohort (or twice in ``learners``) is a ``ValidationError`` naming them, and nothing is
    written."""
    require_staff(actor, _("enroll learners"))
    if not learners:
        return []
    # The field checks of ``full_clean`` depend on the cohort only (the learners are saved
    # users): one instance checks them for all.
    raise_if(
        validate_instance(
            Enrollment(cohort=cohort, learner=learners[0], status=Enrollment.Status.ACTIVE),
            validate_constraints=False,
        )
    )
    ids = [learner.pk for learner in learners]
    already = set(
        Enrollment.objects.filter(cohort=cohort, learner_id__in=ids).values_list(
            "learner_id", flat=True
        )
    )
    repeated = {pk for pk, count in Counter(ids).items() if count > 1}
    clashes = [learner for learner in learners if learner.pk in already | repeated]
    if clashes:
        raise ValidationError(
            {
                "learner": [
                    _("%(learner)s is already enrolled in %(cohort)s.")
                    % {"learner": learner, "cohort": cohort}
                    for learner in clashes
                ]
            }
        )
    now = clock.now()
    enrollments = [
        Enrollment(
            cohort=cohort,
            learner=learner,
            status=Enrollment.Status.ACTIVE,
            status_changed_at=now,
        )
        for learner in learners
    ]
    try:
        with transaction.atomic():
            # The audit trail is written with the rows (``bulk_create_with_history``), by actor.
            enrollments = bulk_create_with_history(
                enrollments, Enrollment, batch_size=500, default_user=actor, default_date=now
            )
    except IntegrityError as error:  # a concurrent enrollment of one of them
        raise ValidationError(
            {
                "learner": [
                    _("A learner was enrolled in %(cohort)s meanwhile; try again.")
                    % {"cohort": cohort}
                ]
            }
        ) from error
    progress_inputs_change(enrollment_ids=[enrollment.pk for enrollment in enrollments])
    return enrollments


def _pause_covering(enrollment: Enrollment, day: dt.date) -> Pause | None:
    return enrollment.pauses.filter(start__lte=day, end__gte=day).first()


def _set_status(enrollment: Enrollment, status: str) -> bool:
    """Set ``status`` (and when it changed); True when it did change."""
    if enrollment.status == status:
        return False
    enrollment.status = status
    enrollment.status_changed_at = clock.now()
    return True


def _sync_pause_status(enrollment: Enrollment, today: dt.date) -> bool:
    """Paused while a pause covers ``today``, active otherwise (open enrollments only)."""
    if enrollment.status not in Enrollment.OPEN_STATUSES:
        return False
    covered = enrollment.pauses.filter(start__lte=today, end__gte=today).exists()
    return _set_status(
        enrollment, Enrollment.Status.PAUSED if covered else Enrollment.Status.ACTIVE
    )


def _recount_paused_days(enrollment: Enrollment) -> None:
    enrollment.paused_days = sum(pause.days for pause in enrollment.pauses.all())


STATE_FIELDS = ("status", "status_changed_at", "paused_days")


def _store_state(enrollment: Enrollment, locked: Enrollment, *, changed: bool) -> None:
    """Save the locked row's status and paused days, announce them to progress, mirror them on
    the caller's instance and, when the status changed, tell the layers above on commit."""
    locked.save(update_fields=STATE_FIELDS)
    progress_inputs_change(enrollment_ids=[locked.pk])
    for field in STATE_FIELDS:
        setattr(enrollment, field, getattr(locked, field))
    if changed:
        signals.send_on_commit(
            signals.enrollment_status_changed,
            Enrollment,
            enrollment_id=locked.pk,
            status=locked.status,
        )


@transaction.atomic
def enrollment_set_status(*, actor: Any, enrollment: Enrollment, status: str) -> Enrollment:
    """Graduate, withdraw or reactivate. Pausing goes through ``enrollment_pause``; reactivating
    a paused enrollment ends the pause that covers today (yesterday was its last day)."""
    require_staff(actor, _("change an enrollment's status"))
    if status == Enrollment.Status.PAUSED:
        raise ValidationError(
            {"status": [_("Pause an enrollment with a pause (start and end dates).")]}
        )
    if status not in Enrollment.Status.values:
        raise ValidationError(
            {"status": [_("“%(status)s” is not a valid status.") % {"status": status}]}
        )
    locked = _lock_enrollment(enrollment)
    if status == Enrollment.Status.ACTIVE and locked.status == Enrollment.Status.PAUSED:
        today = clock.today(locked.cohort.timezone)
        pause = _pause_covering(locked, today)
        if pause is not None:
            if pause.start < today:
                pause.end = today - dt.timedelta(days=1)
                pause.save(update_fields=["end"])
            else:
                pause.delete()
            _recount_paused_days(locked)
    changed = _set_status(locked, status)
    _store_state(enrollment, locked, changed=changed)
    return enrollment


@transaction.atomic
def enrollment_pause(
    *, actor: Any, enrollment: Enrollment, start: dt.date, end: dt.date, reason: str = ""
) -> Pause:
    """Record a pause (inclusive days). Pauses never overlap and last at most 180 days; the
    enrollment's ``paused_days`` is recomputed and it is ``paused`` while a pause covers today."""
    require_staff(actor, _("pause enrollments"))
    locked = _lock_enrollment(enrollment)
    pause = Pause(enrollment=locked, start=start, end=end, reason=reason, created_by=actor)
    errors = validate_instance(pause, validate_constraints=False)
    if locked.status in CLOSED_STATUSES:
        add_error(errors, "enrollment", _closed_message(locked))
    if not ({"start", "end"} & set(errors)):
        if pause.end < pause.start:
            add_error(errors, "end", _("The pause cannot end before it starts."))
        elif pause.days > _max_pause_days():
            add_error(
                errors,
                "end",
                _("A pause lasts at most %(days)s days.") % {"days": _max_pause_days()},
            )
        else:
            clash = (
                locked.pauses.filter(start__lte=pause.end, end__gte=pause.start)
                .order_by("start")
                .first()
            )
            if clash is not None:
                add_error(
                    errors,
                    "start",
                    _("The pause overlaps the pause from %(start)s to %(end)s.")
                    % {"start": clash.start, "end": clash.end},
                )
    raise_if(errors)
    pause.save()
    _recount_paused_days(locked)
    changed = _sync_pause_status(locked, clock.today(locked.cohort.timezone))
    _store_state(enrollment, locked, changed=changed)
    return pause


def enrollment_sync_pause_statuses(*, today: dt.date | None = None) -> int:
    """Flip open enrollments between ``active`` and ``paused`` as pauses begin and end (run
    daily by the scheduler). ``today`` defaults to each cohort's local date. Returns how many
    enrollments changed."""
    changed = 0
    candidates = Enrollment.objects.filter(
        Q(status=Enrollment.Status.PAUSED)
        | Q(status=Enrollment.Status.ACTIVE, pk__in=Pause.objects.values("enrollment_id"))
    )
    for enrollment_id in list(candidates.values_list("pk", flat=True)):
        with transaction.atomic():
            enrollment = (
                Enrollment.objects.select_for_update(no_key=True, of=("self",))
                .select_related("cohort")
                .get(pk=enrollment_id)
            )
            day = today or clock.today(enrollment.cohort.timezone)
            if _sync_pause_status(enrollment, day):
                enrollment.save(update_fields=["status", "status_changed_at"])
                progress_inputs_change(enrollment_ids=[enrollment.pk])
                signals.send_on_commit(
                    signals.enrollment_status_changed,
                    Enrollment,
                    enrollment_id=enrollment.pk,
                    status=enrollment.status,
                )
                changed += 1
    return changed


# --- Progress logs ----------------------------------------------------------------------------

LOG_FIELDS = ("module", "logged_on", "minutes", "note")


def _validate_log(log: ProgressLog, enrollment: Enrollment, today: dt.date) -> Errors:
    errors: Errors = {}
    if enrollment.status in CLOSED_STATUSES:
        add_error(errors, "enrollment", _closed_message(enrollment))
    validate_instance(log, errors, exclude=["recorded_on"], validate_constraints=False)
    if "module" not in errors and log.module.program_id != enrollment.cohort.program_id:
        add_error(errors, "module", _("The module belongs to another program."))
    if "logged_on" not in errors and log.logged_on > today:
        add_error(errors, "logged_on", _("The date cannot be in the future."))
    if "logged_on" not in errors and log.logged_on < EARLIEST_LOG_DATE:
        add_error(
            errors,
            "logged_on",
            _("The date cannot be before %(year)s.") % {"year": EARLIEST_LOG_DATE.year},
        )
    return errors


@transaction.atomic
def progress_log_create(
    *,
    actor: Any,
    enrollment: Enrollment,
    module: Module,
    logged_on: dt.date,
    minutes: int,
    note: str = "",
) -> ProgressLog:
    """Log time on a module. ``recorded_on`` is today in the cohort's time zone, and the date
    logged may not be after it."""
    log = ProgressLog(
        enrollment=enrollment, module=module, logged_on=logged_on, minutes=minutes, note=note
    )
    if not PROGRESS_LOG_RULE.can_create(actor, log):
        raise PermissionDenied(_("Learners log progress into their own enrollment only."))
    today = clock.today(enrollment.cohort.timezone)
    log.recorded_on = today
    raise_if(_validate_log(log, enrollment, today))
    log.save()
    progress_inputs_change(enrollment_ids=[enrollment.pk])
    return log


@transaction.atomic
def progress_log_update(*, actor: Any, log: ProgressLog, **fields: Any) -> ProgressLog:
    """Change a log's module, date, minutes or note: its learner within the edit window
    (``STRIDE_LOG_EDIT_WINDOW_HOURS``), or staff."""
    reject_unknown_fields(fields, LOG_FIELDS)
    locked = (
        ProgressLog.objects.select_for_update(no_key=True, of=("self",))
        .select_related("enrollment", "enrollment__cohort")
        .get(pk=log.pk)
    )
    if not PROGRESS_LOG_RULE.can_update(actor, locked):
        raise PermissionDenied(
            _("Only your own logs can be changed, and only within %(hours)s hours.")
            % {"hours": settings.STRIDE_LOG_EDIT_WINDOW_HOURS}
        )
    for name, value in fields.items():
        setattr(locked, name, value)
    enrollment = locked.enrollment
    today = clock.today(enrollment.cohort.timezone)
    locked.recorded_on = max(locked.recorded_on, today)
    raise_if(_validate_log(locked, enrollment, today))
    locked.save()
    progress_inputs_change(enrollment_ids=[enrollment.pk])
    log.refresh_from_db()
    return locked


@transaction.atomic
def progress_log_delete(*, actor: Any, log: ProgressLog) -> None:
    locked = (
        ProgressLog.objects.select_for_update(no_key=True, of=("self",))
        .select_related("enrollment")
        .get(pk=log.pk)
    )
    if not PROGRESS_LOG_RULE.can_delete(actor, locked):
        raise PermissionDenied(
            _("Only your own logs can be deleted, and only within %(hours)s hours.")
            % {"hours": settings.STRIDE_LOG_EDIT_WINDOW_HOURS}
        )
    locked.delete()
    progress_inputs_change(enrollment_ids=[locked.enrollment_id])


# --- Submissions ------------------------------------------------------------------------------


@transaction.atomic
def submission_create(
    *,
    actor: Any,
    enrollment: Enrollment,
    assignment: Assignment,
    url: str,
    note: str = "",
    deployment_url: str = "",
) -> Submission:
    """Submit (a new version of) work for an assignment. Refused while the latest version waits
    for review or once it is approved; ``deployment_url`` only on the final capstone milestone."""
    probe = Submission(enrollment=enrollment, assignment=assignment)
    if not SUBMISSION_RULE.can_create(actor, probe):
        raise PermissionDenied(_("Learners submit work for their own enrollment only."))
    # Versions of one enrollment are numbered one at a time.
    locked = _lock_enrollment(enrollment)
    now = clock.now()
    submission = Submission(
        enrollment=locked,
        assignment=assignment,
        version=1,
        url=url,
        note=note,
        deployment_url=deployment_url or "",
        status=Submission.Status.SUBMITTED,
        submitted_at=now,
        status_changed_at=now,
    )
    errors: Errors = {}
    if locked.status in CLOSED_STATUSES:
        add_error(errors, "enrollment", _closed_message(locked))
    # The enrollment is the row locked above, and an assignment read from the database (the
    # form's or the serializer's choice) exists: neither foreign key is read again to be checked.
    read_already = ["enrollment"]
    if isinstance(assignment, Assignment) and assignment.pk and not assignment._state.adding:
        read_already.append("assignment")
    validate_instance(submission, errors, exclude=read_already, validate_constraints=False)
    if "url" not in errors and not _is_http_url(submission.url):
        add_error(errors, "url", _("Enter an http:// or https:// address."))
    if "assignment" not in errors:
        if assignment.program_id != locked.cohort.program_id:
            add_error(errors, "assignment", _("The assignment belongs to another program."))
        else:
            latest = (
                Submission.objects.filter(enrollment=locked, assignment=assignment)
                .order_by("-version")
                .first()
            )
            if latest is not None:
                submission.version = latest.version + 1
                if latest.status == Submission.Status.APPROVED:
                    add_error(errors, "assignment", _("This assignment is already approved."))
                elif latest.status == Submission.Status.SUBMITTED:
                    add_error(
                        errors,
                        "assignment",
                        _("Version %(version)s is still waiting for review.")
                        % {"version": latest.version},
                    )
            if submission.deployment_url and "deployment_url" not in errors:
                if not assignment.is_final_milestone:
                    add_error(
                        errors,
                        "deployment_url",
                        _("Only the final capstone milestone takes a deployment URL."),
                    )
                elif not _is_http_url(submission.deployment_url):
                    add_error(errors, "deployment_url", _("Enter an http:// or https:// address."))
    raise_if(errors)
    try:
        with transaction.atomic():
            submission.save()
    except IntegrityError as error:
        raise ValidationError(
            {"assignment": [_("Another version was submitted at the same time; try again.")]}
        ) from error
    progress_inputs_change(enrollment_ids=[submission.enrollment_id])
    signals.send_on_commit(signals.submission_created, Submission, submission_id=submission.pk)
    return submission


# --- Help requests ----------------------------------------------------------------------------


@transaction.atomic
def help_request_create(*, actor: Any, enrollment: Enrollment, message: str) -> HelpRequest:
    help_request = HelpRequest(enrollment=enrollment, message=message, created_at=clock.now())
    if not HELP_REQUEST_RULE.can_create(actor, help_request):
        raise PermissionDenied(_("Learners ask for help in their own enrollment only."))
    errors: Errors = {}
    if enrollment.status in CLOSED_STATUSES:
        add_error(errors, "enrollment", _closed_message(enrollment))
    if isinstance(message, str):
        help_request.message = message.strip()
    validate_instance(help_request, errors)
    raise_if(errors)
    help_request.save()
    signals.send_on_commit(signals.help_requested, HelpRequest, help_request_id=help_request.pk)
    return help_request


@transaction.atomic
def help_request_answer(*, actor: Any, help_request: HelpRequest, answer: str = "") -> HelpRequest:
    """Mark a request answered (by the learner's current mentor or staff), with an optional
    written answer; it then leaves the mentor's dashboard."""
    locked = HelpRequest.objects.select_for_update(no_key=True).get(pk=help_request.pk)
    if not HELP_REQUEST_RULE.can_update(actor, locked):
        raise PermissionDenied(_("Only the learner's mentor or staff may answer."))
    if locked.answered_at is not None:
        raise ValidationError({"help_request": [_("This request has already been answered.")]})
    locked.answer = answer.strip() if isinstance(answer, str) else answer
    locked.answered_at = clock.now()
    locked.answered_by = actor
    raise_if(validate_instance(locked))
    locked.save(update_fields=["answer", "answered_at", "answered_by"])
    help_request.refresh_from_db()
    return locked
