import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from learners import services, signals
from learners.models import Enrollment, HelpRequest, Pause, ProgressLog, Submission
from tests.curriculum.factories import (
    AssignmentFactory,
    CohortFactory,
    ModuleFactory,
    StaffFactory,
)
from tests.learners.factories import (
    HelpRequestFactory,
    LearnerFactory,
    PauseFactory,
    ProgressLogFactory,
    SubmissionFactory,
)
from tests.world import NOW

pytestmark = pytest.mark.django_db


# Sam, Lena's enrollment in Spring, and the "Python for ML" module, from the one world.
@pytest.fixture
def staff(world):
    return world.staff


@pytest.fixture
def enrollment(world):
    return world.enrollment


@pytest.fixture
def module(world):
    return world.module


def errors_of(excinfo) -> dict:
    return excinfo.value.message_dict


class Received:
    """Collects a signal's sends (kwargs) while connected."""

    def __init__(self, signal):
        self.signal = signal
        self.calls: list[dict] = []

    def __call__(self, sender, **kwargs):
        kwargs.pop("signal", None)
        self.calls.append(kwargs)

    def __enter__(self):
        self.signal.connect(self, weak=False)
        return self

    def __exit__(self, *exc):
        self.signal.disconnect(self)


# --- Enrollments ------------------------------------------------------------------------------


def test_enrollment_create(staff):
    cohort, learner = CohortFactory(), LearnerFactory()
    enrollment = services.enrollment_create(actor=staff, cohort=cohort, learner=learner)
    assert enrollment.status == "active"
    assert Enrollment.objects.filter(cohort=cohort, learner=learner).count() == 1


def test_enrollment_create_refusals(staff, enrollment, world):
    with pytest.raises(ValidationError) as excinfo:
        services.enrollment_create(
            actor=staff, cohort=enrollment.cohort, learner=enrollment.learner
        )
    assert "learner" in errors_of(excinfo)
    with pytest.raises(PermissionDenied):
        services.enrollment_create(
            actor=enrollment.learner, cohort=world.other_cohort, learner=enrollment.learner
        )
    assert not Enrollment.objects.filter(learner=enrollment.learner).exclude(pk=enrollment.pk)


def test_enrollments_create_enrolls_all_with_their_audit_trail(staff):
    from tracker.security.audit import history_of

    cohort, learners = CohortFactory(), [LearnerFactory() for _ in range(3)]
    enrollments = services.enrollments_create(actor=staff, cohort=cohort, learners=learners)
    assert [e.learner_id for e in enrollments] == [learner.pk for learner in learners]
    assert all(e.pk and e.status == "active" and e.status_changed_at for e in enrollments)
    stored = Enrollment.objects.filter(cohort=cohort).order_by("pk")
    assert [e.pk for e in stored] == [e.pk for e in enrollments]
    for enrollment in enrollments:
        (record,) = history_of(enrollment)
        assert record.history_type == "+" and record.history_user == staff


def test_enrollments_create_is_all_or_none(staff, enrollment, world):
    newcomer = LearnerFactory()
    # One learner already in the cohort: nobody is enrolled, and the message names them.
    with pytest.raises(ValidationError) as excinfo:
        services.enrollments_create(
            actor=staff, cohort=enrollment.cohort, learners=[newcomer, enrollment.learner]
        )
    assert errors_of(excinfo) == {
        "learner": [f"{enrollment.learner} is already enrolled in {enrollment.cohort}."]
    }
    # The same learner twice in one call.
    with pytest.raises(ValidationError):
        services.enrollments_create(
            actor=staff, cohort=enrollment.cohort, learners=[newcomer, newcomer]
        )
    with pytest.raises(PermissionDenied):
        services.enrollments_create(
            actor=enrollment.learner, cohort=enrollment.cohort, learners=[newcomer]
        )
    assert not Enrollment.objects.filter(learner=newcomer).exists()
    assert services.enrollments_create(actor=staff, cohort=enrollment.cohort, learners=[]) == []


