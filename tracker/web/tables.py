"""Long lists of a page written in Python: the staff cohort page's "All learners" and "At
risk" rows and its "Reviews waiting" items (one per learner or waiting submission: 479, 208 and
417 at the reference bootcamp's size). Each is the HTML of the template loop it replaced
(``tests/web/test_tables_html.py`` compares both, in English and Spanish), without the
``{% url %}`` tags, translations and lookups that the template did per row."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.template.defaultfilters import floatformat
from django.template.defaultfilters import timesince_filter as timesince
from django.urls import reverse
from django.utils.html import conditional_escape, escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext

_SENTINEL = 987654321


def _address(name: str):
    """``reverse(name, args=[pk])`` for many pks: reversed once, the pk put in by text."""
    before, after = reverse(name, args=[_SENTINEL]).split(str(_SENTINEL))
    return lambda pk: f"{escape(before)}{pk}{escape(after)}"


def _pair_link(address: str, word: str, name: str) -> str:
    """The "Pair" / "Re-pair" link of a learner's row, the learner named for screen readers."""
    return f'<a href="{address}">{word}<span class="visually-hidden"> {name}</span></a>'


def cohort_learner_rows(rows: Iterable[Mapping[str, Any]]) -> list[str]:
    """Each row's ``<tr>`` of the cohort page's learner table. A row has ``enrollment``,
    ``name``, ``progress`` (its ``pace``), ``pace_label``, ``bar_html`` and ``mentor`` (or
    None)."""
    detail, pair = _address("enrollment_detail"), _address("enrollment_pair")
    re_pair, pair_word = escape(gettext("Re-pair")), escape(gettext("Pair"))
    status_of: dict[str, str] = {}
    lines = []
    for row in rows:
        enrollment, mentor = row["enrollment"], row.get("mentor")
        pk = int(enrollment.pk)
        name = conditional_escape(row["name"])
        status = status_of.get(enrollment.status)
        if status is None:
            status = status_of[enrollment.status] = conditional_escape(
                enrollment.get_status_display()
            )
        who = f"{conditional_escape(mentor)} · " if mentor else ""
        lines.append(
            f'<tr><th scope="row"><a href="{detail(pk)}">{name}</a></th><td>{status}</td>'
            f'<td><span class="badge pace-{conditional_escape(row["progress"].pace)}">'
            f"{conditional_escape(row['pace_label'])}</span></td>\n"
            f"        <td>{conditional_escape(row['bar_html'])}</td>\n"
            f"        <td>{who}{_pair_link(pair(pk), re_pair if mentor else pair_word, name)}"
            "</td></tr>"
        )
    return [mark_safe(line) for line in lines]


def cohort_at_risk_rows(rows: Iterable[Mapping[str, Any]]) -> list[str]:
    """Each row's ``<tr>`` of the cohort page's "At risk" table (the same rows as the learner
    table, with ``reasons``)."""
    pair = _address("enrollment_pair")
    pair_word = escape(gettext("Pair"))
    behind = "<li>{}</li>".format(escape(gettext("Behind the expected pace.")))
    expected_text = gettext("%(done)s%% / %(expected)s%% expected")
    lines = []
    for row in rows:
        progress, mentor = row["progress"], row.get("mentor")
        name = conditional_escape(row["name"])
        reasons = "".join(f"<li>{conditional_escape(r)}</li>" for r in row["reasons"]) or behind
        done = conditional_escape(floatformat(progress.percent_complete, 0))
        expected = conditional_escape(floatformat(progress.expected_percent, 0))
        who = (
            conditional_escape(mentor)
            if mentor
            else _pair_link(pair(int(row["enrollment"].pk)), pair_word, name)
        )
        lines.append(
            f'<tr><th scope="row">{name}</th><td><span class="badge '
            f'pace-{conditional_escape(progress.pace)}">'
            f"{conditional_escape(row['pace_label'])}</span></td>\n"
            f'        <td><ul class="reasons small">{reasons}</ul></td>\n'
            f"        <td>{expected_text % {'done': done, 'expected': expected}}</td>\n"
            f"        <td>{who}</td></tr>"
        )
    return [mark_safe(line) for line in lines]


def reviews_waiting_items(submissions: Iterable[Any]) -> str:
    """The cohort page's "Reviews waiting" list items: each submission (with its
    ``assignment`` and ``enrollment__learner``) linked to its review page, who sent it and for
    how long it has waited."""
    review = _address("mentor_review")
    waiting = gettext("waiting %(wait)s")
    items = []
    for submission in submissions:
        learner = submission.enrollment.learner
        who = conditional_escape(learner.get_full_name() or learner.get_username())
        wait = conditional_escape(timesince(submission.submitted_at))
        items.append(
            f'<li><a href="{review(int(submission.pk))}">'
            f"{conditional_escape(submission.assignment)} v{submission.version}</a> · {who} · "
            f'<span class="muted">{waiting % {"wait": wait}}</span></li>'
        )
    return mark_safe("".join(items))
