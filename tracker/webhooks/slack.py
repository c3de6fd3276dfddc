"""The Slack incoming-webhook format: a readable message (``{"text": ...}`` in Slack's
``mrkdwn``) instead of the JSON event, one sentence per kind with a link to the page."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _

from . import events


def _escape(text: Any) -> str:
    # Slack's three control characters; everything else is shown as typed.
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _link(path: str, label: str) -> str:
    return f"<{settings.STRIDE_BASE_URL}{path}|{_escape(label)}>"


def _learner(data: dict[str, Any]) -> str:
    learner = (data.get("enrollment") or {}).get("learner") or {}
    return _escape(learner.get("name") or learner.get("username") or "?")


def text_of(event) -> str:
    data = event.data
    enrollment = data.get("enrollment") or {}
    learner = _learner(data)
    enrollment_link = _link(f"/enrollments/{enrollment.get('id')}/", learner)
    if event.type == events.SUBMISSION_CREATED:
        submission = data["submission"]
        return _("%(learner)s submitted *%(assignment)s* (version %(version)s): %(url)s") % {
            "learner": enrollment_link,
            "assignment": _escape(submission["assignment"]["title"]),
            "version": submission["version"],
            "url": _escape(submission["url"]),
        }
    if event.type == events.REVIEW_SAVED:
        review = data["review"]
        verdict = {
            "approved": _("approved"),
            "changes_requested": _("asked for changes on"),
        }.get(review["verdict"], _escape(review["verdict"]))
        return _("%(reviewer)s %(verdict)s *%(assignment)s* by %(learner)s") % {
            "reviewer": _escape((review.get("reviewer") or {}).get("name", "?")),
            "verdict": verdict,
            "assignment": _escape(data["submission"]["assignment"]["title"]),
            "learner": enrollment_link,
        }
    if event.type == events.PACE_CHANGED:
        reasons = ", ".join(_escape(reason) for reason in data.get("risk_reasons") or [])
        text = _("%(learner)s is now *%(new)s* (was %(old)s)") % {
            "learner": enrollment_link,
            "new": _escape(data["new_pace"]).replace("_", " "),
            "old": _escape(data["old_pace"]).replace("_", " "),
        }
        if reasons:
            text += " — " + _("reasons: %(reasons)s") % {"reasons": reasons}
        return text
    if event.type == events.HELP_REQUESTED:
        return _("%(learner)s asked for help: “%(message)s”") % {
            "learner": enrollment_link,
            "message": _escape(data["help_request"]["message"][:300]),
        }
    if event.type == events.SESSION_MISSED:
        return _("The session of %(learner)s with %(mentor)s on %(when)s was missed") % {
            "learner": enrollment_link,
            "mentor": _escape((data.get("mentor") or {}).get("name", "?")),
            "when": _escape(data["session"]["scheduled_at"]),
        }
    if event.type == events.ENROLLMENT_STATUS_CHANGED:
        return _("%(learner)s is now %(status)s in %(cohort)s") % {
            "learner": enrollment_link,
            "status": _escape(data["status"]),
            "cohort": _escape((enrollment.get("cohort") or {}).get("name", "?")),
        }
    return _escape(event.type)


def message(event) -> dict[str, Any]:
    """The body Slack's incoming webhooks take."""
    return {"text": text_of(event)}
