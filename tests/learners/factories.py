"""factory_boy factories for the learners app's models (see ``tests/curriculum/factories.py``)."""

import factory
from django.utils import timezone

from learners.models import Enrollment, HelpRequest, Pause, ProgressLog, Submission
from tests.curriculum.factories import (
    AssignmentFactory,
    CohortFactory,
    ModuleFactory,
    UserFactory,
)


class LearnerFactory(UserFactory):
    username = factory.Sequence(lambda n: f"learner{n}")


class EnrollmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Enrollment

    cohort = factory.SubFactory(CohortFactory)
    learner = factory.SubFactory(LearnerFactory)
    status = Enrollment.Status.ACTIVE


class PauseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Pause

    enrollment = factory.SubFactory(EnrollmentFactory)
    start = factory.LazyFunction(lambda: timezone.now().date())
    end = factory.LazyAttribute(lambda o: o.start)


class ProgressLogFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProgressLog

    enrollment = factory.SubFactory(EnrollmentFactory)
    module = factory.SubFactory(
        ModuleFactory, program=factory.SelfAttribute("..enrollment.cohort.program")
    )
    logged_on = factory.LazyFunction(lambda: timezone.now().date())
    recorded_on = factory.LazyAttribute(lambda o: max(o.logged_on, timezone.now().date()))
    minutes = 60
    note = "Worked through the exercises."


class SubmissionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Submission

    enrollment = factory.SubFactory(EnrollmentFactory)
    assignment = factory.SubFactory(
        AssignmentFactory, program=factory.SelfAttribute("..enrollment.cohort.program")
    )
    version = 1
    url = factory.Sequence(lambda n: f"https://github.com/example/work-{n}")
    note = ""
    status = Submission.Status.SUBMITTED
    submitted_at = factory.LazyFunction(timezone.now)
    status_changed_at = factory.LazyAttribute(lambda o: o.submitted_at)


class HelpRequestFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = HelpRequest

    enrollment = factory.SubFactory(EnrollmentFactory)
    message = "I am stuck on gradient descent."
    created_at = factory.LazyFunction(timezone.now)
