"""Numbers for the server-rendered SVG charts. Templates draw; these helpers place.

Coordinates are plain strings with a dot decimal so the locale never changes an SVG attribute.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any

from django.utils.html import conditional_escape, escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

PACES = ("ahead", "on_track", "at_risk", "behind")
PACE_LABELS = {
    "ahead": _("Ahead"),
    "on_track": _("On track"),
    "at_risk": _("At risk"),
    "behind": _("Behind"),
}
RISK_REASON_TEXT = {
    "behind_schedule": _("Progress is behind where the schedule expects it today."),
    "overdue_milestone": _("A capstone milestone is past its due date and not approved."),
    "inactive": _("No progress has been logged for a while."),
    "missed_sessions": _("Recent mentor sessions were missed."),
    "stale_changes_requested": _("Requested changes have not been resubmitted for a while."),
}


def _num(value: float) -> str:
    return f"{value:.1f}"


def clamp_percent(value: float | None) -> float:
    if value is None:
        return 0.0
    return max(0.0, min(100.0, float(value)))


@dataclass(frozen=True)
class Bar:
    """A horizontal progress bar in a 0..100 viewBox with the expected position marked."""

    percent: float
    expected: float | None
    label: str

    @property
    def width(self) -> str:
        return _num(clamp_percent(self.percent))

    @property
    def expected_x(self) -> str | None:
        return None if self.expected is None else _num(clamp_percent(self.expected))

    @property
    def value_now(self) -> int:
        return round(clamp_percent(self.percent))

    @property
    def value_text(self) -> str:
        text = f"{clamp_percent(self.percent):.0f}% complete"
        if self.expected is not None:
            text += f", {clamp_percent(self.expected):.0f}% expected by today"
        return text

    def html(self, *, label: str = "", thin: bool = False) -> str:
        """The bar as ``web/partials/bar.html`` draws it (``label`` or else the bar's own, the
        ``thin`` variant), byte for byte, without a template: pages that draw a bar per row
        (the mentor's learners, the cohort page, the module table) include it hundreds of
        times. ``tests/web/test_bar_html.py`` compares the two."""
        expected_x = self.expected_x
        line = (
            ""
            if expected_x is None
            else f'<line class="bar-expected" x1="{expected_x}" x2="{expected_x}" y1="0" y2="10"'
            ' vector-effect="non-scaling-stroke"/>'
        )
        # Every value below is escaped or a number.
        return mark_safe(
            f'<div class="progress{" thin" if thin else ""}" role="progressbar"'
            f' aria-valuemin="0" aria-valuemax="100" aria-valuenow="{self.value_now}"'
            f' aria-valuetext="{escape(self.value_text)}"'
            f' aria-label="{conditional_escape(label or self.label)}">\n'
            '  <svg viewBox="0 0 100 10" preserveAspectRatio="none" aria-hidden="true"'
            ' focusable="false">\n'
            '    <rect class="bar-track" x="0" y="0" width="100" height="10" rx="2"/>\n'
            f'    <rect class="bar-fill" x="0" y="0" width="{self.width}" height="10" rx="2"/>\n'
            f"    {line}\n"
            "  </svg>\n"
            "</div>\n"
        )


def standing(progress: Any) -> dict[str, Any]:
    """How a learner's progress (a ``Progress``, or its dict) reads on a page: the pace in words,
    the risk reasons as sentences, and the bar with the expected mark."""
    field = progress.get if isinstance(progress, Mapping) else partial(getattr, progress)
    return {
        "pace_label": PACE_LABELS.get(field("pace"), field("pace")),
        "reasons": [RISK_REASON_TEXT.get(code, code) for code in field("risk_reasons")],
        "bar": Bar(field("percent_complete"), field("expected_percent"), _("Progress")),
    }


@dataclass(frozen=True)
class Point:
    x: str
    y: str
    pace: str
    title: str
    href: str = ""


@dataclass(frozen=True)
class Scatter:
    """Expected (x) against actual (y) percent, one dot per learner; the diagonal is on track."""

    width: int
    height: int
    left: int
    bottom: int
    plot_w: int
    plot_h: int
    points: list[Point]
    ticks: list[dict]

    @property
    def points_html(self) -> str:
        """The dots as SVG, what ``{% for p in chart.points %}<circle …>{% endfor %}`` wrote
        (500 learners on a cohort page: a template loop of 2,500 nodes)."""
        return mark_safe(
            "".join(
                f'<circle class="dot-{escape(p.pace)}" cx="{escape(p.x)}" cy="{escape(p.y)}" '
                f'r="5"><title>{escape(p.title)}</title></circle>'
                for p in self.points
            )
        )

    @property
    def diagonal(self) -> dict[str, str]:
        return {
            "x1": str(self.left),
            "y1": str(self.height - self.bottom),
            "x2": str(self.left + self.plot_w),
            "y2": str(self.height - self.bottom - self.plot_h),
        }


def scatter(items: Iterable[Mapping], *, width: int = 520, height: int = 320) -> Scatter:
    """``items``: mappings with ``expected``, ``actual``, ``pace``, ``title`` and ``href``."""
    left, bottom, top, right = 40, 36, 12, 12
    plot_w, plot_h = width - left - right, height - bottom - top

    def px(value: float) -> float:
        return left + clamp_percent(value) / 100 * plot_w

    def py(value: float) -> float:
        return height - bottom - clamp_percent(value) / 100 * plot_h

    points = [
        Point(
            x=_num(px(item["expected"])),
            y=_num(py(item["actual"])),
            pace=item["pace"],
            title=item["title"],
            href=item.get("href", ""),
        )
        for item in items
    ]
    ticks = [
        {
            "value": value,
            "x": _num(px(value)),
            "y": _num(py(value)),
            "x_label_y": str(height - bottom + 16),
            "y_label_x": str(left - 6),
        }
        for value in (0, 25, 50, 75, 100)
    ]
    return Scatter(width, height, left, bottom, plot_w, plot_h, points, ticks)


def pace_distribution(paces: Iterable[str], *, width: int = 320, bar_h: int = 26) -> dict:
    """Counts per pace with horizontal bar geometry (label column, then the bar)."""
    counts = dict.fromkeys(PACES, 0)
    for pace in paces:
        counts[pace] = counts.get(pace, 0) + 1
    total = sum(counts.values())
    largest = max(counts.values()) or 1
    label_w, gap = 80, 8
    rows = []
    for index, pace in enumerate(PACES):
        count = counts[pace]
        rows.append(
            {
                "pace": pace,
                "label": PACE_LABELS[pace],
                "count": count,
                "share": round(100 * count / total) if total else 0,
                "y": str(index * (bar_h + gap)),
                "text_y": str(index * (bar_h + gap) + bar_h // 2 + 4),
                "bar_w": _num((width - label_w - 40) * count / largest),
                "count_x": _num(label_w + (width - label_w - 40) * count / largest + 6),
            }
        )
    return {
        "rows": rows,
        "total": total,
        "width": width,
        "height": len(PACES) * (bar_h + gap),
        "label_w": label_w,
        "bar_h": bar_h,
    }


CELL_MARKS = {"approved": "✓", "changes_requested": "!", "submitted": "•"}
OVERDUE_MARK = "⚠"  # U+26A0: in the common fonts (an alarm clock emoji is not)
CELL_TEXT = {
    "not_started": _("not started"),
    "submitted": _("submitted"),
    "changes_requested": _("changes requested"),
    "approved": _("approved"),
}


def _heat_cell(status: str, overdue: bool, versions: int) -> str:
    """One cell of the heat map as HTML (what the template wrote per cell, written here: a
    cohort of 500 has 21,500 cells, and the template loop was most of the page's cost). The
    status is a symbol and words for screen readers, never the colour alone."""
    words = str(CELL_TEXT.get(status, status.replace("_", " ")))
    if overdue:
        words += ", " + str(_("overdue"))
    if versions:
        words += ", " + ngettext("%(count)d version", "%(count)d versions", versions) % {
            "count": versions
        }
    mark = CELL_MARKS.get(status, "") + (OVERDUE_MARK if overdue else "")
    return (
        f'<td class="cell cell-{escape(status)}{" cell-overdue" if overdue else ""}" '
        f'title="{escape(words)}"><span aria-hidden="true">{mark}</span>'
        f'<span class="visually-hidden">{escape(words)}</span></td>'
    )


def heat_map(matrix: dict) -> dict:
    """The matrix (``cohort_grid``: a row of ``(status, overdue, versions)`` per enrollment) as
    the heat map's ``assignments`` and ``body``, the table's rows as HTML (every cell of one
    kind is the same text)."""
    written: dict[tuple[str, bool, int], str] = {}
    lines = []
    for enrollment, row in zip(matrix["enrollments"], matrix["grid"], strict=True):
        parts = []
        for key in row:
            html = written.get(key)
            if html is None:
                html = written[key] = _heat_cell(*key)
            parts.append(html)
        lines.append(
            f'<tr><th scope="row">{escape(enrollment["name"])}</th>\n        {"".join(parts)}</tr>'
        )
    # Every text in it went through escape() above.
    return {"assignments": matrix["assignments"], "body": mark_safe("\n      ".join(lines))}


def uptime_latency(checks: Iterable[Any], summary: Mapping, *, slots: int = 30) -> dict:
    """The live-model check's small chart: one cell per check (passed or failed) on top, each
    check's latency as a bar below with the p50 and p95 lines, oldest left. ``checks`` carry
    ``ok``, ``latency_ms`` and ``checked_at``; ``summary`` has ``p50_ms`` and ``p95_ms``."""
    checks = list(checks)[-slots:]
    width, strip_h, gap, plot_h = 300, 12, 8, 60
    slot_w = width / slots
    latencies = [check.latency_ms for check in checks if check.latency_ms is not None]
    p50, p95 = summary.get("p50_ms"), summary.get("p95_ms")
    top = max([*latencies, p95 or 0, 1])
    plot_top = strip_h + gap

    def y_of(value: float) -> float:
        return plot_top + plot_h - plot_h * value / top

    cells = []
    for index, check in enumerate(checks):
        x = index * slot_w
        latency = check.latency_ms
        cells.append(
            {
                "x": _num(x + 0.5),
                "w": _num(max(slot_w - 1, 1)),
                "ok": check.ok,
                "title": (
                    f"{check.checked_at:%Y-%m-%d %H:%M} UTC: "
                    f"{'passed' if check.ok else 'failed'}"
                    + (f", {latency} ms" if latency is not None else "")
                ),
                "bar_y": _num(y_of(latency)) if latency is not None else None,
                "bar_h": _num(plot_top + plot_h - y_of(latency)) if latency is not None else None,
            }
        )
    lines = [
        {"name": name, "value": value, "y": _num(y_of(value)), "text_y": _num(y_of(value) - 2)}
        for name, value in (("p50", p50), ("p95", p95))
        if value is not None
    ]
    return {
        "width": width,
        "height": plot_top + plot_h + 2,
        "strip_h": strip_h,
        "plot_top": plot_top,
        "baseline": plot_top + plot_h,
        "cells": cells,
        "lines": lines,
    }
