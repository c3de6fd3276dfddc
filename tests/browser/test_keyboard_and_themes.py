"""Keyboard alone, the themes and the matrix at phone width, in Chromium.

- The learner's log-and-submit loop and the mentor's review, done with Tab, typing, arrows,
  Space and Enter only (no clicks), each stop with a visible focus ring.
- The theme preference: forcing dark (or light) beats the device's colour scheme; the charts
  follow the theme.
- At 360 px the matrix is a focusable region that scrolls on its own while the learner
  column stays put.
"""

from __future__ import annotations

import re
import time

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from mentors.models import Review
from tests.browser.conftest import sign_in, sign_out
from tests.curriculum.factories import AssignmentFactory
from tests.world import PASSWORD

pytestmark = pytest.mark.browser

FOCUSED_IS_VISIBLE = """() => {
  const el = document.activeElement;
  const style = getComputedStyle(el);
  return style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2;
}"""


@pytest.fixture
def world_history() -> bool:
    return True


def tab_to(page, selector: str, *, limit: int = 120) -> None:
    """Press Tab until the focus is on ``selector``; every stop on the way must show focus."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        # Styles settle on the next frame.
        page.evaluate("() => new Promise(done => requestAnimationFrame(() => done()))")
        tag = page.evaluate("() => document.activeElement.tagName")
        # A date input hands its focus to its day/month/year part, which Chromium highlights
        # itself (the host then does not match :focus in this headless build).
        is_date = page.evaluate("() => document.activeElement.type === 'date'")
        if tag not in ("BODY", "HTML") and not is_date:
            assert page.evaluate(FOCUSED_IS_VISIBLE), page.evaluate(
                "() => document.activeElement.outerHTML.slice(0, 200)"
            )
        if page.evaluate("(sel) => document.activeElement.matches(sel)", selector):
            return
    raise AssertionError(f"Tab never reached {selector}")


def keyboard_sign_in(page, base: str, username: str) -> None:
    page.goto(base + "/login/")
    tab_to(page, "#id_username")
    page.keyboard.type(username)
    tab_to(page, "#id_password")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_load_state()


def test_learner_logs_and_submits_by_keyboard(guarded_page, live_server, world):
    page = guarded_page
    keyboard_sign_in(page, live_server.url, "lena")
    expect(page.get_by_role("heading", name=re.compile("My progress"))).to_be_visible()
    # The first Tab offers the skip link, which moves the focus into the page.
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.className") == "skip-link"
    page.keyboard.press("Enter")

    tab_to(page, "#id_module")
    page.keyboard.type("Python")
    tab_to(page, "#id_minutes")
    page.keyboard.type("0")
    tab_to(page, "#log-progress button[type=submit]")
    page.keyboard.press("Enter")
    # The error is announced in place and the field says where it is.
    error = page.locator("#id_minutes_error")
    expect(error).to_be_visible()
    expect(error).to_have_attribute("role", "alert")
    expect(page.locator("#id_minutes")).to_have_attribute("aria-describedby", "id_minutes_error")
    page.locator("#id_minutes").focus()  # where a reader returns to fix it (Shift+Tab works too)
    page.keyboard.press("Control+A")
    page.keyboard.type("45")
    tab_to(page, "#id_note")
    page.keyboard.type("Broadcasting, by keyboard")
    tab_to(page, "#log-progress button[type=submit]")
    page.keyboard.press("Enter")
    expect(page.locator("#log-progress")).to_contain_text("Logged 45 minutes")

    tab_to(page, "#id_assignment")
    page.keyboard.type("Capstone")
    tab_to(page, "#id_url")
    page.keyboard.type("https://github.com/lena/capstone")
    tab_to(page, "#id_deployment_url")
    page.keyboard.type("https://lena-capstone.example.org")
    tab_to(page, "form[data-submit-work] button[type=submit]")
    page.keyboard.press("Enter")
    page.wait_for_load_state()
    expect(page.locator(".messages")).to_contain_text("Submitted “Capstone demo” (version 1)")


def test_mentor_reviews_by_keyboard(guarded_page, live_server, world):
    page = guarded_page
    keyboard_sign_in(page, live_server.url, "max")
    expect(page.locator("#review-queue")).to_contain_text("NumPy drills v1")
    tab_to(page, "#review-queue a")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name=re.compile("Review: NumPy drills v1"))).to_be_visible()
    scores = [f"#id_score_{criterion.pk}" for criterion in world.criteria]
    for selector in scores:
        tab_to(page, selector)
        page.keyboard.type("1")
    tab_to(page, "#id_feedback")
    page.keyboard.type("Good start; vectorise the inner loop.")
    tab_to(page, "input[name=verdict]")
    # Arrows move between the radio buttons of a group; Space picks the focused one.
    page.keyboard.press("Space")
    verdict = page.evaluate("() => document.activeElement.value")
    tab_to(page, "form button[type=submit]")
    page.keyboard.press("Enter")
    page.wait_for_load_state()
    expect(page.locator(".messages")).to_contain_text("Review saved for Lena Learner")
    assert Review.objects.get(submission=world.submission).verdict == verdict


UNSTYLED = "rgba(0, 0, 0, 0)"


def background(page, *, timeout: float = 10.0) -> str:
    """The page's background once its stylesheet applies.

    After a form posts and redirects, the new document can be committed (so its
    ``data-theme`` is already readable) while ``stride.css`` is still loading; the
    background then reads as transparent for a moment. Wait for the load event and
    for the stylesheet, then read it.
    """
    page.wait_for_load_state("load")
    deadline = time.monotonic() + timeout
    while True:
        value = page.evaluate("() => getComputedStyle(document.documentElement).backgroundColor")
        if value != UNSTYLED or time.monotonic() > deadline:
            return value
        page.wait_for_timeout(50)


def test_theme_preference_beats_the_device_and_charts_follow(guarded_page, live_server, world):
    page = guarded_page
    base = live_server.url
    sign_in(page, base, "sam", PASSWORD)
    page.goto(base + f"/staff/cohorts/{world.cohort.pk}/")
    chart_text = "() => getComputedStyle(document.querySelector('figure.chart text')).fill"
    page.emulate_media(color_scheme="light")
    light_bg, light_chart = background(page), page.evaluate(chart_text)
    page.emulate_media(color_scheme="dark")
    dark_bg, dark_chart = background(page), page.evaluate(chart_text)
    assert light_bg != dark_bg and light_chart != dark_chart  # auto follows the device

    # Forcing dark while the device says light.
    page.goto(base + "/preferences/")
    page.emulate_media(color_scheme="light")
    page.get_by_label("Dark").check()
    page.get_by_role("button", name="Save preferences").click()
    expect(page.locator(".messages")).to_contain_text("saved")
    expect(page.locator("html")).to_have_attribute("data-theme", "dark")
    assert background(page) == dark_bg
    page.goto(base + f"/staff/cohorts/{world.cohort.pk}/")
    assert page.evaluate(chart_text) == dark_chart
    contrast = Axe().run(page, options={"runOnly": ["color-contrast"]})
    assert contrast.response["violations"] == [], contrast.generate_report()

    # Forcing light while the device says dark.
    page.goto(base + "/preferences/")
    page.emulate_media(color_scheme="dark")
    page.get_by_label("Light").check()
    page.get_by_role("button", name="Save preferences").click()
    expect(page.locator("html")).to_have_attribute("data-theme", "light")
    assert background(page) == light_bg
    contrast = Axe().run(page, options={"runOnly": ["color-contrast"]})
    assert contrast.response["violations"] == [], contrast.generate_report()
    sign_out(page)


def test_matrix_scrolls_on_its_own_with_the_learner_column_fixed(guarded_page, live_server, world):
    page = guarded_page
    for order in range(4, 16):  # a program of 15 assignments: wider than a phone
        AssignmentFactory(program=world.program, order=order, title=f"Exercise {order}")
    page.set_viewport_size({"width": 360, "height": 780})
    sign_in(page, live_server.url, "sam", PASSWORD)
    page.goto(live_server.url + f"/staff/cohorts/{world.cohort.pk}/")
    page.wait_for_load_state("load")
    region = page.get_by_role(
        "region",
        name="Learners \N{MULTIPLICATION SIGN} assignments (scrolls sideways)",
    )
    expect(region).to_have_attribute("tabindex", "0")
    assert page.evaluate(
        "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
    )
    wrap = page.locator(".matrix-wrap")
    assert wrap.evaluate("el => el.scrollWidth > el.clientWidth"), "the matrix should scroll"
    learner = page.locator("#matrix tbody th[scope=row]").first
    expect(learner).to_have_text("Lena Learner")
    before = learner.bounding_box()["x"]
    first_cell = page.locator("#matrix tbody td").first
    cell_before = first_cell.bounding_box()["x"]
    # By keyboard: focus the region and scroll it with the arrow keys.
    region.focus()
    assert page.evaluate(FOCUSED_IS_VISIBLE)
    for _ in range(8):
        page.keyboard.press("ArrowRight")
    # Polled from Python: wait_for_function evaluates a string, which the page's CSP (no
    # unsafe-eval) refuses in some Chromium builds.
    scrolled = "() => document.querySelector('.matrix-wrap').scrollLeft"
    for _ in range(50):
        if page.evaluate(scrolled) > 0:
            break
        page.wait_for_timeout(100)
    assert page.evaluate(scrolled) > 0
    assert learner.bounding_box()["x"] == pytest.approx(before, abs=1)
    assert first_cell.bounding_box()["x"] < cell_before
    # Status is in words for a screen reader, and a symbol on screen.
    cells = page.locator("#matrix tbody td")
    assert all(
        text.strip()
        for text in cells.evaluate_all("els => els.map(el => el.textContent)")
        if text is not None
    )
