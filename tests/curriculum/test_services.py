import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from curriculum import services
from curriculum.models import Assignment, Cohort, Module, Program, RubricCriterion
from tests.curriculum.factories import (
    AssignmentFactory,
    CohortFactory,
    ModuleFactory,
    ProgramFactory,
    StaffFactory,
    UserFactory,
)
from tests.learners.factories import EnrollmentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff():
    return StaffFactory()


def errors_of(excinfo) -> dict:
    return excinfo.value.message_dict


def test_program_create(staff):
    program = services.program_create(
        actor=staff, name="ML Engineering", slug="ml", length_weeks=26, description="Six months"
    )
    assert Program.objects.get(pk=program.pk).length_weeks == 26


def test_program_create_refuses_non_staff():
    with pytest.raises(PermissionDenied):
        services.program_create(actor=UserFactory(), name="X", slug="x", length_weeks=4)
    assert not Program.objects.exists()


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"length_weeks": 0}, "length_weeks"),
        ({"length_weeks": 261}, "length_weeks"),
        ({"slug": "not a slug"}, "slug"),
        ({"name": ""}, "name"),
    ],
)
def test_program_create_field_errors(staff, kwargs, field):
    values = {"name": "P", "slug": "p", "length_weeks": 10, **kwargs}
    with pytest.raises(ValidationError) as excinfo:
        services.program_create(actor=staff, **values)
    assert field in errors_of(excinfo)
    assert not Program.objects.exists()


def test_program_create_duplicate_slug(staff):
    ProgramFactory(slug="ml")
    with pytest.raises(ValidationError) as excinfo:
        services.program_create(actor=staff, name="Other", slug="ml", length_weeks=10)
    assert "slug" in errors_of(excinfo)


def test_program_update_cannot_cut_the_curriculum(staff):
    program = ProgramFactory(length_weeks=26)
    ModuleFactory(program=program, start_week=20, end_week=24)
    with pytest.raises(ValidationError) as excinfo:
        services.program_update(actor=staff, program=program, length_weeks=12)
    assert "length_weeks" in errors_of(excinfo)
    program.refresh_from_db()
    assert program.length_weeks == 26
    services.program_update(actor=staff, program=program, length_weeks=24, name="Renamed")
    program.refresh_from_db()
    assert (program.length_weeks, program.name) == (24, "Renamed")


def test_module_create(staff):
    program = ProgramFactory()
    module = services.module_create(
        actor=staff,
        program=program,
        order=1,
        title="Linear regression",
        expected_hours=30,
        start_week=3,
        end_week=4,
    )
    assert list(program.modules.all()) == [module]


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"start_week": 5, "end_week": 4}, "end_week"),
        ({"end_week": 27}, "end_week"),
        ({"expected_hours": 0}, "expected_hours"),
        ({"title": ""}, "title"),
        ({"order": 1}, "order"),  # taken below
    ],
)
def test_module_create_field_errors(staff, kwargs, field):
    program = ProgramFactory(length_weeks=26)
    ModuleFactory(program=program, order=1)
    values = {
        "order": 2,
        "title": "M",
        "expected_hours": 10,
        "start_week": 1,
        "end_week": 2,
        **kwargs,
    }
    with pytest.raises(ValidationError) as excinfo:
        services.module_create(actor=staff, program=program, **values)
    assert field in errors_of(excinfo)
    assert Module.objects.count() == 1


def test_module_create_refuses_non_staff():
    with pytest.raises(PermissionDenied):
        services.module_create(
            actor=UserFactory(),
            program=ProgramFactory(),
            order=1,
            title="M",
            expected_hours=1,
            start_week=1,
            end_week=1,
        )


