"""Notification emails: text and HTML from ``templates/email/``, with absolute links."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template import TemplateDoesNotExist
from django.template.loader import render_to_string

from curriculum.kernel.names import display_name
from tracker.models import Notification

from .invitations import invitation_link


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


def _render(kind: str, extension: str, context: dict) -> str:
    try:
        return render_to_string(f"email/{kind}.{extension}", context)
    except TemplateDoesNotExist:
        return render_to_string(f"email/generic.{extension}", context)


def build_email(notification: Notification) -> EmailMultiAlternatives:
    recipient = notification.recipient
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
        # Built now, never stored: the password-reset token in it expires.
        context["link_url"] = invitation_link(recipient)
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
    return message
