"""Each role's home (and the staff cohort page) on the seeded demo bootcamp, in Chromium at
desktop width, in the light and the dark theme.

The test proves the homes render real demo data cleanly (no console errors, no foreign
requests, the progress bars present). It saves one PNG per home into a temporary folder, or
into ``STRIDE_SCREENSHOT_DIR`` when set: ``make screenshots`` points it at docs/screenshots.
"""

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import sign_in, sign_out
from tracker.seed import seed_demo

pytestmark = pytest.mark.browser

DEMO_PASSWORD = "stride-demo"


def test_home_pages_on_demo_data(guarded_page, live_server, tmp_path):
    result = seed_demo(learners=12, password=DEMO_PASSWORD)
    out = Path(os.environ.get("STRIDE_SCREENSHOT_DIR") or tmp_path)
    out.mkdir(parents=True, exist_ok=True)
    page = guarded_page
    page.set_viewport_size({"width": 1280, "height": 900})
    homes = [
        ("learner", result.learner_usernames[0], r"/learner/$"),
        ("mentor", result.mentor_usernames[0], r"/mentor/$"),
        ("staff", result.staff_username, r"localhost:\d+/$"),
    ]
    for role, username, path in homes:
        sign_in(page, live_server.url, username, DEMO_PASSWORD)
        expect(page).to_have_url(re.compile(path))
        shots = [(f"{role}-home", None)]
        if role == "staff":
            expect(page.locator("#staff-home tbody tr")).not_to_have_count(0)
            shots.append(("staff-cohort", result.cohort.name))
        for name, cohort in shots:
            if cohort:
                page.get_by_role("link", name=cohort, exact=True).first.click()
                expect(page.locator("#matrix")).to_be_visible()
                learners = page.locator("#learners tbody tr").count()
                assert learners > 0
                expect(page.locator("figure.chart circle")).to_have_count(learners)
            if role != "staff" or cohort:
                expect(page.get_by_role("progressbar").first).to_be_visible()
            # Both themes: the device's colour scheme decides under the default preference.
            for theme, suffix in (("light", ""), ("dark", "-dark")):
                page.emulate_media(color_scheme=theme)
                target = out / f"{name}{suffix}.png"
                page.screenshot(path=str(target), full_page=True)
                assert target.stat().st_size > 10_000
            page.emulate_media(color_scheme="light")
        sign_out(page)