def test_enrollment_set_status_graduate_withdraw_reactivate(
    clock, staff, enrollment, django_capture_on_commit_callbacks
):
    with (
        Received(signals.enrollment_status_changed) as received,
        django_capture_on_commit_callbacks(execute=True),
    ):
        with pytest.raises(ValidationError) as excinfo:
            services.enrollment_set_status(actor=staff, enrollment=enrollment, status="paused")
        assert "status" in errors_of(excinfo)
        with pytest.raises(ValidationError):
            services.enrollment_set_status(actor=staff, enrollment=enrollment, status="gone")
        with pytest.raises(PermissionDenied):
            services.enrollment_set_status(
                actor=enrollment.learner, enrollment=enrollment, status="withdrawn"
            )
        services.enrollment_set_status(actor=staff, enrollment=enrollment, status="graduated")
        assert enrollment.status == "graduated"
        assert enrollment.status_changed_at == NOW
        services.enrollment_set_status(actor=staff, enrollment=enrollment, status="withdrawn")
        services.enrollment_set_status(actor=staff, enrollment=enrollment, status="active")
    assert Enrollment.objects.get(pk=enrollment.pk).status == "active"
    assert [c["status"] for c in received.calls] == ["graduated", "withdrawn", "active"]


def test_reactivating_a_paused_enrollment_ends_the_pause_yesterday(staff, enrollment, clock):
    services.enrollment_pause(
        actor=staff,
        enrollment=enrollment,
        start=dt.date(2026, 3, 1),
        end=dt.date(2026, 3, 20),
    )
    assert enrollment.status == "paused"
    assert enrollment.paused_days == 20
    services.enrollment_set_status(actor=staff, enrollment=enrollment, status="active")
    pause = Pause.objects.get(enrollment=enrollment)
    assert pause.end == dt.date(2026, 3, 9)
    enrollment.refresh_from_db()
    assert (enrollment.status, enrollment.paused_days) == ("active", 9)


# --- Pauses -----------------------------------------------------------------------------------


def test_enrollment_pause_future_keeps_active_and_counts_days(staff, enrollment, clock):
    pause = services.enrollment_pause(
        actor=staff,
        enrollment=enrollment,
        start=dt.date(2026, 4, 1),
        end=dt.date(2026, 4, 14),
        reason="Family",
    )
    assert pause.days == 14
    assert pause.created_by == staff
    enrollment.refresh_from_db()
    assert (enrollment.status, enrollment.paused_days) == ("active", 14)
    services.enrollment_pause(
        actor=staff, enrollment=enrollment, start=dt.date(2026, 5, 1), end=dt.date(2026, 5, 1)
    )
    enrollment.refresh_from_db()
    assert enrollment.paused_days == 15


@pytest.mark.parametrize(
    ("start", "end", "field"),
    [
        (dt.date(2026, 4, 10), dt.date(2026, 4, 9), "end"),
        (dt.date(2026, 4, 1), dt.date(2026, 4, 1) + dt.timedelta(days=180), "end"),
        (dt.date(2026, 3, 25), dt.date(2026, 4, 2), "start"),  # overlaps the existing pause
        (dt.date(2026, 4, 5), dt.date(2026, 4, 6), "start"),  # inside it
        (None, dt.date(2026, 4, 6), "start"),
    ],
)
def test_enrollment_pause_refusals(staff, enrollment, start, end, field, clock):
    PauseFactory(enrollment=enrollment, start=dt.date(2026, 4, 1), end=dt.date(2026, 4, 10))
    with pytest.raises(ValidationError) as excinfo:
        services.enrollment_pause(actor=staff, enrollment=enrollment, start=start, end=end)
    assert field in errors_of(excinfo)
    assert Pause.objects.count() == 1


def test_enrollment_pause_max_length_is_allowed(staff, enrollment):
    services.enrollment_pause(
        actor=staff,
        enrollment=enrollment,
        start=dt.date(2030, 1, 1),
        end=dt.date(2030, 1, 1) + dt.timedelta(days=179),
    )
    enrollment.refresh_from_db()
    assert enrollment.paused_days == 180


