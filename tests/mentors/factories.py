"""factory_boy factories for the mentors app's models (see ``tests/curriculum/factories.py``)."""

import datetime as dt

import factory
from django.utils import timezone

from mentors.models import Mentor, MentorSession, Pairing, Review
from tests.curriculum.factories import UserFactory
from tests.learners.factories import EnrollmentFactory, SubmissionFactory


class MentorUserFactory(UserFactory):
    username = factory.Sequence(lambda n: f"mentor{n}")


class MentorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Mentor

    user = factory.SubFactory(MentorUserFactory)
    capacity = 8
    expertise = factory.LazyFunction(lambda: ["python", "statistics"])
    timezone = "UTC"


class PairingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Pairing

    enrollment = factory.SubFactory(EnrollmentFactory)
    mentor = factory.SubFactory(MentorFactory)
    started_at = factory.LazyFunction(timezone.now)


class MentorSessionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MentorSession

    pairing = factory.SubFactory(PairingFactory)
    enrollment = factory.SelfAttribute("pairing.enrollment")
    scheduled_at = factory.LazyFunction(lambda: timezone.now() + dt.timedelta(days=2))
    duration_minutes = 30
    status = MentorSession.Status.SCHEDULED


class ReviewFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Review

    submission = factory.SubFactory(SubmissionFactory)
    reviewer = factory.SubFactory(MentorUserFactory)
    verdict = Review.Verdict.APPROVED
    feedback = "Clear, well-tested work."
    scores = factory.LazyFunction(dict)
    created_at = factory.LazyFunction(timezone.now)
