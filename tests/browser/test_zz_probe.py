import pytest
from tests.browser.conftest import sign_in
from tracker.seed import seed_demo
pytestmark = pytest.mark.browser
def test_probe(guarded_page, live_server):
    r = seed_demo(learners=12, password="stride-demo")
    page = guarded_page
    page.set_viewport_size({"width": 1280, "height": 900})
    sign_in(page, live_server.url, r.staff_username, "stride-demo")
    page.goto(live_server.url + f"/staff/cohorts/{r.cohort.pk}/")
    print(page.evaluate("[document.documentElement.scrollWidth, document.body.scrollWidth, document.documentElement.clientWidth]"))
