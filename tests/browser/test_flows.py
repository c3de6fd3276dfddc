"""The whole loop in a real browser: learner logs and submits, mentor reviews with a rubric,
learner sees feedback and the bar move, staff imports a roster (bad row first)."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import sign_in, sign_out
from tests.world import PASSWORD

pytestmark = pytest.mark.browser


def progress_value(page) -> int:
    bar = page.get_by_role("progressbar", name="Overall progress")
    return int(bar.get_attribute("aria-valuenow"))


def test_learner_mentor_loop(guarded_page, live_server, world):
    page = guarded_page
    base = live_server.url

    sign_in(page, base, "lena", PASSWORD)
    expect(page).to_have_url(re.compile(r"/learner/$"))
    expect(page.get_by_role("heading", name=re.compile("My progress"))).to_be_visible()
    before = progress_value(page)

    # Log progress: 0 minutes is refused in place (htmx swap), then a real entry is kept.
    log = page.locator("#log-progress")
    log.get_by_label("Module").select_option(label="Python for ML")
    log.get_by_label("Minutes").fill("0")
    log.get_by_label("What did you work on?").fill("Vectorised the loops")
    log.get_by_role("button", name="Log progress").click()
    expect(page.locator("#id_minutes_error")).to_be_visible()
    expect(page.get_by_label("What did you work on?")).to_have_value("Vectorised the loops")
    page.get_by_label("Minutes").fill("45")
    page.get_by_role("button", name="Log progress").click()
    expect(page.locator("#log-progress")).to_contain_text("Logged 45 minutes")
    expect(page.locator("#recent-logs")).to_contain_text("45 min")
    # The summary follows out of band, without a reload.
    expect(page.locator("#progress-summary")).to_contain_text("45 min logged in the last 7 days")

    # Edit the log within the window: an error stays in place with what was typed, then it saves.
    page.locator("#recent-logs").get_by_role("link", name=re.compile("^Edit")).click()
    edit = page.locator("#log-edit")
    expect(edit.get_by_label("Minutes")).to_have_value("45")
    expect(page).to_have_url(re.compile(r"/learner/$"))  # swapped in by htmx, no navigation
    edit.get_by_label("Minutes").fill("2000")
    edit.get_by_label("What did you work on?").fill("Vectorised the loops, then broadcasting")
    edit.get_by_role("button", name="Save changes").click()
    expect(page.locator("#id_edit-minutes_error")).to_be_visible()
    edit = page.locator("#log-edit")
    expect(edit.get_by_label("What did you work on?")).to_have_value(
        "Vectorised the loops, then broadcasting"
    )
    edit.get_by_label("Minutes").fill("60")
    edit.get_by_role("button", name="Save changes").click()
    expect(page.locator("#log-progress")).to_contain_text("Log changed: 60 minutes")
    expect(page.locator("#log-edit")).to_have_count(0)
    expect(page.locator("#recent-logs")).to_contain_text("60 min")
    expect(page.locator("#progress-summary")).to_contain_text("60 min logged in the last 7 days")
    expect(page.locator("#module-progress")).to_contain_text("60 min")
    expect(page).to_have_url(re.compile(r"/learner/$"))

    # Submit work; the deployment field appears only for the final milestone.
    deployment = page.get_by_label("Deployment URL")
    page.get_by_label("Assignment").select_option(label="Capstone demo")
    expect(deployment).to_be_visible()
    page.get_by_label("Assignment").select_option(label="NumPy drills")
    expect(deployment).to_be_hidden()
    page.get_by_label("Link to your work").fill("https://github.com/lena/numpy-drills")
    page.get_by_label("Note for your mentor").fill("First go")
    page.get_by_role("button", name="Submit", exact=True).click()
    expect(page.locator(".messages")).to_contain_text("Submitted “NumPy drills” (version 1)")
    sign_out(page)

    # The mentor reviews it with the rubric.
    sign_in(page, base, "max", PASSWORD)
    expect(page).to_have_url(re.compile(r"/mentor/$"))
    queue = page.locator("#review-queue")
    expect(queue).to_contain_text("NumPy drills v1")
    queue.get_by_role("link", name="NumPy drills v1").click()
    expect(page.get_by_role("heading", name=re.compile("Review: NumPy drills v1"))).to_be_visible()
    page.get_by_label("Correctness (0 to 4)").fill("4")
    page.get_by_label("Clarity (0 to 3)").fill("9")
    page.get_by_label("Feedback").fill("Clean and vectorised.")
    page.get_by_label("Approved").check()
    page.get_by_role("button", name="Save review").click()
    expect(page.locator(".has-error")).to_contain_text("between 0 and 3")
    expect(page.get_by_label("Feedback")).to_have_value("Clean and vectorised.")
    page.get_by_label("Clarity (0 to 3)").fill("3")
    page.get_by_role("button", name="Save review").click()
    expect(page.locator(".messages")).to_contain_text("Review saved for Lena Learner")
    expect(page.locator("#review-queue")).to_have_count(0)
    sign_out(page)

    # The learner sees the feedback with scores, and the bar has moved.
    sign_in(page, base, "lena", PASSWORD)
    feedback = page.locator("#feedback")
    expect(feedback).to_contain_text("Clean and vectorised.")
    expect(feedback).to_contain_text("Correctness")
    expect(feedback).to_contain_text("4 / 4")
    assert progress_value(page) > before


def test_staff_roster_import_bad_row_then_fixed(guarded_page, live_server, world, tmp_path):
    page = guarded_page
    sign_in(page, live_server.url, "sam", PASSWORD)
    expect(page).to_have_url(re.compile(r"localhost:\d+/$"))
    page.get_by_role("link", name="Spring").click()
    expect(page.get_by_role("heading", name=re.compile("Spring"))).to_be_visible()
    expect(page.locator("#matrix")).to_be_visible()

    bad = tmp_path / "roster.csv"
    bad.write_text(
        "email,first_name,last_name,mentor_email\n"
        "ada@example.com,Ada,Lovelace,max@example.com\n"
        "grace-at-example.com,Grace,Hopper,\n"
    )
    page.get_by_label("Roster CSV").set_input_files(str(bad))
    page.get_by_role("button", name="Import").click()
    errors = page.locator("#roster-errors")
    expect(errors).to_be_visible()
    expect(errors.locator("tbody tr")).to_have_count(1)
    expect(errors.locator("tbody tr td").first).to_have_text("3")
    expect(page.locator("#id_file_error")).to_contain_text("Nothing was imported")

    fixed = tmp_path / "roster-fixed.csv"
    fixed.write_text(bad.read_text().replace("grace-at-example.com", "grace@example.com"))
    page.get_by_label("Roster CSV").set_input_files(str(fixed))
    page.get_by_role("button", name="Import").click()
    expect(page.locator(".messages")).to_contain_text("Roster imported: 2 enrolled")
    expect(page.locator("#learners")).to_contain_text("Grace Hopper")
    expect(page.locator("#learners")).to_contain_text("Ada Lovelace")


def test_staff_pauses_then_withdraws_with_confirmation(guarded_page, live_server, world):
    page = guarded_page
    sign_in(page, live_server.url, "sam", PASSWORD)
    page.get_by_role("link", name="Spring").click()
    page.locator("#learners").get_by_role("link", name="Lena Learner", exact=True).click()
    expect(page.get_by_role("heading", name=re.compile("Lena Learner"))).to_be_visible()

    pause = page.locator("#pause")
    pause.get_by_label("First paused day").fill("2030-03-10")
    pause.get_by_label("Last paused day").fill("2030-03-01")
    pause.get_by_label("Reason").fill("Surgery")
    pause.get_by_role("button", name="Add pause").click()
    expect(page.locator("#id_end_error")).to_contain_text("cannot end before it starts")
    expect(page.locator("#pause").get_by_label("Reason")).to_have_value("Surgery")
    page.locator("#pause").get_by_label("Last paused day").fill("2030-03-23")
    page.locator("#pause").get_by_role("button", name="Add pause").click()
    expect(page.locator(".messages")).to_contain_text("(14 days)")
    expect(page.locator("#pauses")).to_contain_text("Surgery")

    page.get_by_role("button", name="Withdraw…").click()
    expect(page.get_by_role("heading", name=re.compile("Withdraw Lena Learner"))).to_be_visible()
    page.get_by_role("button", name="Yes, withdraw Lena Learner").click()
    expect(page.locator(".messages")).to_contain_text("Lena Learner is withdrawn.")
    expect(page.locator("#enrollment-status")).to_have_text("Withdrawn")
    page.get_by_role("button", name="Reactivate").click()
    expect(page.locator("#enrollment-status")).to_have_text("Active")


def test_pages_fit_a_phone(guarded_page, live_server, world):
    page = guarded_page
    page.set_viewport_size({"width": 375, "height": 740})
    for username, path in (("lena", "/learner/"), ("max", "/mentor/"), ("sam", "/")):
        sign_in(page, live_server.url, username, PASSWORD)
        expect(page).to_have_url(re.compile(path + "$"))
        page.wait_for_load_state("load")  # styled, as below
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, f"{path} scrolls sideways by {overflow}px"
        # Keyboard: the first Tab lands on the skip link.
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.className") == "skip-link"
        if username == "sam":
            page.get_by_role("link", name="Spring").click()
            expect(page.locator("#matrix")).to_be_visible()
            # Measured once the stylesheet has loaded, as a reader sees the page (before it the
            # DOM can be "visible" while the layout is still unstyled).
            page.wait_for_load_state("load")
            overflow = page.evaluate(
                "document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            assert overflow <= 0, f"the cohort page scrolls sideways by {overflow}px"
        sign_out(page)


def test_the_api_docs_render_and_try_a_call_under_the_csp(guarded_page, live_server, world):
    """Swagger UI (served from the sidecar package, its init script a separate file) renders
    the whole contract in Chromium under the strict CSP and can run a call with the session."""
    page = guarded_page
    violations: list[str] = []
    page.on(
        "console",
        lambda message: (
            violations.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    sign_in(page, live_server.url, "sam", PASSWORD)
    page.goto(f"{live_server.url}/api/docs/")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("Stride")
    progress = page.get_by_role("button", name="GET /api/v1/cohorts/{id}/progress/", exact=True)
    expect(progress).to_be_visible()
    summary = page.get_by_role("button", name="GET /api/v1/me/", exact=True)
    operation = page.locator(".opblock", has=summary)
    summary.click()
    operation.get_by_role("button", name="Try it out").click()
    operation.get_by_role("button", name="Execute").click()
    response = operation.locator(".responses-table.live-responses-table")
    expect(response.locator("tr.response .response-col_status")).to_have_text("200")
    expect(response).to_contain_text('"username": "sam"')
    assert violations == []
