"""Password reset with rate limits: per address (``password_reset_email``) and per client
address (``password_reset_client``), both counted in ``tracker.security.ratelimit``.

Over either limit the form comes back with 429, ``Retry-After`` and a message, and no email is
sent. The per-address limit counts every address asked for, known or not, so its answer says
nothing about whether an account exists.
"""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.http import HttpResponse
from django.utils.translation import gettext as _

from tracker.security import ratelimit


class PasswordResetView(auth_views.PasswordResetView):
    def post(self, request, *args, **kwargs):
        wait = ratelimit.hit(ratelimit.PASSWORD_RESET_CLIENT, ratelimit.client_ident(request))
        if wait is not None:
            return self.refused(self.get_form(), wait)
        return super().post(request, *args, **kwargs)

    def form_valid(self, form):
        address = form.cleaned_data["email"].strip().lower()
        wait = ratelimit.hit(ratelimit.PASSWORD_RESET_EMAIL, address)
        if wait is not None:
            return self.refused(form, wait)
        return super().form_valid(form)

    def refused(self, form, wait: int) -> HttpResponse:
        form.is_valid()  # errors are shown only on a bound, validated form
        form.add_error(
            None,
            _("Too many password reset requests. No email was sent; try again %(when)s.")
            % {"when": ratelimit.wait_text(wait)},
        )
        response = self.render_to_response(self.get_context_data(form=form), status=429)
        response["Retry-After"] = str(wait)
        return response
