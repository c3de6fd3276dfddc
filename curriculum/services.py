"""Writes of the curriculum: programs, modules, assignments (with rubric) and cohorts.

Every service is keyword-only, takes the acting user first, runs in one transaction, calls
``full_clean()`` and raises ``ValidationError({field: [messages]})`` on bad input (nothing is
written) or ``PermissionDenied`` when the actor's role may not make the write (only staff shape
the curriculum). ``validate_instance`` is the shared cleaning step the services above reuse.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.db import models, transaction
from django.utils.translation import gettext as _

from curriculum.kernel.access import is_staff
from curriculum.kernel.signals import progress_inputs_change
from curriculum.models import Assignment, Cohort, Module, Program, RubricCriterion

Errors = dict[str, list[str]]


def add_error(errors: Errors, field: str, message: str) -> None:
    errors.setdefault(field, []).append(message)


def _holds_nul(value: Any) -> bool:
    """Whether a string, or any key or string inside a JSON value, holds a NUL character."""
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return True
        elif isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list | tuple):
            pending.extend(item)
    return False


def validate_instance(
    instance: Any,
    errors: Errors | None = None,
    *,
    exclude: Iterable[str] | None = None,
    validate_constraints: bool = True,
) -> Errors:
    """``full_clean()`` the instance and merge its errors into ``errors`` (returned).

    Fields already in ``errors`` are not cleaned again, so one message per cause reaches the user.
    """
    errors = {} if errors is None else errors
    skip = set(exclude or ()) | (set(errors) - {NON_FIELD_ERRORS})
    # PostgreSQL refuses NUL in text and jsonb columns, even in the queries of the uniqueness
    # checks: such a field is reported and left out of the cleaning.
    for field in instance._meta.concrete_fields:
        if field.name not in skip and _holds_nul(getattr(instance, field.attname, None)):
            add_error(errors, field.name, _("Null characters are not allowed."))
            skip.add(field.name)
    try:
        instance.full_clean(exclude=skip or None, validate_constraints=validate_constraints)
    except ValidationError as error:
        for field, messages in error.message_dict.items():
            for message in messages:
                if message not in errors.get(field, []):
                    add_error(errors, field, message)
    # Django enforces a TextField's max_length only in forms; the services enforce it for all.
    for field in instance._meta.concrete_fields:
        value = getattr(instance, field.attname, None)
        if (
            isinstance(field, models.TextField)
            and field.max_length
            and field.name not in skip
            and field.name not in errors
            and isinstance(value, str)
            and len(value) > field.max_length
        ):
            add_error(
                errors,
                field.name,
                _("Ensure this value has at most %(limit)d characters (it has %(length)d).")
                % {"limit": field.max_length, "length": len(value)},
            )
    return errors


def raise_if(errors: Errors) -> None:
    if errors:
        raise ValidationError(errors)


def require_staff(actor: Any, action: str) -> None:
    if not is_staff(actor):
        raise PermissionDenied(_("Only staff may %(action)s.") % {"action": action})


def reject_unknown_fields(fields: dict[str, Any], allowed: Iterable[str]) -> None:
    unknown = sorted(set(fields) - set(allowed))
    if unknown:
        raise ValidationError({name: [_("This field cannot be changed here.")] for name in unknown})


# --- Programs ---------------------------------------------------------------------------------


@transaction.atomic
def program_create(
    *, actor: Any, name: str, slug: str, length_weeks: int, description: str = ""
) -> Program:
    require_staff(actor, _("create programs"))
    program = Program(name=name, slug=slug, length_weeks=length_weeks, description=description)
    raise_if(validate_instance(program))
    program.save()
    return program


@transaction.atomic
def program_update(*, actor: Any, program: Program, **fields: Any) -> Program:
    require_staff(actor, _("change programs"))
    reject_unknown_fields(
        fields, {"name", "slug", "length_weeks", "description", "graduation_rules"}
    )
    program = Program.objects.select_for_update(no_key=True).get(pk=program.pk)
    for name, value in fields.items():
        setattr(program, name, value)
    errors = validate_instance(program)
    if "length_weeks" not in errors and "length_weeks" in fields:
        last_week = max(
            [m.end_week for m in program.modules.all()]
            + [a.due_week for a in program.assignments.all()],
            default=0,
        )
        if program.length_weeks < last_week:
            add_error(
                errors,
                "length_weeks",
                _("The curriculum runs to week %(week)s; the program cannot be shorter.")
                % {"week": last_week},
            )
    raise_if(errors)
    program.save()
    return program


# --- Modules ----------------------------------------------------------------------------------


@transaction.atomic
def module_create(
    *,
    actor: Any,
    program: Program,
    order: int,
    title: str,
    expected_hours: int,
    start_week: int,
    end_week: int,
    description: str = "",
) -> Module:
    require_staff(actor, _("change the curriculum"))
    module = Module(
        program=program,
        order=order,
        title=title,
        expected_hours=expected_hours,
        start_week=start_week,
        end_week=end_week,
        description=description,
    )
    errors = validate_instance(module, validate_constraints=False)
    if "order" not in errors and Module.objects.filter(program=program, order=order).exists():
        add_error(
            errors,
            "order",
            _("Module %(order)s already exists in this program.") % {"order": order},
        )
    raise_if(errors)
    module.save()
    # The stored progress detail lists the program's modules (tracker.progress).
    progress_inputs_change(program_ids=[program.pk])
    return module


# --- Assignments ------------------------------------------------------------------------------


def _clean_rubric(rubric: Any, errors: Errors) -> list[RubricCriterion]:
    """Turn the rubric input (a list of {name, max_score, description}) into unsaved rows."""
    if rubric is None:
        return []
    if not isinstance(rubric, list | tuple):
        add_error(errors, "rubric", _("The rubric is a list of criteria."))
        return []
    criteria: list[RubricCriterion] = []
    seen: set[str] = set()
    for index, item in enumerate(rubric, start=1):
        if not isinstance(item, dict):
            add_error(
                errors, "rubric", _("Criterion %(index)s: expected an object.") % {"index": index}
            )
            continue
        unknown = set(item) - {"name", "max_score", "description"}
        if unknown:
            add_error(
                errors,
                "rubric",
                _("Criterion %(index)s: unknown keys %(keys)s.")
                % {"index": index, "keys": ", ".join(sorted(unknown))},
            )
            continue
        name = str(item.get("name") or "").strip()
        max_score = item.get("max_score", 4)
        if isinstance(max_score, bool) or not isinstance(max_score, int):
            add_error(
                errors,
                "rubric",
                _("Criterion %(index)s: max_score must be a whole number.") % {"index": index},
            )
            continue
        criterion = RubricCriterion(
            order=index,
            name=name,
            max_score=max_score,
            description=str(item.get("description") or ""),
        )
        criterion_errors = validate_instance(
            criterion, exclude=["assignment"], validate_constraints=False
        )
        for field, messages in criterion_errors.items():
            for message in messages:
                add_error(
                    errors,
                    "rubric",
                    _("Criterion %(index)s %(field)s: %(message)s")
                    % {"index": index, "field": field, "message": message},
                )
        if name and name.lower() in seen:
            add_error(
                errors,
                "rubric",
                _("Criterion %(index)s: the name “%(name)s” is used twice.")
                % {"index": index, "name": name},
            )
        seen.add(name.lower())
        criteria.append(criterion)
    return criteria


@transaction.atomic
def assignment_create(
    *,
    actor: Any,
    program: Program,
    module: Module | None,
    order: int,
    title: str,
    kind: str,
    due_week: int,
    weight: int = 1,
    description: str = "",
    rubric: list[dict[str, Any]] | None = None,
) -> Assignment:
    require_staff(actor, _("change the curriculum"))
    assignment = Assignment(
        program=program,
        module=module,
        order=order,
        title=title,
        kind=kind,
        due_week=due_week,
        weight=weight,
        description=description,
    )
    errors = validate_instance(assignment, validate_constraints=False)
    if "order" not in errors and Assignment.objects.filter(program=program, order=order).exists():
        add_error(
            errors,
            "order",
            _("Assignment %(order)s already exists in this program.") % {"order": order},
        )
    criteria = _clean_rubric(rubric, errors)
    raise_if(errors)
    assignment.save()
    for criterion in criteria:
        criterion.assignment = assignment
    RubricCriterion.objects.bulk_create(criteria)
    progress_inputs_change(program_ids=[program.pk])
    return assignment


@transaction.atomic
def prediction_contract_set(
    *, actor: Any, assignment: Assignment, prediction_contract: dict | None
) -> Assignment:
    """Set (or with None clear) the prediction contract of the program's final capstone
    milestone (staff): what the learners' deployed models must answer
    (``curriculum/prediction.py``)."""
    require_staff(actor, "change the curriculum")
    assignment = Assignment.objects.select_for_update(no_key=True).get(pk=assignment.pk)
    assignment.prediction_contract = prediction_contract
    raise_if(validate_instance(assignment, validate_constraints=False))
    assignment.save(update_fields=["prediction_contract"])
    return assignment


# --- Cohorts ----------------------------------------------------------------------------------


@transaction.atomic
def cohort_create(
    *, actor: Any, program: Program, name: str, start_date: dt.date, timezone: str = "UTC"
) -> Cohort:
    require_staff(actor, _("create cohorts"))
    cohort = Cohort(program=program, name=name, start_date=start_date, timezone=timezone)
    raise_if(validate_instance(cohort))
    cohort.save()
    return cohort


@transaction.atomic
def cohort_update(*, actor: Any, cohort: Cohort, **fields: Any) -> Cohort:
    require_staff(actor, _("change cohorts"))
    reject_unknown_fields(fields, {"name", "start_date", "timezone", "program"})
    locked = Cohort.objects.select_for_update(no_key=True).get(pk=cohort.pk)
    errors: Errors = {}
    if (
        "program" in fields
        and getattr(fields["program"], "pk", fields["program"]) != locked.program_id
        and locked.enrollments.exists()
    ):
        add_error(errors, "program", _("Learners are enrolled; the program cannot change."))
    for name, value in fields.items():
        setattr(locked, name, value)
    validate_instance(locked, errors)
    raise_if(errors)
    locked.save()
    progress_inputs_change(cohort_ids=[locked.pk])
    cohort.refresh_from_db()
    return locked
