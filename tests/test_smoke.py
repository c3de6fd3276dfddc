import pytest

from tests.mentors.factories import MentorSessionFactory, ReviewFactory


@pytest.mark.django_db
def test_factories_build_a_consistent_graph():
    session = MentorSessionFactory()
    assert session.enrollment_id == session.pairing.enrollment_id
    review = ReviewFactory()
    assert review.submission.version == 1


@pytest.mark.django_db
def test_healthz_reports_database(client):
    response = client.get("/healthz")
    body = response.json()
    assert body["database"]["ok"] is True
    assert "broker" in body
