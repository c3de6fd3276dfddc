"""``FastWidgetRenderer`` (the pages' form renderer) writes the same HTML as Django's templates."""

import datetime as dt

import pytest
from django import forms
from django.conf import settings
from django.forms.renderers import DjangoTemplates
from django.utils.safestring import mark_safe

from tracker.web.forms import FinalMilestoneSelect, ProgressLogForm, SubmissionForm
from tracker.web.renderers import FastWidgetRenderer

CHOICES = [
    ("", "---------"),
    (1, 'Module <one> & "two"'),
    ("b", mark_safe("<em>safe</em>")),
    ("Group & co", [("x", "X's"), (3, "Three")]),
    (4, "Four"),
    (5, 5),  # a label the template would localize: left to the template
]
ATTRS = [
    None,
    {"id": "id_f", "aria-describedby": "id_f_helptext", "class": "a&b"},
    {"required": True, "disabled": False, "data-x": 'a"b<c>'},
    {"data-safe": mark_safe("<ok>"), "rows": 3},
]
WIDGETS = [
    (forms.TextInput(), ["", "x<y>&'\"", None, mark_safe("<b>")]),
    (forms.NumberInput(attrs={"inputmode": "numeric"}), [None, 0, 12, "3"]),
    (forms.URLInput(), [None, "https://example.org/?a=1&b=<2>"]),
    (forms.EmailInput(), ["a@example.org"]),
    (forms.PasswordInput(render_value=True), ["secret&"]),
    (forms.HiddenInput(), ["v", None]),
    (forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"), [dt.date(2026, 12, 5), None]),
    (forms.DateTimeInput(format="%Y-%m-%dT%H:%M"), [dt.datetime(2026, 12, 5, 10, 30)]),
    (forms.TimeInput(), [dt.time(9, 5)]),
    (forms.Textarea(attrs={"rows": 2}), [None, "", "line 1\nline <2> & 'three'", "0"]),
    (forms.Select(choices=CHOICES[:5]), [None, "b", 3, ""]),
    (forms.Select(choices=CHOICES), [4]),
    (forms.SelectMultiple(choices=CHOICES[:5]), [["1", "x"], None]),
    (forms.ClearableFileInput(), [None]),
    (forms.CheckboxInput(), [True, False]),
    (forms.RadioSelect(choices=CHOICES[:3]), ["b"]),
]


@pytest.mark.parametrize(("widget", "values"), WIDGETS, ids=lambda w: type(w).__name__)
@pytest.mark.parametrize("attrs", ATTRS)
def test_widgets_render_as_django_templates_do(widget, values, attrs):
    fast, django = FastWidgetRenderer(), DjangoTemplates()
    for value in values:
        expected = widget.render("f<name>", value, attrs, renderer=django)
        assert widget.render("f<name>", value, attrs, renderer=fast) == expected


def test_final_milestone_option_is_marked_as_before():
    widget = FinalMilestoneSelect(choices=CHOICES[:5])
    widget.final_ids = frozenset([4])
    rendered = widget.render("assignment", 4, renderer=FastWidgetRenderer())
    assert 'data-final-milestone="true"' in rendered
    assert rendered == widget.render("assignment", 4, renderer=DjangoTemplates())


def test_pages_use_it():
    assert settings.FORM_RENDERER == "tracker.web.renderers.FastWidgetRenderer"


def test_learner_forms_render_as_before(world):
    enrollment = world.enrollment
    for form in (
        ProgressLogForm(enrollment=enrollment),
        SubmissionForm(enrollment=enrollment),
        ProgressLogForm({"minutes": "x<", "note": "<b>"}, enrollment=enrollment),
    ):
        if form.is_bound:
            form.is_valid()
        for field in form:
            fast = field.as_widget()
            form.renderer = DjangoTemplates()
            assert fast == field.as_widget()
            form.renderer = FastWidgetRenderer()
        assert 'option value="' in str(form["module" if "module" in form.fields else "assignment"])


def test_learner_forms_from_the_progress_detail_render_as_from_queries(
    world, django_assert_num_queries
):
    """The learner's home builds its dropdowns from the progress detail it read anyway."""
    from tests.curriculum.factories import AssignmentFactory
    from tracker.progress import enrollment_detail

    program = world.enrollment.cohort.program
    # A second milestone due earlier, and one due the same week with a lower order: the final
    # one stays the last by (due week, order).
    AssignmentFactory(program=program, kind="milestone", due_week=1, order=90, title="Early")
    AssignmentFactory(program=program, kind="milestone", due_week=2, order=91, title="A & <b>")
    enrollment = world.enrollment
    detail = enrollment_detail(fetched_by=world.learner, enrollment=enrollment)
    for form_class, name in ((ProgressLogForm, "module"), (SubmissionForm, "assignment")):
        queried = str(form_class(enrollment=enrollment)[name])
        with django_assert_num_queries(0):
            from_detail = str(form_class(enrollment=enrollment, detail=detail)[name])
        assert from_detail == queried
        assert from_detail.count("<option") > 2
    assert 'data-final-milestone="true"' in str(SubmissionForm(enrollment=enrollment)["assignment"])


@pytest.mark.parametrize("who", ["mentor", "staff"])
def test_the_schedule_form_from_the_dashboard_rows_renders_as_from_queries(
    world, who, django_assert_num_queries
):
    """The mentor's dashboard draws the schedule form's learners from the rows it read anyway:
    the same options, in the same order, as the form's queryset gives (a second cohort and a
    withdrawn learner included, so order and scope are both exercised)."""
    from mentors.selectors import session_enrollments
    from tests.learners.factories import EnrollmentFactory
    from tests.mentors.factories import PairingFactory
    from tracker.dashboards import mentor_dashboard
    from tracker.web.forms import SessionScheduleForm

    user = world.mentor.user if who == "mentor" else world.staff
    PairingFactory(enrollment=EnrollmentFactory(cohort=world.other_cohort), mentor=world.mentor)
    PairingFactory(
        enrollment=EnrollmentFactory(cohort=world.cohort, status="withdrawn"), mentor=world.mentor
    )
    PairingFactory(enrollment=EnrollmentFactory(cohort=world.cohort), mentor=world.mentor)
    context = mentor_dashboard(fetched_by=user)
    queried = str(
        SessionScheduleForm(enrollments=session_enrollments(fetched_by=user))["enrollment"]
    )
    with django_assert_num_queries(0):
        from_rows = str(
            SessionScheduleForm(
                enrollments=context["session_enrollments"], options=context["session_choices"]
            )["enrollment"]
        )
    assert from_rows == queried
    assert from_rows.count("<option") > 3
