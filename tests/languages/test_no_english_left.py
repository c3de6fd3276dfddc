"""No English left in Spanish: each page and email whose words this project translates is
rendered in both languages, and any text that comes out the same in both (names, addresses and
numbers aside) is a string nobody marked for translation."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from django.contrib.auth.models import AnonymousUser
from django.template.loader import render_to_string
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import translation

from tracker.models import Notification
from tracker.notifications import preferences_update
from tracker.notifications.emails import build_email
from tracker.security.lockout import lockout_message

pytestmark = pytest.mark.django_db
# Words that are the same in both languages on purpose.
SAME_IN_BOTH = {"Stride", "Stride ·", "·", "—", "--", "S", "B", "Español", "English"}
LETTERS = re.compile(r"[A-Za-z]{2,}")


class MainText(HTMLParser):
    """The text nodes inside ``<main>`` (the page's own content; the frame is base.html's)."""

    def __init__(self, whole: bool) -> None:
        super().__init__()
        self.depth = 1 if whole else 0
        self.skip = 0
        self.texts: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag == "main" or (self.depth and tag not in {"br", "meta", "input", "link", "img"}):
            self.depth += 1
        if tag in {"script", "style", "title"}:
            self.skip += 1

    def handle_endtag(self, tag):
        if self.depth:
            self.depth -= 1
        if tag in {"script", "style", "title"}:
            self.skip -= 1

    def handle_data(self, data):
        text = " ".join(data.split())
        if self.depth and not self.skip and text:
            self.texts.append(text)


def texts(html: str, *, whole: bool = False) -> set[str]:
    parser = MainText(whole)
    parser.feed(html)
    return set(parser.texts)


def leftovers(english: set[str], spanish: set[str], allowed: set[str] = frozenset()) -> set[str]:
    same = english & spanish
    return {
        text
        for text in same
        if LETTERS.search(text) and text not in SAME_IN_BOTH | set(allowed) and "://" not in text
    }


@pytest.mark.parametrize(
    "page",
    [
        "password_reset",
        "password_reset_done",
        "password_reset_complete",
        "password_reset_confirm",
        "password_change",
        "password_change_done",
    ],
)
def test_password_pages_have_no_english_left(world, page):
    client = Client()
    if page.startswith("password_change"):
        client.force_login(world.learner)
    kwargs = {"uidb64": "MQ", "token": "set-password"} if page == "password_reset_confirm" else {}
    url = reverse(page, kwargs=kwargs)
    english = client.get(url, HTTP_ACCEPT_LANGUAGE="en", follow=True).content.decode()
    spanish = client.get(url, HTTP_ACCEPT_LANGUAGE="es", follow=True).content.decode()
    assert texts(english), "the page's main content was found"
    assert not leftovers(texts(english), texts(spanish)), page


def test_the_lockout_and_outage_pages_have_no_english_left(world):
    request = RequestFactory().get("/login/")
    request.user = AnonymousUser()
    rendered = {}
    for language in ("en", "es"):
        with translation.override(language):
            lockout = render_to_string(
                "security/lockout.html",
                {"message": lockout_message(15), "failure_limit": 5, "cooloff_minutes": 15},
                request=request,
            )
            outage = render_to_string("security/database_unavailable.html", {"retry_after": 30})
        rendered[language] = (texts(lockout), texts(outage, whole=True))
    for english, spanish in zip(rendered["en"], rendered["es"], strict=True):
        assert english
        assert not leftovers(english, spanish)


@pytest.mark.parametrize("kind", Notification.Kind.values)
def test_emails_have_no_english_left(world, kind):
    """Each kind's own template: the frame, the action and the kind's extra sentence."""
    rendered = {}
    for language in ("en", "es"):
        preferences_update(actor=world.learner, language=language)
        notification = Notification(
            pk=1, recipient=world.learner, kind=kind, subject="S", body="B", link="/x/"
        )
        email = build_email(notification)
        lines = {line.strip() for line in email.body.splitlines() if line.strip()}
        rendered[language] = (lines, texts(email.alternatives[0][0], whole=True))
    name = world.learner.get_full_name()
    allowed = {f"Stride · {kind}", name, world.learner.username, f"{world.learner.username}."}
    for english, spanish in zip(rendered["en"], rendered["es"], strict=True):
        assert not leftovers(english, spanish, allowed), kind


def test_the_detector_finds_a_sentence_left_in_english():
    english = texts("<main><h1>Sign in</h1><p>Stride</p><p>Forgot it?</p></main>")
    spanish = texts("<main><h1>Iniciar sesión</h1><p>Stride</p><p>Forgot it?</p></main>")
    assert leftovers(english, spanish) == {"Forgot it?"}
