"""What the pages show: the checklist while an enrollment is open (learner, mentor's review page,
staff), and for a graduated or withdrawn learner (an alumnus) their certificate, capstone, live
status and history, and no form that cannot succeed."""

from __future__ import annotations

import pytest
from django.urls import reverse

from learners.models import Certificate, Enrollment
from learners.services import enrollment_set_status
from tests.graduation.conftest import capstone, check

IMPOSSIBLE = (
    reverse("learner_log"),
    reverse("learner_submit"),
    reverse("learner_help"),
    "Nothing to worry about: keep going.",
    "Projected finish",
    "Not paired yet",
    "Marker:",
)


def home(client, world):
    client.force_login(world.learner)
    response = client.get(reverse("learner_home"))
    assert response.status_code == 200
    return response.content.decode()


def test_open_enrollment_shows_the_checklist_and_the_forms(client, world):
    body = home(client, world)
    assert 'id="graduation-checklist"' in body and 'data-eligible="false"' in body
    assert 'data-requirement="live_check" data-met="false"' in body
    assert reverse("learner_log") in body and reverse("learner_submit") in body


def test_graduated_home_is_not_a_to_do_list(client, world, certificate):
    body = home(client, world)
    for text in IMPOSSIBLE:
        assert text not in body, text
    assert 'id="alumni"' in body and "You graduated" in body
    assert reverse("certificate_pdf", args=[certificate.pk]) in body
    assert reverse("certificate_verify", args=[certificate.code]) in body
    assert "https://www.linkedin.com/profile/add?startTask=CERTIFICATION_NAME" in body
    assert f"certId={certificate.code}" in body
    # The capstone and its live status; the history (feedback, logs) stays.
    assert 'data-live="live"' in body and "lena-capstone.example.org" in body
    assert "Linear regression" in body and 'id="alumni-logs"' in body
    assert "Max Mentor" in body  # the last mentor, not "not paired"


def test_withdrawn_home_is_not_a_to_do_list_either(
    client, world, django_capture_on_commit_callbacks
):
    check(capstone(world, status="submitted"), ok=False, error="HTTP 502")
    with django_capture_on_commit_callbacks(execute=True):
        enrollment_set_status(actor=world.staff, enrollment=world.enrollment, status="withdrawn")
    body = home(client, world)
    for text in IMPOSSIBLE:
        assert text not in body, text
    assert "You left this program" in body and 'id="certificate"' not in body
    assert 'data-live="failing"' in body


def test_revoked_certificate_is_shown_as_revoked(client, world, certificate):
    Certificate.objects.filter(pk=certificate.pk).update(
        revoked_at=certificate.issued_at, revoke_reason="Issued in error."
    )
    body = home(client, world)
    assert 'data-valid="false"' in body and "Issued in error." in body
    assert reverse("certificate_pdf", args=[certificate.pk]) not in body


def test_mentor_review_page_shows_the_checklist(client, world):
    client.force_login(world.mentor.user)
    body = client.get(reverse("mentor_review", args=[world.submission.pk])).content.decode()
    assert 'id="graduation-checklist"' in body
    assert 'data-requirement="mentor_sessions"' in body


def staff_page(client, world):
    client.force_login(world.staff)
    response = client.get(reverse("enrollment_detail", args=[world.enrollment.pk]))
    assert response.status_code == 200
    return response.content.decode()


def test_staff_page_offers_graduation_with_a_reason_when_not_met(client, world):
    body = staff_page(client, world)
    assert 'id="graduate-form"' in body and "Graduate anyway (override)" in body
    assert 'name="override_reason"' in body


def test_staff_page_graduates_without_a_reason_when_met(client, world, eligible):
    body = staff_page(client, world)
    assert 'data-eligible="true"' in body and 'name="override_reason"' not in body
    response = client.post(
        reverse("enrollment_status", args=[world.enrollment.pk]), {"status": "graduated"}
    )
    assert response.status_code == 302
    assert Certificate.objects.filter(enrollment=world.enrollment, override_reason="").exists()


def test_staff_refusal_is_shown_in_place(client, world):
    client.force_login(world.staff)
    response = client.post(
        reverse("enrollment_status", args=[world.enrollment.pk]), {"status": "graduated"}
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert 'id="id_override_reason_error"' in body and "checklist is not met" in body
    assert 'aria-describedby="id_override_reason_error"' in body
    world.enrollment.refresh_from_db()
    assert world.enrollment.status == Enrollment.Status.ACTIVE
    assert not Certificate.objects.exists()


def test_staff_page_of_an_alumnus(client, world, certificate):
    body = staff_page(client, world)
    assert (
        "Not paired" not in body
        and reverse("enrollment_pair", args=[world.enrollment.pk]) not in body
    )
    assert "Last mentor" in body and "Max Mentor" in body
    assert 'id="graduate-form"' not in body
    assert reverse("certificate_revoke", args=[certificate.pk]) in body


def test_staff_revokes_from_the_page(client, world, certificate):
    client.force_login(world.staff)
    url = reverse("certificate_revoke", args=[certificate.pk])
    refused = client.post(url, {"reason": ""})
    assert refused.status_code == 200 and 'id="id_reason_error"' in refused.content.decode()
    response = client.post(url, {"reason": "Issued in error."})
    assert response.status_code == 302
    certificate.refresh_from_db()
    assert certificate.revoke_reason == "Issued in error." and certificate.revoked_at


@pytest.mark.parametrize("who", ["learner", "mentor"])
def test_only_staff_revoke_on_the_pages(client, world, certificate, who):
    client.force_login(world.user(who))
    url = reverse("certificate_revoke", args=[certificate.pk])
    assert client.post(url, {"reason": "No."}).status_code == 403
    certificate.refresh_from_db()
    assert certificate.revoked_at is None


def test_mentor_sees_each_learners_checklist(client, world):
    client.force_login(world.mentor.user)
    url = reverse("graduation_checklist", args=[world.enrollment.pk])
    assert url in client.get(reverse("mentor_home")).content.decode()
    body = client.get(url).content.decode()
    assert 'id="graduation-checklist"' in body and "Lena Learner" in body


@pytest.mark.parametrize("who", ["other_mentor", "learner"])
def test_the_mentor_checklist_page_is_theirs_only(client, world, who):
    client.force_login(world.user(who))
    response = client.get(reverse("graduation_checklist", args=[world.enrollment.pk]))
    assert response.status_code == (404 if who == "other_mentor" else 403)
