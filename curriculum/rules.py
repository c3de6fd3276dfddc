"""Who may read and write the curriculum and cohorts.

Scope (contract's role table): staff reach everything. A learner reads the programs (with their
modules, assignments and rubric) and cohorts they are enrolled in. A mentor reads every program,
since reviews need the whole curriculum, and the cohorts of the learners currently paired with
them. Only staff write. The apps above are reached by reverse lookups written as strings, so this
bottom layer imports nothing from them.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Exists, Q

from curriculum.kernel.access import EVERYTHING, NOTHING, AnyOf, IsStaff, Part, Rule, is_staff
from curriculum.models import Cohort, Program


def _authenticated(user: Any) -> bool:
    return bool(user and user.is_authenticated)


def active_mentor_exists(user: Any) -> Exists:
    """A subquery that is true when ``user`` has an active mentor profile."""
    return Exists(get_user_model().objects.filter(pk=user.pk, mentor_profile__is_active=True))


class CurriculumReader(Part):
    """Any active mentor, or a learner enrolled in a cohort of the row's program.

    ``program_path`` leads from the row to its program ("" when the row is the program).
    """

    def __init__(self, program_path: str = "") -> None:
        self.program_path = program_path

    def q(self, user: Any) -> Q:
        if not _authenticated(user):
            return NOTHING
        if is_staff(user):
            return EVERYTHING
        own_programs = Program.objects.filter(cohorts__enrollments__learner_id=user.pk).values("pk")
        lookup = f"{self.program_path}__in" if self.program_path else "pk__in"
        return Q(active_mentor_exists(user)) | Q(**{lookup: own_programs})

    def check(self, user: Any, obj: Any) -> bool:
        if not _authenticated(user):
            return False
        return super().check(user, obj)


class CohortMember(Part):
    """A learner enrolled in the cohort, or a mentor currently paired with one of its learners."""

    def q(self, user: Any) -> Q:
        if not _authenticated(user):
            return NOTHING
        enrolled = Cohort.objects.filter(enrollments__learner_id=user.pk).values("pk")
        mentoring = Cohort.objects.filter(
            enrollments__pairings__mentor__user_id=user.pk,
            enrollments__pairings__ended_at__isnull=True,
            enrollments__pairings__mentor__is_active=True,
        ).values("pk")
        return Q(pk__in=enrolled) | Q(pk__in=mentoring)

    def check(self, user: Any, obj: Any) -> bool:
        if not _authenticated(user):
            return False
        return super().check(user, obj)


class ProgramRule(Rule):
    read = AnyOf(IsStaff(), CurriculumReader(""))


class ModuleRule(Rule):
    read = AnyOf(IsStaff(), CurriculumReader("program"))


class AssignmentRule(Rule):
    read = AnyOf(IsStaff(), CurriculumReader("program"))


class RubricCriterionRule(Rule):
    read = AnyOf(IsStaff(), CurriculumReader("assignment__program"))


class CohortRule(Rule):
    read = AnyOf(IsStaff(), CohortMember())


PROGRAM_RULE = ProgramRule()
MODULE_RULE = ModuleRule()
ASSIGNMENT_RULE = AssignmentRule()
RUBRIC_CRITERION_RULE = RubricCriterionRule()
COHORT_RULE = CohortRule()
