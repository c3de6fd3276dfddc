"""``{% password_login_staff_only as flag %}``: whether the login page says that password
sign-in is for staff only (``STRIDE_PASSWORD_LOGIN=staff``)."""

from django import template
from django.conf import settings

register = template.Library()


@register.simple_tag
def password_login_staff_only() -> bool:
    return getattr(settings, "STRIDE_PASSWORD_LOGIN", "all") == "staff"
