"""Mentor suggestions for an enrollment: who has a free seat and fits best.

``mentor_suggestions`` ranks them: four queries whatever the number of mentors (enrollment,
pauses, modules, mentors with their active-pairing counts); the ranking is plain Python.
``pairing_choices`` is what the staff pairing page offers. The "free seat" rule is
``with_free_seat``. A feature room: imports the lower apps, the kernel and ``tracker.progress``.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.db.models import Count, F, Q, QuerySet
from django.utils.translation import gettext

from curriculum.kernel import clock
from curriculum.models import Module
from learners.models import Enrollment
from mentors.models import Mentor, Pairing
from mentors.selectors import mentor_list, pairing_list
from tracker.progress.engine import zone
from tracker.progress.fetch import fetch_pauses
from tracker.progress.schedule import schedule_day

# Score out of 100: expertise up to 50, time-zone overlap up to 30, free capacity up to 20.
EXPERTISE_POINTS_PER_MODULE = 10
EXPERTISE_MODULE_CAP = 3
CURRENT_MODULE_POINTS = 20
TIMEZONE_POINTS = 30
LOAD_POINTS = 20

_WORD = re.compile(r"[a-z0-9+#]+")


def _words(text: str) -> set[str]:
    return set(_WORD.findall(text.lower()))


def tag_matches(tag: str, title: str) -> bool:
    """A tag matches a module title when it appears in it as a phrase or all its words do
    ("nlp" in "NLP and information retrieval", "neural networks" in "Deep learning and neural
    networks")."""
    tag_words = _words(tag)
    if not tag_words:
        return False
    return tag.strip().lower() in title.lower() or tag_words <= _words(title)


def hours_apart(zone_a: str, zone_b: str, at: dt.datetime) -> float:
    """The distance between two zones' UTC offsets at ``at``, around the clock (0-12 hours)."""
    offset_a = at.astimezone(zone(zone_a)).utcoffset() or dt.timedelta()
    offset_b = at.astimezone(zone(zone_b)).utcoffset() or dt.timedelta()
    hours = abs((offset_a - offset_b).total_seconds()) / 3600
    return min(hours, 24 - hours)


def _current_module(
    modules: list[tuple[int, str, int, int]], week: int
) -> tuple[int, str, int, int] | None:
    for module in modules:
        if module[2] <= week <= module[3]:
            return module
    return None


def with_free_seat(mentors: QuerySet[Mentor]) -> QuerySet[Mentor]:
    """Active mentors with fewer active learners than their capacity (``mentors`` carries the
    ``active_learners`` annotation)."""
    return mentors.filter(is_active=True, active_learners__lt=F("capacity"))


def mentor_suggestions(*, enrollment: Enrollment) -> list[dict[str, Any]]:
    """Active mentors with a free seat (capacity minus active pairings above zero), other than
    the enrollment's current mentor, best first.

    Each item: ``{mentor, name, score, free_seats, active_learners, capacity, reasons}``. The
    score adds expertise (tags matching the program's module titles, more for the module the
    learner is in now), time-zone overlap with the cohort, and spare capacity.
    """
    info = (
        Enrollment.objects.filter(pk=enrollment.pk)
        .values("cohort__start_date", "cohort__timezone", "cohort__program_id")
        .get()
    )
    cohort_tz = info["cohort__timezone"]
    pauses = fetch_pauses([enrollment.pk]).get(enrollment.pk, ())
    modules = list(
        Module.objects.filter(program_id=info["cohort__program_id"])
        .order_by("order")
        .values_list("id", "title", "start_week", "end_week")
    )
    now = clock.now()
    today = clock.today(cohort_tz)
    position = schedule_day(info["cohort__start_date"], today, pauses)
    current = _current_module(modules, max(1, position // 7 + 1))

    current_mentor = Pairing.objects.filter(
        enrollment_id=enrollment.pk, ended_at__isnull=True
    ).values("mentor_id")
    mentors = (
        with_free_seat(
            Mentor.objects.filter(user__is_active=True)
            .exclude(pk__in=current_mentor)
            .annotate(active_learners=Count("pairings", filter=Q(pairings__ended_at__isnull=True)))
        )
        .order_by()
        .values(
            "pk",
            "capacity",
            "expertise",
            "timezone",
            "active_learners",
            "user__username",
            "user__first_name",
            "user__last_name",
        )
    )

    suggestions = []
    for mentor in mentors:
        tags = [str(tag) for tag in (mentor["expertise"] or []) if str(tag).strip()]
        matched = [
            (module, [tag for tag in tags if tag_matches(tag, module[1])]) for module in modules
        ]
        matched = [(module, found) for module, found in matched if found]
        reasons = []
        score = 0.0
        if current is not None and any(module[0] == current[0] for module, _ in matched):
            score += CURRENT_MODULE_POINTS
            reasons.append(
                gettext("Knows the learner's current module “%(module)s”") % {"module": current[1]}
            )
        if matched:
            score += EXPERTISE_POINTS_PER_MODULE * min(len(matched), EXPERTISE_MODULE_CAP)
            titles = ", ".join(f"“{module[1]}”" for module, _ in matched[:3])
            if len(matched) > 3:
                reason = gettext(
                    "Expertise matches %(count)d module(s): %(titles)s and %(more)d more"
                )
            else:
                reason = gettext("Expertise matches %(count)d module(s): %(titles)s")
            reasons.append(
                reason % {"count": len(matched), "titles": titles, "more": len(matched) - 3}
            )
        apart = hours_apart(mentor["timezone"], cohort_tz, now)
        score += TIMEZONE_POINTS * max(0.0, 1 - apart / 12)
        if apart == 0:
            reasons.append(gettext("Same time zone offset as the cohort"))
        else:
            reasons.append(
                gettext("%(hours)s h from the cohort's time zone") % {"hours": f"{apart:g}"}
            )
        capacity = mentor["capacity"]
        free_seats = capacity - mentor["active_learners"]
        score += LOAD_POINTS * free_seats / capacity
        reasons.append(
            gettext("%(free)d of %(capacity)d seats free")
            % {"free": free_seats, "capacity": capacity}
        )
        name = f"{mentor['user__first_name']} {mentor['user__last_name']}".strip()
        suggestions.append(
            {
                "mentor": mentor["pk"],
                "name": name or mentor["user__username"],
                "score": round(score, 1),
                "free_seats": free_seats,
                "active_learners": mentor["active_learners"],
                "capacity": capacity,
                "reasons": reasons,
            }
        )
    suggestions.sort(key=lambda s: (-s["score"], s["active_learners"], s["name"], s["mentor"]))
    return suggestions


def pairing_choices(*, fetched_by: Any, enrollment: Enrollment) -> dict[str, Any]:
    """What the pairing page offers for ``enrollment``: its ``current`` active pairing (or
    None), the ranked ``suggestions`` and every ``mentors`` with a free seat in the caller's
    scope (the service refuses a full one anyway: seats can fill meanwhile)."""
    return {
        "current": pairing_list(fetched_by=fetched_by, active_only=True)
        .filter(enrollment=enrollment)
        .first(),
        "suggestions": mentor_suggestions(enrollment=enrollment),
        "mentors": with_free_seat(mentor_list(fetched_by=fetched_by)),
    }
