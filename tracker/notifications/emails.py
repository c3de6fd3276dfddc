"""Notification emails: text and HTML from ``templates/email/``, with absolute links."""

from __future__ import annotations

from email.mime.text import MIMEText

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import EmailMultiAlternatives
from django.template import TemplateDoesNotExist
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from curriculum.kernel.names import display_name
from tracker.languages import in_language, language_of
from tracker.models import Notification


def absolute_url(link: str) -> str:
    if not link:
        return settings.STRIDE_BASE_URL + "/"
    if link.startswith(("http://", "https://")):
        return link
    return settings.STRIDE_BASE_URL + ("" if link.startswith("/") else "/") + link


def message_id_for(notification: Notification) -> str:
    # Stable per notification: should a crash ever make us hand the same email to the server
    # twice, mail systems that de-duplicate on Message-ID still show it once.
    domain = settings.STRIDE_BASE_URL.split("://", 1)[-1].split("/", 1)[0].split(":", 1)[0]
    return f"<stride-notification-{notification.pk}@{domain or 'localhost'}>"


def invitation_url(user) -> str:
    """Where an invited person chooses a password (Django's reset-confirm page). Made when the
    email is rendered, never stored: the token in it expires (``PASSWORD_RESET_TIMEOUT``)."""
    uidb64 = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    return absolute_url(
        reverse("password_reset_confirm", kwargs={"uidb64": uidb64, "token": token})
    )


def _render(kind: str, extension: str, context: dict) -> str:
    try:
        return render_to_string(f"email/{kind}.{extension}", context)
    except TemplateDoesNotExist:
        return render_to_string(f"email/generic.{extension}", context)


def build_email(notification: Notification) -> EmailMultiAlternatives:
    """The notification's email, in the recipient's language (their subject and body were
    written in it when the notification was made)."""
    recipient = notification.recipient
    with in_language(language_of(recipient)):
        return _build_email(notification, recipient)


def _build_email(notification: Notification, recipient) -> EmailMultiAlternatives:
    context = {
        "notification": notification,
        "recipient": recipient,
        "name": display_name(recipient),
        "subject": notification.subject,
        "body": notification.body,
        "link_url": absolute_url(notification.link),
        "preferences_url": absolute_url("/preferences/"),
        "base_url": settings.STRIDE_BASE_URL,
    }
    if notification.kind == Notification.Kind.INVITATION:
        context["link_url"] = invitation_url(recipient)
    message = EmailMultiAlternatives(
        subject=f"[Stride] {notification.subject}",
        body=_render(notification.kind, "txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[recipient.email],
        headers={
            "Message-ID": message_id_for(notification),
            "X-Stride-Notification": str(notification.pk),
            "X-Stride-Kind": notification.kind,
        },
    )
    message.attach_alternative(_render(notification.kind, "html", context), "text/html")
    if notification.calendar:
        message.attach(calendar_part(notification.calendar))
    return message


def calendar_part(text: str) -> MIMEText:
    """The iCalendar invitation as a ``text/calendar`` part whose ``method`` parameter repeats
    the calendar's METHOD (REQUEST or CANCEL), which calendar programs require to treat it as
    an invitation or its cancellation."""
    method = "REQUEST"
    for line in text.splitlines():
        if line.startswith("METHOD:"):
            method = line.split(":", 1)[1].strip()
            break
    part = MIMEText(text, "calendar", "utf-8")
    part.set_param("method", method)
    part.add_header("Content-Disposition", "attachment", filename="invite.ics")
    return part