def test_enrollment_pause_refuses_closed_enrollment_and_non_staff(staff, enrollment):
    with pytest.raises(PermissionDenied):
        services.enrollment_pause(
            actor=enrollment.learner,
            enrollment=enrollment,
            start=dt.date(2030, 1, 1),
            end=dt.date(2030, 1, 2),
        )
    Enrollment.objects.filter(pk=enrollment.pk).update(status="withdrawn")
    with pytest.raises(ValidationError) as excinfo:
        services.enrollment_pause(
            actor=staff, enrollment=enrollment, start=dt.date(2030, 1, 1), end=dt.date(2030, 1, 2)
        )
    assert "enrollment" in errors_of(excinfo)
    assert not Pause.objects.exists()


def test_sync_pause_statuses_follows_the_calendar(staff, enrollment, clock):
    with clock.at(NOW):
        services.enrollment_pause(
            actor=staff,
            enrollment=enrollment,
            start=dt.date(2026, 3, 12),
            end=dt.date(2026, 3, 14),
        )
        assert services.enrollment_sync_pause_statuses() == 0
    with clock.at(NOW + dt.timedelta(days=2)):
        assert services.enrollment_sync_pause_statuses() == 1
        assert Enrollment.objects.get(pk=enrollment.pk).status == "paused"
    with clock.at(NOW + dt.timedelta(days=5)):
        assert services.enrollment_sync_pause_statuses() == 1
        assert Enrollment.objects.get(pk=enrollment.pk).status == "active"
        assert services.enrollment_sync_pause_statuses() == 0


# --- Progress logs ----------------------------------------------------------------------------


def test_progress_log_create(enrollment, module, clock):
    log = services.progress_log_create(
        actor=enrollment.learner,
        enrollment=enrollment,
        module=module,
        logged_on=dt.date(2026, 3, 9),
        minutes=90,
        note="Ridge regression",
    )
    assert log.recorded_on == dt.date(2026, 3, 10)
    assert ProgressLog.objects.get(pk=log.pk).minutes == 90


def test_progress_log_recorded_on_is_the_cohort_local_date(module, enrollment, clock):
    cohort = enrollment.cohort
    cohort.timezone = "Pacific/Auckland"  # UTC+13 in March
    cohort.save()
    with clock.at(dt.datetime(2026, 3, 10, 20, 0, tzinfo=dt.UTC)):
        log = services.progress_log_create(
            actor=enrollment.learner,
            enrollment=enrollment,
            module=module,
            logged_on=dt.date(2026, 3, 11),  # already the 11th in Auckland
            minutes=30,
        )
    assert log.recorded_on == dt.date(2026, 3, 11)


@pytest.mark.parametrize(
    ("kwargs", "field", "message"),
    [
        ({"minutes": 1441}, "minutes", "Ensure this value is less than or equal to 1440."),
        ({"minutes": 0}, "minutes", "Ensure this value is greater than or equal to 1."),
        ({"logged_on": dt.date(2026, 3, 11)}, "logged_on", "The date cannot be in the future."),
        ({"note": "x" * 5001}, "note", None),
    ],
)
def test_progress_log_create_field_errors(enrollment, module, kwargs, field, message, clock):
    values = {"logged_on": dt.date(2026, 3, 10), "minutes": 30, **kwargs}
    with pytest.raises(ValidationError) as excinfo:
        services.progress_log_create(
            actor=enrollment.learner, enrollment=enrollment, module=module, **values
        )
    assert field in errors_of(excinfo)
    if message:
        assert errors_of(excinfo)[field] == [message]
    assert not ProgressLog.objects.exists()


def test_progress_log_refuses_module_of_another_program(enrollment, clock):
    with pytest.raises(ValidationError) as excinfo:
        services.progress_log_create(
            actor=enrollment.learner,
            enrollment=enrollment,
            module=ModuleFactory(),
            logged_on=dt.date(2026, 3, 10),
            minutes=30,
        )
    assert "module" in errors_of(excinfo)
    assert not ProgressLog.objects.exists()


