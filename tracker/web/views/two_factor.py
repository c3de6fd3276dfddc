"""Two-factor pages (issue 14): the code asked after the password, and enrolment with its
recovery codes. The rules are in ``tracker.security.two_factor``; ``TwoFactorMiddleware`` sends
people here."""

from __future__ import annotations

import base64

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from curriculum.kernel.forms import service_errors
from tracker.security import two_factor
from tracker.security.lockout import lockout_response
from tracker.web.forms import SecondFactorForm, TotpEnrolForm
from tracker.web.views.common import page


def _next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return "/"


@login_required
@require_http_methods(["GET", "POST"])
def two_factor_verify(request: HttpRequest) -> HttpResponse:
    """After the password: a TOTP code or a recovery code (each recovery code works once)."""
    if two_factor.session_state(request, request.user) != "pending":
        return redirect(_next(request))
    form = SecondFactorForm(request.POST or None)
    if request.method == "POST" and two_factor.locked_out(request, request.user):
        return lockout_response(request, credentials={"username": request.user.get_username()})
    if request.method == "POST" and form.is_valid():
        with service_errors(form, _("The code was refused.")):
            two_factor.second_factor_check(
                user=request.user, code=form.cleaned_data["code"], request=request, field="code"
            )
            request.session.cycle_key()
            two_factor.session_mark_verified(request, request.user)
            return redirect(_next(request))
    return page(request, "web/two_factor_verify.html", {"form": form, "next": _next(request)})


def _qr_data_uri(svg: str) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")


@login_required
@require_http_methods(["GET", "POST"])
def two_factor_setup(request: HttpRequest) -> HttpResponse:
    """Turn TOTP on (QR code and the secret to type in, then a code to prove it), or, when on,
    see how many recovery codes are left and make new ones."""
    user = request.user
    context = {"next": _next(request), "required": two_factor.two_factor_required(user)}
    if two_factor.has_totp(user):
        form = TotpEnrolForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            with service_errors(form, _("The code was refused.")):
                codes = two_factor.recovery_codes_regenerate(
                    user=user, code=form.cleaned_data["code"], request=request
                )
                return page(
                    request, "web/two_factor_codes.html", {**context, "recovery_codes": codes}
                )
        context.update(
            enabled=True,
            form=form,
            recovery_codes_left=two_factor.recovery_codes_left(user),
        )
        return page(request, "web/two_factor_setup.html", context)

    form = TotpEnrolForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        with service_errors(form, _("The code was refused.")):
            codes = two_factor.totp_enrol(
                request=request, user=user, code=form.cleaned_data["code"]
            )
            messages.success(request, _("Two-factor authentication is on."))
            return page(request, "web/two_factor_codes.html", {**context, "recovery_codes": codes})
    secret = two_factor.totp_setup_secret(request)
    url = two_factor.totp_setup_url(user, secret)
    context.update(
        enabled=False,
        form=form,
        secret=secret,
        qr_src=_qr_data_uri(two_factor.totp_setup_svg(url)),
    )
    return page(request, "web/two_factor_setup.html", context)
