"""The graduation checklist: each rule met and missing, each switched off, each threshold."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from curriculum.services import program_update
from tests.graduation.conftest import capstone, check, held_sessions, make_eligible, requirement
from tracker.graduation import checklist_of

CODES = ["milestones_approved", "live_check", "mentor_sessions", "no_open_changes"]


def test_every_requirement_is_listed_and_a_fresh_capstone_is_missing(world):
    checklist = checklist_of(world.enrollment)
    assert [item["code"] for item in checklist["requirements"]] == CODES
    assert checklist["eligible"] is False
    milestones = requirement(checklist, "milestones_approved")
    assert milestones["met"] is False and "“Capstone demo”" in milestones["detail"]
    assert requirement(checklist, "live_check")["detail"] == "No deployed capstone yet."
    # Lena's history: one session, not marked held.
    assert requirement(checklist, "mentor_sessions")["detail"] == "0 of 3 mentor sessions held."
    assert requirement(checklist, "no_open_changes")["met"] is True


def test_met_checklist_is_eligible(world):
    make_eligible(world)
    checklist = checklist_of(world.enrollment)
    assert checklist["eligible"] is True
    assert all(item["met"] for item in checklist["requirements"])


def test_milestone_waiting_for_review_is_not_approved(world):
    make_eligible(world)
    world.enrollment.submissions.filter(assignment=world.final).update(status="submitted")
    item = requirement(checklist_of(world.enrollment), "milestones_approved")
    assert item["met"] is False and "Not approved yet" in item["detail"]


@pytest.mark.parametrize(
    ("ok", "age", "error", "met", "words"),
    [
        (True, dt.timedelta(days=1), "", True, "Passed on"),
        (False, dt.timedelta(days=1), "Connection refused", False, "failed: Connection refused"),
        (True, dt.timedelta(days=15), "", False, "more than 14 days ago"),
    ],
)
def test_live_check_uses_the_newest_check(world, ok, age, error, met, words):
    submission = capstone(world)
    check(submission, ok=not ok, age=dt.timedelta(days=20))  # an older, opposite result
    check(submission, ok=ok, age=age, error=error, status_code=200 if ok else None)
    item = requirement(checklist_of(world.enrollment), "live_check")
    assert item["met"] is met and words in item["detail"]


def test_live_check_without_any_check(world):
    capstone(world)
    item = requirement(checklist_of(world.enrollment), "live_check")
    assert item["met"] is False and "not been checked" in item["detail"]


def test_live_check_follows_the_newest_deployed_version(world):
    first = capstone(world, status="changes_requested")
    check(first, ok=True)
    second = capstone(world, version=2, deployment_url="https://lena-v2.example.org/")
    check(second, ok=False, status_code=503)
    item = requirement(checklist_of(world.enrollment), "live_check")
    assert item["met"] is False and "HTTP 503" in item["detail"]


def test_sessions_count_only_held_ones(world):
    held_sessions(world, 2)
    item = requirement(checklist_of(world.enrollment), "mentor_sessions")
    assert (item["met"], item["detail"]) == (False, "2 of 3 mentor sessions held.")
    held_sessions(world, 1)
    assert requirement(checklist_of(world.enrollment), "mentor_sessions")["met"] is True


def test_open_changes_requested_block_until_a_new_version_is_approved(world):
    make_eligible(world)
    world.reviewed_submission.status = "changes_requested"
    world.reviewed_submission.save()
    item = requirement(checklist_of(world.enrollment), "no_open_changes")
    assert item["met"] is False and "“Linear regression”" in item["detail"]
    world.reviewed_submission.__class__.objects.create(
        enrollment=world.enrollment,
        assignment=world.project,
        version=2,
        url="https://github.com/lena-learner/linear-regression/v2",
        status="approved",
        submitted_at=world.reviewed_submission.submitted_at,
        status_changed_at=world.reviewed_submission.submitted_at,
    )
    assert requirement(checklist_of(world.enrollment), "no_open_changes")["met"] is True


def test_rules_switched_off_leave_the_checklist(world):
    rules = {code: {"on": False} for code in CODES}
    program_update(actor=world.staff, program=world.program, graduation_rules=rules)
    world.enrollment.refresh_from_db()
    checklist = checklist_of(world.enrollment)
    assert checklist == {"eligible": True, "requirements": []}


def test_thresholds_change_the_verdict(world):
    submission = capstone(world)
    check(submission, age=dt.timedelta(days=20))
    held_sessions(world, 1)
    program_update(
        actor=world.staff,
        program=world.program,
        graduation_rules={"live_check": {"days": 30}, "mentor_sessions": {"minimum": 1}},
    )
    world.enrollment.refresh_from_db()
    checklist = checklist_of(world.enrollment)
    assert checklist["eligible"] is True
    assert "within the last 30 days" in requirement(checklist, "live_check")["detail"]


@pytest.mark.parametrize(
    "rules",
    [
        {"graduate_early": {"on": True}},
        {"live_check": {"days": 0}},
        {"live_check": {"on": "yes"}},
        {"mentor_sessions": {"minimum": True}},
        {"mentor_sessions": {"days": 3}},
        {"no_open_changes": True},
        ["live_check"],
    ],
)
def test_bad_rules_are_refused_with_nothing_written(world, rules):
    with pytest.raises(ValidationError) as refused:
        program_update(actor=world.staff, program=world.program, graduation_rules=rules)
    assert "graduation_rules" in refused.value.message_dict
    world.program.refresh_from_db()
    assert world.program.graduation_rules == {}