@pytest.mark.parametrize("status", ["withdrawn", "graduated"])
def test_progress_log_refuses_closed_enrollments(enrollment, module, status, clock):
    Enrollment.objects.filter(pk=enrollment.pk).update(status=status)
    enrollment.refresh_from_db()
    with pytest.raises(ValidationError) as excinfo:
        services.progress_log_create(
            actor=enrollment.learner,
            enrollment=enrollment,
            module=module,
            logged_on=dt.date(2026, 3, 10),
            minutes=30,
        )
    assert "enrollment" in errors_of(excinfo)
    assert not ProgressLog.objects.exists()


def test_progress_log_create_permissions(enrollment, module, staff, world):
    # Even Lena's own mentor may not log for her; nor may a classmate or an outsider.
    for actor in (world.other_learner, world.mentor.user, world.outsider):
        with pytest.raises(PermissionDenied):
            services.progress_log_create(
                actor=actor,
                enrollment=enrollment,
                module=module,
                logged_on=dt.date(2026, 3, 10),
                minutes=30,
            )
    assert not ProgressLog.objects.exists()
    services.progress_log_create(
        actor=staff, enrollment=enrollment, module=module, logged_on=dt.date(2026, 3, 1), minutes=5
    )
    assert ProgressLog.objects.count() == 1


def test_progress_log_update_and_delete_within_window(enrollment, module, settings, clock):
    with clock.at(NOW):
        log = services.progress_log_create(
            actor=enrollment.learner,
            enrollment=enrollment,
            module=module,
            logged_on=dt.date(2026, 3, 10),
            minutes=30,
        )
    window = dt.timedelta(hours=settings.STRIDE_LOG_EDIT_WINDOW_HOURS)
    with clock.at(NOW + window - dt.timedelta(minutes=1)):
        updated = services.progress_log_update(
            actor=enrollment.learner, log=log, minutes=45, note="More"
        )
        assert (updated.minutes, updated.note) == (45, "More")
        assert log.minutes == 45
        with pytest.raises(ValidationError) as excinfo:
            services.progress_log_update(actor=enrollment.learner, log=log, minutes=2000)
        assert "minutes" in errors_of(excinfo)
        with pytest.raises(ValidationError) as excinfo:
            services.progress_log_update(
                actor=enrollment.learner, log=log, logged_on=dt.date(2026, 3, 13)
            )
        assert "logged_on" in errors_of(excinfo)
        with pytest.raises(ValidationError) as excinfo:
            services.progress_log_update(actor=enrollment.learner, log=log, recorded_on=None)
        assert "recorded_on" in errors_of(excinfo)
        with pytest.raises(PermissionDenied):
            services.progress_log_update(actor=LearnerFactory(), log=log, minutes=10)
    assert ProgressLog.objects.get(pk=log.pk).minutes == 45
    with clock.at(NOW + window + dt.timedelta(minutes=1)):
        with pytest.raises(PermissionDenied):
            services.progress_log_update(actor=enrollment.learner, log=log, minutes=10)
        with pytest.raises(PermissionDenied):
            services.progress_log_delete(actor=enrollment.learner, log=log)
        assert ProgressLog.objects.filter(pk=log.pk).exists()
        services.progress_log_delete(actor=StaffFactory(), log=log)
    assert not ProgressLog.objects.exists()


def test_progress_log_delete_by_owner(enrollment, module):
    log = ProgressLogFactory(enrollment=enrollment, module=module)
    with pytest.raises(PermissionDenied):
        services.progress_log_delete(actor=LearnerFactory(), log=log)
    services.progress_log_delete(actor=enrollment.learner, log=log)
    assert not ProgressLog.objects.exists()


# --- Submissions ------------------------------------------------------------------------------


