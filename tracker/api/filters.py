"""The API's list filters: foreign keys by id, status words, and a few flags.

Ids use a strict integer field (``?cohort=abc`` is a 400, not an empty list) and flags are
``true``/``false`` choices, so a malformed filter never silently widens a list. Every filter
is declared, so the sets name no model: the view's queryset decides what is filtered.
"""

from __future__ import annotations

import re

from django import forms
from django.utils.translation import gettext
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema_field

from curriculum.models import Assignment
from learners.models import Enrollment, Submission
from mentors.models import MentorSession, Review
from tracker.models import Notification

BOOLEAN_CHOICES = [("true", "true"), ("false", "false")]


ID_MAX = 2**63 - 1


class IdField(forms.IntegerField):
    """A row id: digits only (no ``1.0``, no ``+1``), within a database integer."""

    def __init__(self, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", ID_MAX)
        super().__init__(**kwargs)

    def to_python(self, value):
        if value not in self.empty_values and not re.fullmatch(r"[0-9]{1,19}", str(value)):
            raise forms.ValidationError(gettext("Enter an id (a whole number)."), code="invalid")
        return super().to_python(value)


@extend_schema_field({"type": "integer", "minimum": 1, "maximum": ID_MAX})
class IdFilter(filters.Filter):
    field_class = IdField


class StrictFilterSet(filters.FilterSet):
    """A parameter given with no value (``?status=``) is a mistake, not "no filter"."""

    def is_valid(self):
        valid = super().is_valid()
        for name in self.filters:
            if name in self.data and self.data.get(name) in ("", None):
                self.form.add_error(name, gettext("Give a value, or leave the parameter out."))
                valid = False
        return valid


class FlagFilter(filters.ChoiceFilter):
    """``true`` or ``false``; filters ``field__isnull`` the other way round when ``negate``."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("choices", BOOLEAN_CHOICES)
        super().__init__(*args, **kwargs)

    def filter(self, qs, value):
        if value in ("", None):
            return qs
        return qs.filter(**{self.field_name: value == "true"})


class ProgramFilter(StrictFilterSet):
    slug = filters.CharFilter()


class ModuleFilter(StrictFilterSet):
    program = IdFilter(field_name="program_id")


class AssignmentFilter(StrictFilterSet):
    program = IdFilter(field_name="program_id")
    module = IdFilter(field_name="module_id")
    kind = filters.ChoiceFilter(choices=Assignment.Kind.choices)


class CohortFilter(StrictFilterSet):
    program = IdFilter(field_name="program_id")


class EnrollmentFilter(StrictFilterSet):
    cohort = IdFilter(field_name="cohort_id")
    learner = IdFilter(field_name="learner_id")
    status = filters.ChoiceFilter(choices=Enrollment.Status.choices)


class MentorFilter(StrictFilterSet):
    is_active = FlagFilter(field_name="is_active")


class PairingFilter(StrictFilterSet):
    enrollment = IdFilter(field_name="enrollment_id")
    mentor = IdFilter(field_name="mentor_id")
    cohort = IdFilter(field_name="enrollment__cohort_id")
    active = FlagFilter(field_name="ended_at__isnull")


class ProgressLogFilter(StrictFilterSet):
    enrollment = IdFilter(field_name="enrollment_id")
    module = IdFilter(field_name="module_id")
    cohort = IdFilter(field_name="enrollment__cohort_id")
    logged_after = filters.DateFilter(field_name="logged_on", lookup_expr="gte")
    logged_before = filters.DateFilter(field_name="logged_on", lookup_expr="lte")


class SubmissionFilter(StrictFilterSet):
    enrollment = IdFilter(field_name="enrollment_id")
    assignment = IdFilter(field_name="assignment_id")
    cohort = IdFilter(field_name="enrollment__cohort_id")
    status = filters.ChoiceFilter(choices=Submission.Status.choices)


class HelpRequestFilter(StrictFilterSet):
    enrollment = IdFilter(field_name="enrollment_id")
    cohort = IdFilter(field_name="enrollment__cohort_id")
    open = FlagFilter(field_name="answered_at__isnull")


class ReviewFilter(StrictFilterSet):
    submission = IdFilter(field_name="submission_id")
    enrollment = IdFilter(field_name="submission__enrollment_id")
    verdict = filters.ChoiceFilter(choices=Review.Verdict.choices)


class ReviewQueueFilter(StrictFilterSet):
    cohort = IdFilter(field_name="enrollment__cohort_id")
    enrollment = IdFilter(field_name="enrollment_id")
    assignment = IdFilter(field_name="assignment_id")


class SessionFilter(StrictFilterSet):
    enrollment = IdFilter(field_name="enrollment_id")
    cohort = IdFilter(field_name="enrollment__cohort_id")
    mentor = IdFilter(field_name="pairing__mentor_id")
    status = filters.ChoiceFilter(choices=MentorSession.Status.choices)
    scheduled_after = filters.IsoDateTimeFilter(field_name="scheduled_at", lookup_expr="gte")
    scheduled_before = filters.IsoDateTimeFilter(field_name="scheduled_at", lookup_expr="lte")


class NotificationFilter(StrictFilterSet):
    kind = filters.ChoiceFilter(choices=Notification.Kind.choices)
    unread = FlagFilter(field_name="read_at__isnull")


class CohortProgressFilter(StrictFilterSet):
    """Filters of ``cohorts/{id}/progress/``: ``pace`` is applied to computed progress."""

    pace = filters.ChoiceFilter(
        choices=[(p, p) for p in ("ahead", "on_track", "at_risk", "behind")],
        method="keep_all",
    )
    status = filters.ChoiceFilter(choices=Enrollment.Status.choices)

    def keep_all(self, queryset, name, value):
        # Pace is not a column: the view filters the computed rows after the engine runs.
        return queryset