def test_assignment_create_with_rubric(staff):
    program = ProgramFactory()
    module = ModuleFactory(program=program)
    assignment = services.assignment_create(
        actor=staff,
        program=program,
        module=module,
        order=1,
        title="Deploy the model",
        kind="milestone",
        due_week=26,
        weight=5,
        rubric=[
            {"name": "Works", "max_score": 4, "description": "Answers requests"},
            {"name": "Tested", "max_score": 3},
        ],
    )
    criteria = list(assignment.rubric_criteria.order_by("order"))
    assert [(c.name, c.max_score, c.order) for c in criteria] == [
        ("Works", 4, 1),
        ("Tested", 3, 2),
    ]
    assert assignment.is_final_milestone


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"due_week": 30}, "due_week"),
        ({"kind": "essay"}, "kind"),
        ({"weight": 0}, "weight"),
        ({"rubric": [{"name": "A", "max_score": 0}]}, "rubric"),
        ({"rubric": [{"name": "A"}, {"name": "a"}]}, "rubric"),
        ({"rubric": [{"name": ""}]}, "rubric"),
        ({"rubric": [{"name": "A", "points": 3}]}, "rubric"),
        ({"rubric": "A,B"}, "rubric"),
        ({"rubric": ["A"]}, "rubric"),
        ({"rubric": [{"name": "A", "max_score": "4"}]}, "rubric"),
        ({"order": 1}, "order"),
    ],
)
def test_assignment_create_field_errors(staff, kwargs, field):
    program = ProgramFactory(length_weeks=26)
    AssignmentFactory(program=program, order=1)
    values = {"order": 2, "title": "T", "kind": "exercise", "due_week": 3, **kwargs}
    with pytest.raises(ValidationError) as excinfo:
        services.assignment_create(actor=staff, program=program, module=None, **values)
    assert field in errors_of(excinfo)
    assert Assignment.objects.count() == 1
    assert not RubricCriterion.objects.exists()


def test_assignment_create_refuses_module_of_another_program(staff):
    program = ProgramFactory()
    with pytest.raises(ValidationError) as excinfo:
        services.assignment_create(
            actor=staff,
            program=program,
            module=ModuleFactory(),
            order=1,
            title="T",
            kind="exercise",
            due_week=2,
        )
    assert "module" in errors_of(excinfo)


def test_cohort_create_and_update(staff):
    program = ProgramFactory()
    cohort = services.cohort_create(
        actor=staff,
        program=program,
        name="Spring",
        start_date=dt.date(2026, 3, 2),
        timezone="Europe/Berlin",
    )
    assert cohort.end_date == dt.date(2026, 3, 2) + dt.timedelta(weeks=26)
    updated = services.cohort_update(actor=staff, cohort=cohort, name="Spring 2026")
    assert updated.name == "Spring 2026"
    cohort.refresh_from_db()
    assert cohort.name == "Spring 2026"


def test_cohort_create_refuses_unknown_timezone(staff):
    with pytest.raises(ValidationError) as excinfo:
        services.cohort_create(
            actor=staff,
            program=ProgramFactory(),
            name="C",
            start_date=dt.date(2026, 1, 5),
            timezone="Mars/Olympus",
        )
    assert "timezone" in errors_of(excinfo)
    assert not Cohort.objects.exists()


def test_cohort_update_refusals(staff):
    cohort = CohortFactory()
    EnrollmentFactory(cohort=cohort)
    with pytest.raises(ValidationError) as excinfo:
        services.cohort_update(actor=staff, cohort=cohort, program=ProgramFactory())
    assert "program" in errors_of(excinfo)
    with pytest.raises(ValidationError) as excinfo:
        services.cohort_update(actor=staff, cohort=cohort, created_at=None)
    assert "created_at" in errors_of(excinfo)
    with pytest.raises(ValidationError) as excinfo:
        services.cohort_update(actor=staff, cohort=cohort, timezone="Nowhere")
    assert "timezone" in errors_of(excinfo)
    with pytest.raises(PermissionDenied):
        services.cohort_update(actor=UserFactory(), cohort=cohort, name="X")
    fresh = Cohort.objects.get(pk=cohort.pk)
    assert (fresh.program_id, fresh.timezone, fresh.name) == (
        cohort.program_id,
        "UTC",
        cohort.name,
    )


def test_curriculum_writes_are_staff_only():
    from tests.mentors.factories import MentorFactory

    program = ProgramFactory()
    for actor in (MentorFactory().user, EnrollmentFactory().learner):
        with pytest.raises(PermissionDenied):
            services.assignment_create(
                actor=actor,
                program=program,
                module=None,
                order=1,
                title="T",
                kind="exercise",
                due_week=2,
            )
        with pytest.raises(PermissionDenied):
            services.cohort_create(
                actor=actor, program=program, name="C", start_date=dt.date(2026, 1, 5)
            )
        with pytest.raises(PermissionDenied):
            services.program_update(actor=actor, program=program, name="Mine")
    assert not Assignment.objects.exists()
    assert Cohort.objects.count() == 1  # the learner's own cohort from the factory
