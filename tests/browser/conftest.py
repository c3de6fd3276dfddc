"""Playwright against Debian's Chromium (``playwright install`` needs the internet; we do not).

Every test gets a ``guarded_page``: it records console errors, uncaught page errors and any
request to a host other than the live server, aborts those requests, and fails the test if
any was seen, whichever page it happened on. The people and places are the one world's
(``tests/world.py``), without Lena's history.
"""

import os
from urllib.parse import urlparse

import pytest

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture
def world_history() -> bool:
    # The flows start from Lena's first log and first submission, as the page tests do.
    return False


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": CHROMIUM_ARGS,
        "headless": True,
    }


class PageGuard:
    def __init__(self, page, base_url: str) -> None:
        self.page = page
        self.host = urlparse(base_url).netloc
        self.console_errors: list[str] = []
        self.foreign_requests: list[str] = []
        page.on("console", self._on_console)
        page.on("pageerror", lambda error: self.console_errors.append(f"pageerror: {error}"))
        page.context.route("**/*", self._route)

    def _on_console(self, message) -> None:
        if message.type == "error":
            self.console_errors.append(f"{message.text} @ {self.page.url}")

    def _route(self, route) -> None:
        url = urlparse(route.request.url)
        if url.scheme in ("data", "blob") or url.netloc == self.host:
            route.continue_()
        else:
            self.foreign_requests.append(route.request.url)
            route.abort()

    def assert_clean(self) -> None:
        assert self.console_errors == [], self.console_errors
        assert self.foreign_requests == [], self.foreign_requests


@pytest.fixture
def guarded_page(page, live_server):
    page.set_default_timeout(15_000)
    guard = PageGuard(page, live_server.url)
    page.guard = guard
    yield page
    guard.assert_clean()


def sign_in(page, base_url: str, username: str, password: str) -> None:
    page.goto(f"{base_url}/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()


def sign_out(page) -> None:
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/login/**")
