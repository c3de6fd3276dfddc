"""``FastSelect`` writes the same HTML as Django's ``Select`` templates."""

import pytest
from django import forms
from django.utils.safestring import mark_safe

from tracker.web.forms import FastSelect, FinalMilestoneSelect

CHOICES = [
    ("", "---------"),
    (1, 'Module <one> & "two"'),
    ("b", mark_safe("<em>safe</em>")),
    ("Group & co", [("x", "X's"), (3, "Three")]),
    (4, "Four"),
]


@pytest.mark.parametrize(
    ("value", "attrs"),
    [
        (None, None),
        ("b", {"id": "id_f", "aria-describedby": "id_f_helptext"}),
        (["1", "x"], {"required": True, "disabled": False, "data-x": 'a"b<c>'}),
        (3, {"data-safe": mark_safe("<ok>")}),
    ],
)
def test_fast_select_renders_as_the_templates_do(value, attrs):
    fast = FastSelect(choices=CHOICES, attrs={"class": "wide"})
    slow = forms.Select(choices=CHOICES, attrs={"class": "wide"})
    assert fast.render("f<name>", value, attrs) == slow.render("f<name>", value, attrs)


def test_final_milestone_select_marks_its_option_as_before():
    fast = FinalMilestoneSelect(choices=CHOICES)
    fast.final_ids = frozenset([4])
    rendered = fast.render("assignment", 4)
    assert 'data-final-milestone="true"' in rendered
    # forms.Widget.render: the same context through Django's templates.
    assert rendered == forms.Widget.render(fast, "assignment", 4)


def test_model_choice_field_renders_as_before(world):
    from learners.models import Enrollment

    enrollments = Enrollment.objects.select_related("learner", "cohort").order_by("pk")
    fast = forms.ModelChoiceField(queryset=enrollments, widget=FastSelect)
    slow = forms.ModelChoiceField(queryset=enrollments)

    class Form(forms.Form):
        pass

    rendered = {}
    for name, field in (("fast", fast), ("slow", slow)):
        form = Form()
        form.fields["enrollment"] = field
        rendered[name] = str(form["enrollment"])
    assert enrollments.exists()
    assert rendered["fast"] == rendered["slow"]
