"""The caller's API tokens page (issue 14): list, name and make one (its value shown once),
revoke. Staff revoke anyone's in the admin ("API tokens") or with ``users/{id}/revoke-tokens/``.
The rules are in ``tracker.security.tokens``."""

from __future__ import annotations

import secrets

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from curriculum.kernel import clock
from curriculum.kernel.forms import service_errors
from tracker.security.tokens import token_create_from_page, token_delete, token_list
from tracker.web.forms import ApiTokenForm
from tracker.web.views.common import page

# Each form carries a one-time nonce (kept in the session) so that sending it again (a reload
# of the answer) makes no second token. The value itself is only in the answer to the POST:
# never in the session, the URL or the database.
FORM_NONCE_SESSION_KEY = "stride_api_token_form"


def _fresh_nonce(request: HttpRequest) -> str:
    nonce = request.session[FORM_NONCE_SESSION_KEY] = secrets.token_urlsafe(16)
    return nonce


@login_required
@require_http_methods(["GET", "POST"])
def api_tokens(request: HttpRequest) -> HttpResponse:
    form = ApiTokenForm(request.POST or None)
    created = None
    if request.method == "POST" and form.is_valid():
        expected = request.session.get(FORM_NONCE_SESSION_KEY)
        sent = request.POST.get("nonce", "")
        if not expected or not secrets.compare_digest(expected, sent):
            messages.info(request, _("That form was already sent: the token was made once."))
            return redirect("api_tokens")
        with service_errors(form, _("You may not make a token.")):
            token, value = token_create_from_page(
                actor=request.user, name=form.cleaned_data["name"]
            )
            created = {"token": token, "value": value}
            form = ApiTokenForm()
    tokens = list(token_list(fetched_by=request.user))
    return page(
        request,
        "web/api_tokens.html",
        {
            "form": form,
            "tokens": tokens,
            "created": created,
            "now": clock.now(),
            "nonce": _fresh_nonce(request),
        },
    )


@login_required
@require_POST
def api_token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    token = token_list(fetched_by=request.user).filter(pk=pk).first()
    if token is None:
        raise Http404(_("No such token."))
    token_delete(actor=request.user, token=token)
    messages.success(request, _("The token “%(name)s” was revoked.") % {"name": token.name})
    return redirect("api_tokens")