def test_submission_versions_and_signal(enrollment, django_capture_on_commit_callbacks):
    assignment = AssignmentFactory(program=enrollment.cohort.program)
    with Received(signals.submission_created) as received:
        with django_capture_on_commit_callbacks(execute=True):
            first = services.submission_create(
                actor=enrollment.learner,
                enrollment=enrollment,
                assignment=assignment,
                url="https://github.com/me/regression",
            )
        assert (first.version, first.status) == (1, "submitted")
        assert received.calls == [{"submission_id": first.pk}]
        with pytest.raises(ValidationError) as excinfo:
            services.submission_create(
                actor=enrollment.learner,
                enrollment=enrollment,
                assignment=assignment,
                url="https://github.com/me/regression-2",
            )
        assert "still waiting" in errors_of(excinfo)["assignment"][0]
        Submission.objects.filter(pk=first.pk).update(status="changes_requested")
        second = services.submission_create(
            actor=enrollment.learner,
            enrollment=enrollment,
            assignment=assignment,
            url="http://example.com/v2",
            note="Fixed the leakage",
        )
        assert second.version == 2
        Submission.objects.filter(pk=second.pk).update(status="approved")
        with pytest.raises(ValidationError) as excinfo:
            services.submission_create(
                actor=enrollment.learner,
                enrollment=enrollment,
                assignment=assignment,
                url="https://example.com/v3",
            )
        assert errors_of(excinfo)["assignment"] == ["This assignment is already approved."]
    assert Submission.objects.count() == 2


def test_no_signal_for_a_rolled_back_submission(enrollment, django_capture_on_commit_callbacks):
    from django.db import transaction

    assignment = AssignmentFactory(program=enrollment.cohort.program)
    with (
        Received(signals.submission_created) as received,
        django_capture_on_commit_callbacks(execute=True) as callbacks,
    ):
        try:
            with transaction.atomic():
                services.submission_create(
                    actor=enrollment.learner,
                    enrollment=enrollment,
                    assignment=assignment,
                    url="https://example.com/x",
                )
                raise RuntimeError("the request failed later")
        except RuntimeError:
            pass
    assert callbacks == []
    assert received.calls == []
    assert not Submission.objects.exists()


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"url": "ftp://example.com/work"}, "url"),
        ({"url": "javascript:alert(1)"}, "url"),
        ({"url": "not a url"}, "url"),
        ({"url": ""}, "url"),
        ({"deployment_url": "https://model.example.com"}, "deployment_url"),
    ],
)
def test_submission_create_field_errors(enrollment, kwargs, field):
    assignment = AssignmentFactory(program=enrollment.cohort.program)
    values = {"url": "https://example.com/work", **kwargs}
    with pytest.raises(ValidationError) as excinfo:
        services.submission_create(
            actor=enrollment.learner, enrollment=enrollment, assignment=assignment, **values
        )
    assert field in errors_of(excinfo)
    assert not Submission.objects.exists()


def test_submission_deployment_url_on_the_final_milestone(enrollment):
    program = enrollment.cohort.program
    AssignmentFactory(program=program, kind="milestone", due_week=20)
    final = AssignmentFactory(program=program, kind="milestone", due_week=26)
    submission = services.submission_create(
        actor=enrollment.learner,
        enrollment=enrollment,
        assignment=final,
        url="https://github.com/me/capstone",
        deployment_url="https://capstone.example.com/health",
    )
    assert submission.deployment_url == "https://capstone.example.com/health"
    Submission.objects.filter(pk=submission.pk).update(status="changes_requested")
    with pytest.raises(ValidationError) as excinfo:
        services.submission_create(
            actor=enrollment.learner,
            enrollment=enrollment,
            assignment=final,
            url="https://github.com/me/capstone",
            deployment_url="ftp://capstone.example.com",
        )
    assert "deployment_url" in errors_of(excinfo)


def test_submission_refuses_other_program_closed_enrollment_and_other_people(enrollment):
    with pytest.raises(ValidationError) as excinfo:
        services.submission_create(
            actor=enrollment.learner,
            enrollment=enrollment,
            assignment=AssignmentFactory(),
            url="https://example.com",
        )
    assert "assignment" in errors_of(excinfo)
    assignment = AssignmentFactory(program=enrollment.cohort.program)
    with pytest.raises(PermissionDenied):
        services.submission_create(
            actor=LearnerFactory(),
            enrollment=enrollment,
            assignment=assignment,
            url="https://example.com",
        )
    Enrollment.objects.filter(pk=enrollment.pk).update(status="withdrawn")
    with pytest.raises(ValidationError) as excinfo:
        services.submission_create(
            actor=enrollment.learner,
            enrollment=Enrollment.objects.get(pk=enrollment.pk),
            assignment=assignment,
            url="https://example.com",
        )
    assert "enrollment" in errors_of(excinfo)
    assert not Submission.objects.exists()


