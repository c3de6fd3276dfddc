"""The caller's API tokens page (issue 14): list, name and make one (its value shown once),
revoke. Staff revoke anyone's in the admin ("API tokens") or with ``users/{id}/revoke-tokens/``.
The rules are in ``tracker.security.tokens``."""

from __future__ import annotations

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


@login_required
@require_http_methods(["GET", "POST"])
def api_tokens(request: HttpRequest) -> HttpResponse:
    form = ApiTokenForm(request.POST or None)
    created = None
    if request.method == "POST" and form.is_valid():
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
        {"form": form, "tokens": tokens, "created": created, "now": clock.now()},
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
