"""The weekly call in a real browser: Lena books a slot of Max's week (in her own zone), Max
sees it, Lena moves it, Max marks it completed after the call, and Lena rates it."""

import re

import pytest
from playwright.sync_api import expect

from mentors.models import MentorSession, SessionRating
from tests.browser.conftest import sign_in, sign_out
from tests.mentors.operations import max_with_thursdays, utc
from tests.world import PASSWORD

pytestmark = pytest.mark.browser


def test_book_move_complete_and_rate(guarded_page, live_server, world, clock):
    page = guarded_page
    base = live_server.url
    max_with_thursdays(world)  # Thursdays 10:00 and 11:00 in Madrid

    sign_in(page, base, "lena", PASSWORD)
    page.get_by_role("link", name="Sessions").click()
    expect(page.get_by_role("heading", name=re.compile("Book your weekly call"))).to_be_visible()
    expect(page.locator("#book")).to_contain_text("https://meet.example.com/max")
    page.locator("#book-form").get_by_label("Open slot").select_option(
        label="Thu 12 Mar 2026, 10:00"
    )
    page.get_by_role("button", name="Book this slot").click()
    expect(page.locator(".messages")).to_contain_text("Session booked: Thu 12 Mar 2026, 10:00")
    session = MentorSession.objects.get(enrollment=world.enrollment)
    expect(page.locator(f"#session-{session.pk}")).to_contain_text("Join the call")
    sign_out(page)

    sign_in(page, base, "max", PASSWORD)
    page.get_by_role("link", name="Sessions").click()
    expect(page.locator(f"#session-{session.pk}")).to_contain_text("Lena Learner")
    expect(page.locator(f"#session-{session.pk}")).to_contain_text("Thu 12 Mar 2026, 10:00")
    sign_out(page)

    sign_in(page, base, "lena", PASSWORD)
    page.get_by_role("link", name="Sessions").click()
    row = page.locator(f"#session-{session.pk}")
    row.get_by_label("Open slot").select_option(label="Thu 19 Mar 2026, 10:00")
    row.get_by_role("button", name="Move").click()
    expect(page.locator(".messages")).to_contain_text("Session moved")
    expect(page.locator(f"#session-{session.pk}")).to_contain_text("Thu 19 Mar 2026, 10:00")
    session.refresh_from_db()
    assert session.scheduled_at == utc(2026, 3, 19, 9) and session.sequence == 1
    sign_out(page)

    # After the call.
    clock.move_to(utc(2026, 3, 19, 10))
    sign_in(page, base, "max", PASSWORD)
    item = page.locator(f"#session-{session.pk}")
    item.get_by_label("Outcome").select_option("completed")
    item.get_by_label("Notes").fill("Reviewed the feature pipeline")
    item.get_by_role("button", name="Log outcome").click()
    expect(page.locator(".messages")).to_contain_text("Session marked completed")
    sign_out(page)

    sign_in(page, base, "lena", PASSWORD)
    page.get_by_role("link", name="Sessions").click()
    rate = page.locator(f"#rate-{session.pk}")
    rate.get_by_label("4").check()
    rate.get_by_label("Comment (optional)").fill("Clear next steps")
    rate.get_by_role("button", name="Rate session").click()
    expect(page.locator(".messages")).to_contain_text("Thank you for rating")
    expect(page.locator(f"#session-{session.pk}")).to_contain_text("Rated")
    rating = SessionRating.objects.get(session=session)
    assert (rating.score, rating.comment) == (4, "Clear next steps")
