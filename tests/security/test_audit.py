"""The audit trail: services leave history rows saying who changed what, when, before and after;
staff read them in the admin."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from curriculum.services import cohort_update
from learners.models import Enrollment, Submission
from learners.services import enrollment_set_status, progress_log_delete
from mentors.models import Pairing, Review
from mentors.services import pairing_assign
from tests.curriculum.factories import StaffFactory
from tests.learners.factories import ProgressLogFactory, SubmissionFactory
from tests.mentors.factories import MentorFactory, PairingFactory
from tracker.security.audit import AUDITED_MODELS, acting_as, changes
from tracker.security.tokens import token_issue

pytestmark = pytest.mark.django_db


def test_the_contracts_models_are_audited_in_the_tracker_app():
    names = {model.__name__ for model in AUDITED_MODELS}
    assert names == {
        "Review",
        "Submission",
        "Enrollment",
        "Pause",
        "Pairing",
        "Cohort",
        "ProgressLog",
    }
    for model in AUDITED_MODELS:
        assert model.history.model._meta.app_label == "tracker"


def test_review_over_token_api_records_the_mentor_and_the_status_change():
    pairing = PairingFactory()
    submission = SubmissionFactory(enrollment=pairing.enrollment)
    mentor_user = pairing.mentor.user
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {token_issue(user=mentor_user, name='test')[1]}")
    response = api.post(
        f"/api/v1/submissions/{submission.pk}/review/",
        {"verdict": "changes_requested", "feedback": "Add tests for the edge cases."},
        format="json",
    )
    assert response.status_code == 201, response.content

    review = Review.objects.get(submission=submission)
    (created,) = review.history.all()
    assert created.history_type == "+"
    assert created.history_user == mentor_user
    assert created.feedback == "Add tests for the edge cases."

    latest = Submission.objects.get(pk=submission.pk).history.first()
    assert latest.history_user == mentor_user
    assert latest.history_type == "~"
    assert {"field": "status", "old": "submitted", "new": "changes_requested"} in changes(latest)
    assert timezone.now() - latest.history_date < dt.timedelta(minutes=1)


def test_enrollment_status_change_outside_a_request_names_the_acting_user():
    staff = StaffFactory()
    enrollment = PairingFactory().enrollment
    with acting_as(staff):
        enrollment_set_status(actor=staff, enrollment=enrollment, status="withdrawn")
    record = Enrollment.objects.get(pk=enrollment.pk).history.first()
    assert record.history_user == staff
    assert record.status == "withdrawn"
    assert {"field": "status", "old": "active", "new": "withdrawn"} in changes(record)
    # Withdrawal keeps the learner's history: the earlier version is still there.
    assert record.prev_record.status == "active"


def test_pause_over_the_api_is_audited_with_the_staff_member():
    staff = StaffFactory()
    enrollment = PairingFactory().enrollment
    client = APIClient()
    client.force_login(staff)
    today = timezone.now().date()
    response = client.post(
        f"/api/v1/enrollments/{enrollment.pk}/pause/",
        {
            "start": (today + dt.timedelta(days=3)).isoformat(),
            "end": (today + dt.timedelta(days=9)).isoformat(),
            "reason": "Family matters",
        },
        format="json",
    )
    assert response.status_code in (200, 201), response.content
    pause = enrollment.pauses.get()
    (created,) = pause.history.all()
    assert created.history_user == staff
    assert created.start == today + dt.timedelta(days=3)


def test_repairing_keeps_both_pairings_in_the_trail():
    staff = StaffFactory()
    old = PairingFactory()
    new_mentor = MentorFactory()
    with acting_as(staff):
        pairing_assign(actor=staff, enrollment=old.enrollment, mentor=new_mentor)
    ended = Pairing.objects.get(pk=old.pk).history.first()
    assert ended.history_user == staff
    assert "ended_at" in {c["field"] for c in changes(ended)}
    assert ended.prev_record.ended_at is None
    new = Pairing.objects.get(enrollment=old.enrollment, ended_at__isnull=True)
    assert new.history.get().history_user == staff


def test_cohort_change_has_before_and_after():
    staff = StaffFactory()
    cohort = PairingFactory().enrollment.cohort
    with acting_as(staff):
        cohort_update(actor=staff, cohort=cohort, name="Spring 2026 (renamed)")
    record = cohort.history.first()
    assert record.history_user == staff
    (change,) = [c for c in changes(record) if c["field"] == "name"]
    assert change["new"] == "Spring 2026 (renamed)"
    assert change["old"] != change["new"]


def test_deleting_a_progress_log_leaves_its_last_state_in_the_trail():
    log = ProgressLogFactory(minutes=45, note="Backprop by hand")
    learner = log.enrollment.learner
    with acting_as(learner):
        progress_log_delete(actor=learner, log=log)
    from tracker.models import HistoricalProgressLog

    deleted = HistoricalProgressLog.objects.get(id=log.pk, history_type="-")
    assert deleted.minutes == 45
    assert deleted.note == "Backprop by hand"
    assert deleted.history_user == learner


def test_staff_read_the_trail_in_the_admin_and_nobody_edits_it(client):
    staff = StaffFactory()
    enrollment = PairingFactory().enrollment
    with acting_as(staff):
        enrollment_set_status(actor=staff, enrollment=enrollment, status="graduated")
    client.force_login(staff)
    response = client.get("/admin/tracker/historicalenrollment/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "status: active → graduated" in page
    assert staff.get_username() in page
    record = enrollment.history.first()
    assert (
        client.get(f"/admin/tracker/historicalenrollment/{record.history_id}/change/").status_code
        == 200
    )
    assert (
        client.post(
            f"/admin/tracker/historicalenrollment/{record.history_id}/delete/", {"post": "yes"}
        ).status_code
        == 403
    )
    assert enrollment.history.count() == 2


def test_non_staff_cannot_open_the_trail(client):
    enrollment = PairingFactory().enrollment
    client.force_login(enrollment.learner)
    response = client.get("/admin/tracker/historicalenrollment/")
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]
