"""Staff-only export of one learner's data, and erasure that keeps the numbers."""

from __future__ import annotations

import io
import json
import stat

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from learners.models import Enrollment, HelpRequest, Pause, ProgressLog, Submission
from mentors.models import MentorSession, Pairing, Review
from tests.curriculum.factories import UserFactory
from tests.learners.factories import (
    EnrollmentFactory,
    HelpRequestFactory,
    PauseFactory,
    ProgressLogFactory,
    SubmissionFactory,
)
from tests.mentors.factories import MentorSessionFactory, PairingFactory, ReviewFactory
from tracker.models import ApiToken, HistoricalProgressLog, HistoricalSubmission, Notification
from tracker.security.audit import acting_as
from tracker.security.learner_data import learner_erase
from tracker.security.tokens import token_issue

pytestmark = pytest.mark.django_db


@pytest.fixture
def ada_on_record(world):
    """Ada Lovelace joins the world's Spring cohort with Max as her mentor and leaves a trail of
    personal data; Sam (staff) exports and erases it."""
    staff = world.staff
    learner = UserFactory(
        username="ada", first_name="Ada", last_name="Lovelace", email="ada@example.com"
    )
    enrollment = EnrollmentFactory(cohort=world.cohort, learner=learner)
    pairing = PairingFactory(enrollment=enrollment, mentor=world.mentor)
    log = ProgressLogFactory(enrollment=enrollment, minutes=90, note="My notes on Ada's week")
    with acting_as(learner):
        log.note = "Read the chapter on attention at home in Camden"
        log.save()
    submission = SubmissionFactory(
        enrollment=enrollment,
        url="https://github.com/ada-lovelace/engine",
        note="First try",
        status="approved",
    )
    review = ReviewFactory(
        submission=submission, reviewer=pairing.mentor.user, feedback="Lovely work, Ada."
    )
    session = MentorSessionFactory(pairing=pairing, notes="Ada is worried about money")
    help_request = HelpRequestFactory(enrollment=enrollment, message="Stuck on loss curves")
    pause = PauseFactory(enrollment=enrollment, reason="Surgery")
    token_issue(user=learner, name="laptop")
    mine = Notification.objects.create(
        recipient=learner,
        kind="feedback_ready",
        subject="Your review is ready",
        body="Lovely work",
        link="/learner/",
        dedupe_key="t:1",
        created_at=submission.submitted_at,
    )
    mentors = Notification.objects.create(
        recipient=pairing.mentor.user,
        kind="submission_received",
        subject="Ada Lovelace submitted work",
        body="ada submitted v1. Also about Canada.",
        link="/mentor/",
        dedupe_key="t:2",
        created_at=submission.submitted_at,
    )
    return {
        "staff": staff,
        "learner": learner,
        "enrollment": enrollment,
        "pairing": pairing,
        "log": log,
        "submission": submission,
        "review": review,
        "session": session,
        "help_request": help_request,
        "pause": pause,
        "mine": mine,
        "mentors": mentors,
    }


def export(*args) -> dict:
    out = io.StringIO()
    call_command("export_learner_data", *args, stdout=out)
    return json.loads(out.getvalue())


def test_export_holds_everything_about_the_learner(ada_on_record):
    data = export("--user", "ada", "--actor", "sam")
    assert data["profile"]["username"] == "ada"
    assert data["profile"]["email"] == "ada@example.com"
    assert [e["id"] for e in data["enrollments"]] == [ada_on_record["enrollment"].pk]
    assert data["enrollments"][0]["pauses"][0]["reason"] == "Surgery"
    assert data["enrollments"][0]["pairings"][0]["ended_at"] is None
    assert data["progress_logs"][0]["minutes"] == 90
    (submission,) = data["submissions"]
    assert submission["url"] == "https://github.com/ada-lovelace/engine"
    assert submission["review"]["feedback"] == "Lovely work, Ada."
    assert data["sessions"][0]["notes"] == "Ada is worried about money"
    assert data["help_requests"][0]["message"] == "Stuck on loss curves"
    assert [n["subject"] for n in data["notifications"]] == ["Your review is ready"]
    entry = LogEntry.objects.get(object_id=str(ada_on_record["learner"].pk))
    assert entry.user == ada_on_record["staff"]
    assert "Exported learner data" in entry.get_change_message()


def test_export_to_a_file_is_private(ada_on_record, tmp_path):
    target = tmp_path / "ada.json"
    call_command("export_learner_data", "--user", "ada", "--actor", "sam", "--output", str(target))
    assert json.loads(target.read_text())["profile"]["username"] == "ada"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600


@pytest.mark.parametrize(
    "command", [["export_learner_data"], ["erase_learner", "--yes"]], ids=lambda c: c[0]
)
def test_non_staff_actor_is_refused_and_nothing_is_logged(ada_on_record, command):
    UserFactory(username="mallory")
    with pytest.raises(CommandError, match="not active staff"):
        call_command(*command, "--user", "ada", "--actor", "mallory")
    with pytest.raises(CommandError, match="No user named"):
        call_command(*command, "--user", "nobody", "--actor", "sam")
    assert not LogEntry.objects.exists()
    assert get_user_model().objects.filter(username="ada").exists()


