"""Each role's home on the seeded demo bootcamp, in Chromium at desktop width.

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
        if role == "staff":
            page.get_by_role("link", name=result.cohort.name).click()
            expect(page.locator("#matrix")).to_be_visible()
            learners = page.locator("#learners tbody tr").count()
            assert learners > 0
            expect(page.locator("figure.chart circle")).to_have_count(learners)
        expect(page.get_by_role("progressbar").first).to_be_visible()
        target = out / f"{role}-home.png"
        page.screenshot(path=str(target), full_page=True)
        assert target.stat().st_size > 10_000
        sign_out(page)