def test_submission_versions_continue_after_factory_rows(enrollment):
    assignment = AssignmentFactory(program=enrollment.cohort.program)
    SubmissionFactory(
        enrollment=enrollment, assignment=assignment, version=3, status="changes_requested"
    )
    submission = services.submission_create(
        actor=StaffFactory(), enrollment=enrollment, assignment=assignment, url="https://e.com"
    )
    assert submission.version == 4


# --- Help requests ----------------------------------------------------------------------------


def test_help_request_create_and_answer(enrollment, world, django_capture_on_commit_callbacks):
    mentor = world.mentor
    with (
        Received(signals.help_requested) as received,
        django_capture_on_commit_callbacks(execute=True),
    ):
        request = services.help_request_create(
            actor=enrollment.learner, enrollment=enrollment, message="  Stuck on SVMs  "
        )
    assert request.message == "Stuck on SVMs"
    assert request.is_open
    assert received.calls == [{"help_request_id": request.pk}]
    with pytest.raises(PermissionDenied):
        services.help_request_answer(actor=enrollment.learner, help_request=request)
    with pytest.raises(PermissionDenied):
        services.help_request_answer(actor=world.other_mentor.user, help_request=request)
    answered = services.help_request_answer(
        actor=mentor.user, help_request=request, answer="Let's talk tomorrow"
    )
    assert answered.answered_by == mentor.user
    assert not HelpRequest.objects.get(pk=request.pk).is_open
    with pytest.raises(ValidationError) as excinfo:
        services.help_request_answer(actor=mentor.user, help_request=request)
    assert "help_request" in errors_of(excinfo)


def test_help_request_refusals(enrollment):
    with pytest.raises(ValidationError) as excinfo:
        services.help_request_create(actor=enrollment.learner, enrollment=enrollment, message=" ")
    assert "message" in errors_of(excinfo)
    with pytest.raises(PermissionDenied):
        services.help_request_create(actor=LearnerFactory(), enrollment=enrollment, message="Hi")
    assert not HelpRequest.objects.exists()
    request = HelpRequestFactory(enrollment=enrollment)
    staff = StaffFactory()
    answered = services.help_request_answer(actor=staff, help_request=request)
    assert answered.answered_by == staff
    assert answered.answered_at <= timezone.now()
    assert answered.answer == ""


def test_reactivating_on_the_first_day_of_a_pause_removes_it(staff, enrollment, clock):
    services.enrollment_pause(
        actor=staff, enrollment=enrollment, start=dt.date(2026, 3, 10), end=dt.date(2026, 3, 12)
    )
    services.enrollment_pause(
        actor=staff, enrollment=enrollment, start=dt.date(2026, 6, 1), end=dt.date(2026, 6, 2)
    )
    assert (enrollment.status, enrollment.paused_days) == ("paused", 5)
    services.enrollment_set_status(actor=staff, enrollment=enrollment, status="active")
    assert list(Pause.objects.values_list("start", flat=True)) == [dt.date(2026, 6, 1)]
    assert (enrollment.status, enrollment.paused_days) == ("active", 2)


def test_help_request_refused_for_closed_enrollment(enrollment):
    Enrollment.objects.filter(pk=enrollment.pk).update(status="graduated")
    enrollment.refresh_from_db()
    with pytest.raises(ValidationError) as excinfo:
        services.help_request_create(actor=enrollment.learner, enrollment=enrollment, message="?")
    assert "enrollment" in errors_of(excinfo)
    assert not HelpRequest.objects.exists()


def test_a_failing_receiver_is_logged_not_raised(
    enrollment, django_capture_on_commit_callbacks, caplog
):
    def broken(sender, **kwargs):
        raise RuntimeError("mail server on fire")

    signals.help_requested.connect(broken, weak=False)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            request = services.help_request_create(
                actor=enrollment.learner, enrollment=enrollment, message="Help"
            )
    finally:
        signals.help_requested.disconnect(broken)
    assert HelpRequest.objects.filter(pk=request.pk).exists()
    assert "mail server on fire" in caplog.text
