"""Invitations are outbox notifications: written in the caller's transaction, one per person and
cohort, emailed by the delivery after the commit with a set-your-password link made at sending."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.test import Client

from tests.curriculum.factories import CohortFactory, StaffFactory
from tests.learners.factories import LearnerFactory
from tracker.models import Notification
from tracker.notifications.delivery import deliver
from tracker.notifications.invitations import invitation_create, invitations_create

pytestmark = pytest.mark.django_db


def test_an_invitation_is_a_notification_emailed_once_after_the_commit(
    django_capture_on_commit_callbacks,
):
    staff, cohort = StaffFactory(), CohortFactory(name="Spring ML")
    learner = LearnerFactory(username="grace", email="grace@example.com")
    learner.set_unusable_password()
    learner.save()
    with django_capture_on_commit_callbacks(execute=True):
        invitation = invitation_create(user=learner, cohort=cohort, invited_by=staff)
    assert invitation.kind == Notification.Kind.INVITATION
    assert invitation.recipient == learner
    assert invitation.dedupe_key == f"invitation:{learner.pk}:{cohort.pk}"
    assert "Spring ML" in invitation.subject
    assert mail.outbox == []

    assert deliver(invitation.pk) == "sent"
    assert deliver(invitation.pk) == "sent"  # a second delivery task finds it sent
    assert len(mail.outbox) == 1
    email = mail.outbox[0]
    assert email.to == ["grace@example.com"]
    assert "Spring ML" in email.subject and "grace" in email.body
    link = next(word for word in email.body.split() if "/reset/" in word)
    assert link not in Notification.objects.get(pk=invitation.pk).body
    html = email.alternatives[0][0]
    assert link in html
    page = Client().get(urlsplit(link).path, follow=True)
    assert page.status_code == 200
    assert page.context["validlink"]


def test_one_invitation_per_person_and_cohort():
    staff, cohort, other = StaffFactory(), CohortFactory(), CohortFactory()
    ada, bob = LearnerFactory(), LearnerFactory()
    first = invitation_create(user=ada, cohort=cohort, invited_by=staff)
    again = invitations_create(users=[ada, bob, bob], cohort=cohort, invited_by=staff)
    assert [row.recipient for row in again] == [ada, bob]
    assert again[0].pk == first.pk
    invitation_create(user=ada, cohort=other, invited_by=staff)
    assert Notification.objects.filter(kind=Notification.Kind.INVITATION).count() == 3


def test_a_rolled_back_caller_leaves_no_invitation(django_capture_on_commit_callbacks):
    staff, cohort, learner = StaffFactory(), CohortFactory(), LearnerFactory()
    with django_capture_on_commit_callbacks(execute=True) as callbacks, transaction.atomic():
        invitation_create(user=learner, cohort=cohort, invited_by=staff)
        transaction.set_rollback(True)
    assert callbacks == []
    assert not Notification.objects.filter(kind=Notification.Kind.INVITATION).exists()


def test_only_staff_invite():
    learner = LearnerFactory()
    with pytest.raises(PermissionDenied):
        invitation_create(user=LearnerFactory(), cohort=CohortFactory(), invited_by=learner)
    assert not Notification.objects.exists()
