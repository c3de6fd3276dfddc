"""The cohort page's rows written in Python (``tracker.web.tables``, ``Scatter.points_html``)
are the HTML of the template loops they replaced, in English and Spanish, for rows with and
without a mentor, every status, and names that need escaping."""

import datetime as dt

import pytest
from django.template import Context, Template
from django.utils import timezone, translation

from learners.models import Enrollment, Submission
from tests.learners.factories import SubmissionFactory
from tracker.web.charts import scatter, standing
from tracker.web.tables import cohort_at_risk_rows, cohort_learner_rows, reviews_waiting_items

# The loop body of templates/web/cohort_detail.html before the rows were written in Python.
ROW_TEMPLATE = Template(
    "{% load i18n %}{% for row in listed %}"
    '<tr><th scope="row"><a href="{% url \'enrollment_detail\' row.enrollment.pk %}">'
    "{{ row.name }}</a></th><td>{{ row.enrollment.get_status_display }}</td>"
    '<td><span class="badge pace-{{ row.progress.pace }}">{{ row.pace_label }}</span></td>\n'
    "        <td>{{ row.bar_html }}</td>\n"
    "        <td>{% if row.mentor %}{{ row.mentor }} · {% endif %}"
    "<a href=\"{% url 'enrollment_pair' row.enrollment.pk %}\">"
    '{% if row.mentor %}{% translate "Re-pair" %}{% else %}{% translate "Pair" %}{% endif %}'
    '<span class="visually-hidden"> {{ row.name }}</span></a></td></tr>'
    "|{% endfor %}"
)
AT_RISK_TEMPLATE = Template(
    "{% load i18n %}{% for row in at_risk %}"
    '<tr><th scope="row">{{ row.name }}</th><td><span class="badge pace-{{ row.progress.pace }}">'
    "{{ row.pace_label }}</span></td>\n"
    '        <td><ul class="reasons small">{% for r in row.reasons %}<li>{{ r }}</li>'
    '{% empty %}<li>{% translate "Behind the expected pace." %}</li>{% endfor %}</ul></td>\n'
    "        <td>{% blocktranslate with done=row.progress.percent_complete|floatformat:0 "
    "expected=row.progress.expected_percent|floatformat:0 %}{{ done }}% / {{ expected }}% "
    "expected{% endblocktranslate %}</td>\n"
    "        <td>{% if row.mentor %}{{ row.mentor }}{% else %}"
    '<a href="{% url \'enrollment_pair\' row.enrollment.pk %}">{% translate "Pair" %}'
    '<span class="visually-hidden"> {{ row.name }}</span></a>{% endif %}</td></tr>'
    "|{% endfor %}"
)
REVIEWS_TEMPLATE = Template(
    "{% load i18n %}{% for submission in reviews_waiting %}"
    "<li><a href=\"{% url 'mentor_review' submission.pk %}\">{{ submission.assignment }} "
    "v{{ submission.version }}</a> · {{ submission.enrollment.learner.get_full_name|default:"
    'submission.enrollment.learner.get_username }} · <span class="muted">{% blocktranslate '
    "with wait=submission.submitted_at|timesince %}waiting {{ wait }}{% endblocktranslate %}"
    "</span></li>{% endfor %}"
)
POINTS_TEMPLATE = Template(
    '{% for p in chart.points %}<circle class="dot-{{ p.pace }}" cx="{{ p.x }}" '
    'cy="{{ p.y }}" r="5"><title>{{ p.title }}</title></circle>{% endfor %}'
)
NAMES = ["Lena Learner", 'Ann <b>"O\'Neil"</b> & co', "Zoë Ünal"]


class Progress:
    def __init__(self, pace, done, expected, reasons=()):
        self.pace, self.percent_complete, self.expected_percent = pace, done, expected
        self.risk_reasons = list(reasons)


def rows_of(world):
    max_user = world.mentor.user
    max_user.first_name, max_user.last_name = "Max <i>", "& Mentor"
    rows = []
    for index, status in enumerate(Enrollment.Status.values):
        enrollment = Enrollment(pk=world.enrollment.pk + index, status=status)
        progress = Progress(
            ["ahead", "on_track", "behind", "at_risk"][index % 4],
            12.5 * index + 0.49,
            40.5,
            ["idle", "overdue"][: index % 3],
        )
        row = {
            "enrollment": enrollment,
            "name": NAMES[index % len(NAMES)],
            "progress": progress,
            "mentor": world.mentor if index % 2 else None,
        }
        row.update(standing(progress))
        row["bar_html"] = row["bar"].html(label=f"Progress of {row['name']}", thin=True)
        rows.append(row)
    return rows


@pytest.mark.parametrize("language", ["en", "es"])
def test_the_learner_rows_are_the_template_s(world, language):
    rows = rows_of(world)
    with translation.override(language):
        expected = ROW_TEMPLATE.render(Context({"listed": rows})).split("|")[:-1]
        written = cohort_learner_rows(rows)
    assert len(written) == len(rows) >= 4
    assert written == expected


@pytest.mark.parametrize("language", ["en", "es"])
def test_the_at_risk_rows_are_the_template_s(world, language):
    rows = rows_of(world)
    assert any(not row["reasons"] for row in rows) and any(row["reasons"] for row in rows)
    with translation.override(language):
        expected = AT_RISK_TEMPLATE.render(Context({"at_risk": rows})).split("|")[:-1]
        written = cohort_at_risk_rows(rows)
    assert len(written) == len(rows)
    assert written == expected


@pytest.mark.parametrize("language", ["en", "es"])
def test_the_reviews_waiting_are_the_template_s(world, language):
    world.outsider.first_name, world.outsider.last_name = "", ""  # no full name: the username
    for days, (enrollment, assignment) in enumerate(
        [(world.enrollment, world.exercise), (world.other_enrollment, world.project)]
    ):
        SubmissionFactory(
            enrollment=enrollment,
            assignment=assignment,
            submitted_at=timezone.now() - dt.timedelta(days=days, hours=3, minutes=days * 7),
        )
    waiting = list(
        Submission.objects.select_related("enrollment__learner", "assignment").order_by("pk")
    )
    assert len(waiting) == 2
    waiting[0].enrollment.learner.first_name = 'Ann <b>"O\'Neil"</b>'
    extra = Submission(
        pk=waiting[-1].pk + 1,
        enrollment=world.enrollment,
        assignment=world.project,
        version=3,
        submitted_at=waiting[0].submitted_at,
    )
    extra.enrollment.learner = world.outsider
    submissions = [*waiting, extra]
    with translation.override(language):
        expected = REVIEWS_TEMPLATE.render(Context({"reviews_waiting": submissions}))
        written = reviews_waiting_items(submissions)
    assert written.count("<li>") == len(submissions)
    assert written == expected


def test_the_scatter_s_dots_are_the_template_s():
    chart = scatter(
        {"expected": 10.0 * i, "actual": 7.5 * i, "pace": pace, "title": title}
        for i, (pace, title) in enumerate(
            [("ahead", "Lena: 10% done"), ("at_risk", 'Ann <b>"O\'Neil"</b> & co'), ("x", "")]
        )
    )
    assert chart.points_html == POINTS_TEMPLATE.render(Context({"chart": chart}))
    assert chart.points_html.count("<circle") == 3
