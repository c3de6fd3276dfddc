"""Staff manage one enrollment: pause it (dates, reason), graduate, withdraw (after a
confirmation step) or reactivate it, and answer its help requests; from the enrollment page,
reached from the cohort page."""

import datetime as dt

import pytest
from django.urls import reverse

from learners.models import Enrollment, HelpRequest, Pause
from tests.learners.factories import HelpRequestFactory, PauseFactory

pytestmark = pytest.mark.django_db


def detail_url(world) -> str:
    return reverse("enrollment_detail", args=[world.enrollment.pk])


def test_cohort_page_links_each_learner_to_their_enrollment_page(staff_client, world):
    body = staff_client.get(reverse("cohort_detail", args=[world.cohort.pk])).content.decode()
    assert detail_url(world) in body
    assert reverse("enrollment_detail", args=[world.other_enrollment.pk]) in body


def test_enrollment_page_shows_status_pause_form_and_actions(staff_client, world):
    response = staff_client.get(detail_url(world))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Lena Learner" in body and 'data-status="active"' in body
    assert 'role="progressbar"' in body
    assert 'name="start"' in body and 'name="end"' in body and 'name="reason"' in body
    assert 'value="graduated"' in body and 'value="withdrawn"' in body
    assert "<script>" not in body and "style=" not in body


def test_pause_from_today_marks_the_enrollment_paused(staff_client, world, today):
    end = today + dt.timedelta(days=13)
    response = staff_client.post(
        reverse("enrollment_pause", args=[world.enrollment.pk]),
        {"start": today.isoformat(), "end": end.isoformat(), "reason": "Surgery"},
    )
    assert response.status_code == 302 and response["Location"] == detail_url(world)
    world.enrollment.refresh_from_db()
    assert world.enrollment.status == Enrollment.Status.PAUSED
    assert world.enrollment.paused_days == 14
    body = staff_client.get(response["Location"]).content.decode()
    assert "paused from" in body and "(14 days)" in body
    assert "Surgery" in body


