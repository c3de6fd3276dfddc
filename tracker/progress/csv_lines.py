"""A cohort progress report row as a line of the CSV export (``cohorts/{id}/progress.csv``).

The columns are an interface (English, fixed order). A cell a spreadsheet would run as a
formula gets a leading ``'`` (CSV injection). Each stored report row keeps its line next to its
JSON (``ProgressSnapshot.csv``), so the export joins stored text instead of parsing and writing
every row again (docs/PERFORMANCE.md, "Load held"). Imports nothing of Stride.
"""

from __future__ import annotations

import csv
from typing import Any

# Characters that make a spreadsheet read a cell as a formula (CSV injection).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")

COLUMNS = [
    "enrollment",
    "learner_id",
    "learner_username",
    "learner_name",
    "mentor_id",
    "mentor_name",
    "status",
    "percent_complete",
    "expected_percent",
    "pace",
    "risk_reasons",
    "last_activity_at",
    "overdue_count",
    "next_due_assignment",
    "next_due_title",
    "next_due_date",
    "minutes_logged_7d",
    "projected_completion",
]


def neutralise(value: Any) -> str:
    """The cell as text, with a leading ``'`` when a spreadsheet would run it as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_TRIGGERS) else text


def cells(row: dict[str, Any]) -> list[str]:
    """The cells of one report row (``snapshots.report_row``'s shape), in ``COLUMNS`` order."""
    next_due = row["next_due"] or {}
    mentor = row["mentor"] or {}
    values = [
        row["enrollment"],
        row["learner"]["id"],
        row["learner"]["username"],
        row["learner"]["name"],
        mentor.get("id"),
        mentor.get("name"),
        row["status"],
        row["percent_complete"],
        row["expected_percent"],
        row["pace"],
        ";".join(row["risk_reasons"]),
        row["last_activity_at"],
        row["overdue_count"],
        next_due.get("assignment"),
        next_due.get("title"),
        next_due.get("date"),
        row["minutes_logged_7d"],
        row["projected_completion"],
    ]
    return [neutralise(value) for value in values]


class _Echo:
    def write(self, value: str) -> str:
        return value


_writer = csv.writer(_Echo())


def line(row: dict[str, Any]) -> str:
    """The row's CSV line, ending in ``\\r\\n`` as ``csv.writer`` writes it."""
    return _writer.writerow(cells(row))


def header() -> str:
    """The first line, after a byte order mark (spreadsheets then read the file as UTF-8)."""
    return "\ufeff" + _writer.writerow(COLUMNS)
