"""factory_boy factories for the curriculum app's models, and the users every app needs.

One module per app (``tests/curriculum``, ``tests/learners``, ``tests/mentors``), mirroring the
apps' own layering: learners' factories import these, mentors' import both. ``tests/world.py``
builds the one world from them; tests use the factories directly only for rows the world does
not hold (a second cohort for a race, a batch of learners for a query count).
"""

import datetime as dt

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from curriculum.models import Assignment, Cohort, Module, Program, RubricCriterion


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.com")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    password = factory.django.Password("pw-Stride-2026")


class StaffFactory(UserFactory):
    username = factory.Sequence(lambda n: f"staff{n}")
    is_staff = True


class ProgramFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Program

    name = factory.Sequence(lambda n: f"Program {n}")
    slug = factory.Sequence(lambda n: f"program-{n}")
    length_weeks = 26


class ModuleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Module

    program = factory.SubFactory(ProgramFactory)
    order = factory.Sequence(lambda n: n + 1)
    title = factory.Sequence(lambda n: f"Module {n}")
    expected_hours = 20
    start_week = 1
    end_week = 2


class AssignmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Assignment

    program = factory.SubFactory(ProgramFactory)
    module = factory.SubFactory(ModuleFactory, program=factory.SelfAttribute("..program"))
    order = factory.Sequence(lambda n: n + 1)
    title = factory.Sequence(lambda n: f"Assignment {n}")
    kind = Assignment.Kind.EXERCISE
    due_week = 2
    weight = 1


class RubricCriterionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RubricCriterion

    assignment = factory.SubFactory(AssignmentFactory)
    order = factory.Sequence(lambda n: n + 1)
    name = factory.Sequence(lambda n: f"Criterion {n}")
    max_score = 4


class CohortFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Cohort

    program = factory.SubFactory(ProgramFactory)
    name = factory.Sequence(lambda n: f"Cohort {n}")
    start_date = factory.LazyFunction(lambda: timezone.now().date() - dt.timedelta(weeks=4))
    timezone = "UTC"
