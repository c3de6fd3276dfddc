"""``Bar.html`` (the per-row progress bars of the mentor's, cohort and learner pages) writes the
same HTML as ``web/partials/bar.html``."""

import pytest
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe

from tracker.web.charts import Bar

BARS = [
    Bar(0, None, "Progress"),
    Bar(42.25, 50, "Progress"),
    Bar(-5, 130, "Load"),
    Bar(None, None, 'Module <one> & "two"'),
    Bar(100, 0, "x"),
    Bar(66.66, 33.33, "Progress"),
]
LABELS = ["", "Progress of Ann O'Neil", 'Progress of <b>"Bo"</b> & co', mark_safe("<em>safe</em>")]


@pytest.mark.parametrize("bar", BARS)
@pytest.mark.parametrize("label", LABELS)
@pytest.mark.parametrize("thin", [False, True])
def test_bar_html_is_the_partial(bar, label, thin):
    context = {"bar": bar, "label": label}
    if thin:
        context["thin"] = True
    assert bar.html(label=label, thin=thin) == render_to_string("web/partials/bar.html", context)
