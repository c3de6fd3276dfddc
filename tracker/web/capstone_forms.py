"""The form of the live-model check's page: the mentor's extra examples for a learner."""

from __future__ import annotations

import json

from django import forms
from django.utils.translation import gettext_lazy


class PredictionExamplesForm(forms.Form):
    """The mentor's extra examples for a learner's capstone, as the JSON list the API takes."""

    examples = forms.CharField(
        label=gettext_lazy("Extra examples (JSON)"),
        required=False,
        max_length=100_000,
        widget=forms.Textarea(attrs={"rows": 8, "spellcheck": "false"}),
        help_text=gettext_lazy(
            'A list like [{"name": "edge case", "request": {...}, "expect": {"pointer": '
            '"/label", "equals": 1}}], sent after the contract\'s own examples. Empty: none.'
        ),
    )

    def clean_examples(self):
        text = self.cleaned_data["examples"].strip()
        if not text:
            return []
        try:
            return json.loads(text)
        except ValueError as error:
            raise forms.ValidationError(
                gettext_lazy("This is not valid JSON: %(error)s") % {"error": error}
            ) from error