def test_pause_ending_before_it_starts_shows_error_in_place_and_keeps_input(
    staff_client, world, today
):
    start = today + dt.timedelta(days=5)
    response = staff_client.post(
        reverse("enrollment_pause", args=[world.enrollment.pk]),
        {"start": start.isoformat(), "end": today.isoformat(), "reason": "Family"},
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert 'id="id_end_error"' in body and "cannot end before it starts" in body
    assert f'value="{start.isoformat()}"' in body and 'value="Family"' in body
    assert not Pause.objects.exists()


def test_overlapping_pause_is_refused_in_place(staff_client, world, today):
    PauseFactory(
        enrollment=world.enrollment,
        start=today + dt.timedelta(days=10),
        end=today + dt.timedelta(days=20),
    )
    response = staff_client.post(
        reverse("enrollment_pause", args=[world.enrollment.pk]),
        {
            "start": (today + dt.timedelta(days=15)).isoformat(),
            "end": (today + dt.timedelta(days=25)).isoformat(),
            "reason": "Travel",
        },
    )
    body = response.content.decode()
    assert 'id="id_start_error"' in body and "overlaps" in body
    assert 'value="Travel"' in body
    assert Pause.objects.count() == 1


def test_pause_with_missing_dates_shows_required_errors(staff_client, world):
    response = staff_client.post(
        reverse("enrollment_pause", args=[world.enrollment.pk]), {"reason": "?"}
    )
    body = response.content.decode()
    assert 'id="id_start_error"' in body and 'id="id_end_error"' in body


def test_graduate(staff_client, world):
    response = staff_client.post(
        reverse("enrollment_status", args=[world.enrollment.pk]),
        # Lena's checklist is not met: graduating her takes a reason (issue 15).
        {"status": "graduated", "override_reason": "Finished early by agreement."},
    )
    assert response.status_code == 302
    world.enrollment.refresh_from_db()
    assert world.enrollment.status == Enrollment.Status.GRADUATED
    body = staff_client.get(response["Location"]).content.decode()
    assert "Lena Learner has graduated." in body
    assert "Reactivate" in body and 'value="graduated"' not in body


def test_withdraw_asks_for_confirmation_first(staff_client, world):
    url = reverse("enrollment_status", args=[world.enrollment.pk])
    cohort_url = reverse("cohort_detail", args=[world.cohort.pk])
    response = staff_client.post(url, {"status": "withdrawn", "next": cohort_url})
    assert response.status_code == 200
    body = response.content.decode()
    assert "Withdraw Lena Learner from" in body
    assert 'name="confirm" value="on"' in body
    assert f'name="next" value="{cohort_url}"' in body
    world.enrollment.refresh_from_db()
    assert world.enrollment.status == Enrollment.Status.ACTIVE

    response = staff_client.post(url, {"status": "withdrawn", "confirm": "on", "next": cohort_url})
    assert response.status_code == 302 and response["Location"] == cohort_url
    world.enrollment.refresh_from_db()
    assert world.enrollment.status == Enrollment.Status.WITHDRAWN
    # The cohort page lists the withdrawn learner apart, with a way back to reactivate.
    body = staff_client.get(cohort_url).content.decode()
    assert 'id="withdrawn"' in body and detail_url(world) in body


def test_next_off_site_is_ignored(staff_client, world):
    response = staff_client.post(
        reverse("enrollment_status", args=[world.enrollment.pk]),
        {"status": "graduated", "override_reason": "Agreed.", "next": "https://evil.example/"},
    )
    assert response["Location"] == detail_url(world)


def test_reactivate_a_withdrawn_enrollment(staff_client, world):
    Enrollment.objects.filter(pk=world.enrollment.pk).update(status="withdrawn")
    response = staff_client.post(
        reverse("enrollment_status", args=[world.enrollment.pk]), {"status": "active"}
    )
    assert response.status_code == 302
    world.enrollment.refresh_from_db()
    assert world.enrollment.status == Enrollment.Status.ACTIVE


def test_reactivate_a_paused_enrollment_ends_its_pause(staff_client, world, today):
    PauseFactory(enrollment=world.enrollment, start=today, end=today + dt.timedelta(days=9))
    Enrollment.objects.filter(pk=world.enrollment.pk).update(status="paused")
    body = staff_client.get(detail_url(world)).content.decode()
    assert "End the pause and reactivate" in body
    staff_client.post(
        reverse("enrollment_status", args=[world.enrollment.pk]), {"status": "active"}
    )
    world.enrollment.refresh_from_db()
    assert world.enrollment.status == Enrollment.Status.ACTIVE


def test_bad_status_shows_error_in_place(staff_client, world):
    response = staff_client.post(
        reverse("enrollment_status", args=[world.enrollment.pk]), {"status": "paused"}
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert 'id="id_status_error"' in body
    world.enrollment.refresh_from_db()
    assert world.enrollment.status == Enrollment.Status.ACTIVE


def test_closed_enrollment_cannot_be_paused(staff_client, world, today):
    Enrollment.objects.filter(pk=world.enrollment.pk).update(status="graduated")
    body = staff_client.get(detail_url(world)).content.decode()
    assert "cannot be paused" in body and 'name="start"' not in body
    response = staff_client.post(
        reverse("enrollment_pause", args=[world.enrollment.pk]),
        {"start": today.isoformat(), "end": today.isoformat(), "reason": "kept"},
    )
    body = response.content.decode()
    assert "The enrollment is graduated." in body
    assert not Pause.objects.exists()


@pytest.mark.parametrize("who", ["learner", "mentor"])
def test_non_staff_get_403(client, world, today, who):
    user = world.learner if who == "learner" else world.mentor.user
    client.force_login(user)
    pk = world.enrollment.pk
    assert client.get(reverse("enrollment_detail", args=[pk])).status_code == 403
    pause = client.post(
        reverse("enrollment_pause", args=[pk]),
        {"start": today.isoformat(), "end": today.isoformat()},
    )
    assert pause.status_code == 403
    status = client.post(
        reverse("enrollment_status", args=[pk]), {"status": "withdrawn", "confirm": "on"}
    )
    assert status.status_code == 403
    world.enrollment.refresh_from_db()
    assert world.enrollment.status == Enrollment.Status.ACTIVE
    assert not Pause.objects.exists()


def test_unknown_enrollment_is_404(staff_client):
    assert staff_client.get(reverse("enrollment_detail", args=[999999])).status_code == 404


def test_staff_answers_a_help_request_from_the_enrollment_page(staff_client, world):
    request = HelpRequestFactory(enrollment=world.enrollment, message="Stuck on shapes")
    body = staff_client.get(detail_url(world)).content.decode()
    assert "Stuck on shapes" in body
    assert reverse("help_answer", args=[request.pk]) in body
    response = staff_client.post(
        reverse("help_answer", args=[request.pk]),
        {"answer": "Use reshape(-1, 1).", "next": detail_url(world)},
    )
    assert response.status_code == 302 and response["Location"] == detail_url(world)
    request.refresh_from_db()
    assert request.answered_by == world.staff and request.answer == "Use reshape(-1, 1)."
    body = staff_client.get(detail_url(world)).content.decode()
    assert "Help request marked answered." in body and "Use reshape(-1, 1)." in body


def test_cohort_page_lists_open_help_requests_with_answer_forms(staff_client, world):
    request = HelpRequestFactory(enrollment=world.other_enrollment, message="Docker won't build")
    cohort_url = reverse("cohort_detail", args=[world.cohort.pk])
    body = staff_client.get(cohort_url).content.decode()
    assert "Docker won" in body and reverse("help_answer", args=[request.pk]) in body
    staff_client.post(reverse("help_answer", args=[request.pk]), {"next": cohort_url})
    assert HelpRequest.objects.get(pk=request.pk).answered_at is not None
