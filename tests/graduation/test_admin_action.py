"""The admin's "Graduate" action keeps to the checklist and issues the certificate, like the API
and the staff page (it used to set the status alone)."""

from __future__ import annotations

import pytest
from django.test import Client

from learners.models import Certificate, Enrollment

pytestmark = pytest.mark.django_db


def graduate_in_admin(world, *enrollments):
    # The admin asks for model permissions: Sam is made a superuser for it.
    world.staff.is_superuser = True
    world.staff.save(update_fields=["is_superuser"])
    client = Client()
    client.force_login(world.staff)
    return client.post(
        "/admin/learners/enrollment/",
        {"action": "graduate", "_selected_action": [e.pk for e in enrollments]},
        follow=True,
    )


def test_an_unmet_checklist_is_refused_with_its_reason(world):
    answer = graduate_in_admin(world, world.enrollment)
    assert answer.status_code == 200
    text = answer.content.decode()
    assert "checklist is not met" in text
    assert Enrollment.objects.get(pk=world.enrollment.pk).status == "active"
    assert not Certificate.objects.filter(enrollment=world.enrollment).exists()


def test_a_met_checklist_graduates_and_issues_the_certificate(
    world, eligible, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        answer = graduate_in_admin(world, world.enrollment)
    assert "1 graduated." in answer.content.decode()
    assert Enrollment.objects.get(pk=world.enrollment.pk).status == "graduated"
    assert Certificate.objects.filter(enrollment=world.enrollment, revoked_at=None).count() == 1
