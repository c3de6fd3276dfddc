"""``seed_demo`` shows graduation: the finished cohort's certificates (one by override, one
revoked and reissued) and a capstone cohort with a learner at every state of the checklist."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse

from learners.models import Certificate, Enrollment
from tracker.graduation import checklist_of
from tracker.seed.builder import PAST_COHORT_NAME
from tracker.seed.graduation import CAPSTONE_COHORT_NAME


def seed() -> None:
    call_command("seed_demo", "--learners", "0", "--password", "Demo-pass-15", stdout=StringIO())


@pytest.fixture
def seeded(db, clock):
    seed()


def unmet_codes(username):
    enrollment = Enrollment.objects.select_related("cohort__program").get(
        cohort__name=CAPSTONE_COHORT_NAME, learner__username=username
    )
    checklist = checklist_of(enrollment)
    return {item["code"] for item in checklist["requirements"] if not item["met"]}


def test_every_checklist_state_is_in_the_demo(seeded):
    assert unmet_codes("capstone1") == set()
    assert unmet_codes("capstone2") == {"live_check"}
    assert unmet_codes("capstone3") == {"live_check"}
    assert unmet_codes("capstone4") == {"mentor_sessions"}
    assert unmet_codes("capstone5") == {"no_open_changes"}
    assert unmet_codes("capstone6") == {"live_check"}
    assert unmet_codes("capstone7") == {"milestones_approved"}


def test_graduates_hold_certificates_that_verify(seeded, client):
    graduates = Enrollment.objects.filter(cohort__name=PAST_COHORT_NAME, status="graduated")
    valid = Certificate.objects.filter(enrollment__in=graduates, revoked_at__isnull=True)
    assert valid.count() == graduates.count() == 7
    assert Certificate.objects.filter(revoked_at__isnull=False).count() == 1
    assert Certificate.objects.exclude(override_reason="").count() == 1
    certificate = valid.exclude(deployed_url="").first()
    body = client.get(reverse("certificate_verify", args=[certificate.code])).content.decode()
    assert certificate.learner_name in body and 'data-valid="true"' in body


def test_seeding_again_adds_no_certificate(seeded):
    before = Certificate.objects.count()
    seed()
    assert Certificate.objects.count() == before
