import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from learners.models import Enrollment
from mentors.models import Pairing
from tests.learners.factories import SubmissionFactory
from tests.mentors.factories import MentorFactory, MentorUserFactory

pytestmark = pytest.mark.django_db


def csv_file(text: str) -> SimpleUploadedFile:
    return SimpleUploadedFile("roster.csv", text.encode(), content_type="text/csv")


def test_cohorts_list(staff_client, world):
    response = staff_client.get(reverse("staff_cohorts"))
    assert response.status_code == 200
    body = response.content.decode()
    assert reverse("cohort_detail", args=[world.cohort.pk]) in body
    assert "Spring" in body


def test_cohort_page_has_distribution_chart_risk_load_matrix_and_csv(staff_client, world):
    SubmissionFactory(enrollment=world.enrollment, assignment=world.exercise, status="approved")
    response = staff_client.get(reverse("cohort_detail", args=[world.cohort.pk]))
    assert response.status_code == 200
    body = response.content.decode()
    assert 'id="pace-table"' in body
    assert body.count("<circle") == 2  # one dot per learner on the expected-vs-actual chart
    assert 'class="diagonal"' in body
    assert 'id="at-risk"' in body
    assert "Max Mentor" in body and "1 / 8" in body
    assert 'id="matrix"' in body and "cell-approved" in body and "cell-not_started" in body
    assert f"/api/v1/cohorts/{world.cohort.pk}/progress.csv" in body
    assert 'enctype="multipart/form-data"' in body
    assert "style=" not in body and "<script>" not in body


def test_at_risk_list_gives_reasons_in_plain_words(staff_client, world):
    body = staff_client.get(reverse("cohort_detail", args=[world.cohort.pk])).content.decode()
    risk = body[body.index('id="at-risk"') : body.index('id="mentor-load"')]
    assert "Lena Learner" in risk
    assert "behind_schedule" not in risk  # codes are translated into sentences


def test_csv_export_link_works_with_the_session(staff_client, world):
    response = staff_client.get(f"/api/v1/cohorts/{world.cohort.pk}/progress.csv")
    assert response.status_code == 200
    assert "text/csv" in response["Content-Type"]


def test_roster_import_shows_each_bad_row_and_imports_nothing(staff_client, world):
    url = reverse("cohort_roster", args=[world.cohort.pk])
    text = "email,first_name,last_name\nada@example.com,Ada,Lovelace\nnot-an-email,Bad,Row\n"
    response = staff_client.post(url, {"file": csv_file(text)})
    assert response.status_code == 200
    body = response.content.decode()
    errors = body[body.index('id="roster-errors"') :]
    assert "<td>3</td>" in errors
    assert "email" in errors
    assert not Enrollment.objects.filter(learner__email="ada@example.com").exists()


def test_roster_import_fixed_file_enrolls_and_pairs(staff_client, world):
    url = reverse("cohort_roster", args=[world.cohort.pk])
    text = (
        "email,first_name,last_name,mentor_email\n"
        "ada@example.com,Ada,Lovelace,max@example.com\n"
        "alan@example.com,Alan,Turing,\n"
    )
    response = staff_client.post(url, {"file": csv_file(text)})
    assert response.status_code == 302
    assert Enrollment.objects.filter(cohort=world.cohort).count() == 4
    assert Pairing.objects.get(enrollment__learner__email="ada@example.com").mentor == world.mentor
    page = staff_client.get(response.url).content.decode()
    assert "Roster imported: 2 enrolled" in page


def test_roster_import_without_file_is_a_field_error(staff_client, world):
    response = staff_client.post(reverse("cohort_roster", args=[world.cohort.pk]), {})
    assert 'id="id_file_error"' in response.content.decode()


def test_pairing_page_ranks_suggestions_and_respects_capacity(staff_client, world):
    url = reverse("enrollment_pair", args=[world.enrollment.pk])
    expert = MentorFactory(
        user=MentorUserFactory(username="deb", first_name="Deb", last_name="Expert"),
        expertise=["python"],
        capacity=3,
    )
    page = staff_client.get(url)
    assert page.status_code == 200
    body = page.content.decode()
    assert 'id="suggestions"' in body and "Deb Expert" in body
    # Mia is full (capacity 1, one learner): not offered, and refused when forced.
    assert "Mia Mentor" not in body[body.index('id="id_mentor"') :]
    full = staff_client.post(url, {"mentor": world.other_mentor.pk})
    assert full.status_code == 200
    assert 'id="id_mentor_error"' in full.content.decode()
    assert Pairing.objects.get(enrollment=world.enrollment, ended_at__isnull=True).mentor == (
        world.mentor
    )
    response = staff_client.post(url, {"mentor": expert.pk})
    assert response.status_code == 302
    active = Pairing.objects.get(enrollment=world.enrollment, ended_at__isnull=True)
    assert active.mentor == expert
    assert Pairing.objects.filter(enrollment=world.enrollment).count() == 2  # history kept


def test_programs_and_insights(staff_client, world):
    listing = staff_client.get(reverse("staff_programs")).content.decode()
    assert reverse("program_insights", args=[world.program.pk]) in listing
    response = staff_client.get(reverse("program_insights", args=[world.program.pk]))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Python for ML" in body and "NumPy drills" in body


def test_staff_pages_are_staff_only(client, world):
    client.force_login(world.mentor.user)
    for url in (
        reverse("staff_cohorts"),
        reverse("cohort_detail", args=[world.cohort.pk]),
        reverse("enrollment_pair", args=[world.enrollment.pk]),
        reverse("program_insights", args=[world.program.pk]),
    ):
        assert client.get(url).status_code == 403


def test_unknown_cohort_is_404(staff_client, world):
    assert staff_client.get(reverse("cohort_detail", args=[99999])).status_code == 404
