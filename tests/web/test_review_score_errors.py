"""A score error goes on the field of the criterion it names, whatever the criteria's ids: the
message "… between 0 and 3" names no criterion 3 (found by the accessibility test, where the
rubric's ids were 3 and 4 and the Clarity error landed on Correctness)."""

from __future__ import annotations

from types import SimpleNamespace

from django.core.exceptions import ValidationError

from tracker.web.forms import ReviewForm
from tracker.web.views.mentor import _apply_review_errors

CRITERIA = [
    SimpleNamespace(pk=3, name="Correctness", max_score=4, description=""),
    SimpleNamespace(pk=4, name="Clarity", max_score=3, description=""),
]


def bound_form() -> ReviewForm:
    form = ReviewForm(
        {"verdict": "approved", "feedback": "Nice.", "score_3": "1", "score_4": "9"},
        criteria=CRITERIA,
    )
    assert form.is_valid()
    return form


def test_the_error_goes_on_the_named_criterion_not_on_a_number_in_the_message():
    form = bound_form()
    message = "The score for “Clarity” must be between 0 and 3."
    _apply_review_errors(form, ValidationError({"scores": [message]}))
    assert form.errors == {"score_4": [message]}


def test_an_error_naming_the_criterion_by_id_goes_on_its_field():
    form = bound_form()
    _apply_review_errors(form, ValidationError({"scores": ["Unknown criterion 4 (max 30)."]}))
    assert list(form.errors) == ["score_4"]


def test_an_error_naming_no_criterion_is_a_form_error():
    form = bound_form()
    _apply_review_errors(form, ValidationError({"scores": ["Scores must be whole numbers."]}))
    assert list(form.errors) == ["__all__"]