def test_erase_needs_confirmation(ada_on_record):
    with pytest.raises(CommandError, match="--yes"):
        call_command("erase_learner", "--user", "ada", "--actor", "sam", interactive=False)
    assert get_user_model().objects.get(pk=ada_on_record["learner"].pk).username == "ada"


def test_erase_refuses_staff_and_mentors(ada_on_record):
    mentor_name = ada_on_record["pairing"].mentor.user.username
    with pytest.raises(CommandError, match="not a learner"):
        call_command("erase_learner", "--user", mentor_name, "--actor", "sam", "--yes")


def test_erase_anonymises_but_keeps_the_numbers(ada_on_record):
    learner = ada_on_record["learner"]
    out = io.StringIO()
    call_command("erase_learner", "--user", "ada", "--actor", "sam", "--yes", stdout=out)
    assert f"erased-{learner.pk}" in out.getvalue()

    user = get_user_model().objects.get(pk=learner.pk)
    assert user.username == f"erased-{learner.pk}"
    assert (user.first_name, user.last_name, user.email) == ("", "", "")
    assert not user.is_active
    assert not user.has_usable_password()
    assert not ApiToken.objects.filter(user=user).exists()

    enrollment = Enrollment.objects.get(pk=ada_on_record["enrollment"].pk)
    assert enrollment.status == "active"
    log = ProgressLog.objects.get(pk=ada_on_record["log"].pk)
    assert (log.minutes, log.note) == (90, "")
    assert log.logged_on == ada_on_record["log"].logged_on
    submission = Submission.objects.get(pk=ada_on_record["submission"].pk)
    assert (submission.status, submission.version) == ("approved", 1)
    assert (submission.url, submission.note) == ("", "")
    review = Review.objects.get(pk=ada_on_record["review"].pk)
    assert (review.verdict, review.feedback) == ("approved", "")
    assert MentorSession.objects.get(pk=ada_on_record["session"].pk).notes == ""
    assert HelpRequest.objects.get(pk=ada_on_record["help_request"].pk).message == ""
    pause = Pause.objects.get(pk=ada_on_record["pause"].pk)
    assert (pause.reason, pause.start) == ("", ada_on_record["pause"].start)
    assert Pairing.objects.get(pk=ada_on_record["pairing"].pk).ended_at is None

    mine = Notification.objects.get(pk=ada_on_record["mine"].pk)
    assert (mine.subject, mine.body) == ("(erased)", "")
    mentors = Notification.objects.get(pk=ada_on_record["mentors"].pk)
    assert mentors.subject == "a former learner submitted work"
    assert mentors.body == "a former learner submitted v1. Also about Canada."


def test_erase_scrubs_the_audit_history_and_is_itself_audited(ada_on_record):
    learner = ada_on_record["learner"]
    assert HistoricalProgressLog.objects.filter(note__icontains="Camden").exists()
    call_command("erase_learner", "--user", "ada", "--actor", "sam", "--yes")
    for row in HistoricalProgressLog.objects.filter(id=ada_on_record["log"].pk):
        assert row.note == ""
        assert row.minutes == 90
    assert (
        not HistoricalSubmission.objects.exclude(url="")
        .filter(enrollment_id=ada_on_record["enrollment"].pk)
        .exists()
    )
    latest = HistoricalProgressLog.objects.filter(id=ada_on_record["log"].pk).first()
    assert latest.history_user == ada_on_record["staff"]
    assert latest.history_change_reason == "learner erased"

    entries = LogEntry.objects.filter(object_id=str(learner.pk)).order_by("action_time")
    assert [e.object_repr for e in entries] == [f"erased-{learner.pk}"]
    assert entries[0].user == ada_on_record["staff"]
    assert "Erased learner" in entries[0].get_change_message()


def test_export_then_erase_then_export_shows_nothing_personal(ada_on_record):
    call_command("erase_learner", "--user", "ada", "--actor", "sam", "--yes")
    data = export("--user", f"erased-{ada_on_record['learner'].pk}", "--actor", "sam")
    text = json.dumps(data).lower()
    for secret in ("lovelace", "camden", "surgery", "money", "ada-lovelace", "ada@"):
        assert secret not in text
    assert data["progress_logs"][0]["minutes"] == 90


def test_erase_is_one_transaction(ada_on_record, monkeypatch):
    import tracker.security.learner_data as learner_data

    def boom(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(learner_data, "_scrub_mentions", boom)
    with pytest.raises(RuntimeError):
        learner_erase(actor=ada_on_record["staff"], user=ada_on_record["learner"])
    assert ProgressLog.objects.get(pk=ada_on_record["log"].pk).note != ""
    assert get_user_model().objects.get(pk=ada_on_record["learner"].pk).username == "ada"
