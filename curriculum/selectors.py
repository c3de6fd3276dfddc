"""Reads of the curriculum, scoped to the caller by the rules in ``curriculum/rules.py``."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, QuerySet

from curriculum.models import Assignment, Cohort, Module, Program, RubricCriterion
from curriculum.rules import (
    ASSIGNMENT_RULE,
    COHORT_RULE,
    MODULE_RULE,
    PROGRAM_RULE,
    RUBRIC_CRITERION_RULE,
)


def program_list(*, fetched_by: Any) -> QuerySet[Program]:
    """Programs in scope, with modules and assignments (and their rubric) prefetched."""
    return Program.objects.filter(PROGRAM_RULE.readable_by(fetched_by)).prefetch_related(
        Prefetch("modules", queryset=Module.objects.order_by("order")),
        Prefetch(
            "assignments",
            queryset=Assignment.objects.select_related("module").prefetch_related(
                "rubric_criteria"
            ),
        ),
    )


def module_list(*, fetched_by: Any) -> QuerySet[Module]:
    return (
        Module.objects.filter(MODULE_RULE.readable_by(fetched_by))
        .select_related("program")
        .order_by("program_id", "order")
    )


def assignment_list(*, fetched_by: Any) -> QuerySet[Assignment]:
    return (
        Assignment.objects.filter(ASSIGNMENT_RULE.readable_by(fetched_by))
        .select_related("program", "module")
        .prefetch_related("rubric_criteria")
    )


def rubric_criterion_list(*, fetched_by: Any) -> QuerySet[RubricCriterion]:
    return RubricCriterion.objects.filter(
        RUBRIC_CRITERION_RULE.readable_by(fetched_by)
    ).select_related("assignment")


def cohort_list(*, fetched_by: Any) -> QuerySet[Cohort]:
    return Cohort.objects.filter(COHORT_RULE.readable_by(fetched_by)).select_related("program")
