"""The staff page of outbound webhooks: endpoints, each one's delivery log, "send again".

Data from ``tracker.webhooks.selectors.webhooks_page``; writes through
``tracker.webhooks.services``. A new endpoint's secret is shown once, on the page that answers
its registration, and never stored anywhere the browser keeps (no flash message, no cookie).
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from curriculum.kernel.forms import service_errors
from tracker.models import WebhookDelivery, WebhookEndpoint
from tracker.web.forms import URL_INPUT
from tracker.web.views.common import page, role_required
from tracker.webhooks import selectors, services
from tracker.webhooks.events import EVENT_TYPES

staff_only = role_required("staff")


class WebhookEndpointForm(forms.Form):
    url = forms.URLField(
        label=gettext_lazy("Receiver address"),
        max_length=500,
        assume_scheme="https",
        widget=URL_INPUT,  # a text box: a mistyped address comes back as valid HTML
    )
    events = forms.MultipleChoiceField(
        label=gettext_lazy("Events to send"),
        choices=list(EVENT_TYPES.items()),
        widget=forms.CheckboxSelectMultiple,
    )
    format = forms.ChoiceField(
        label=gettext_lazy("Format"),
        choices=[
            (WebhookEndpoint.Format.JSON, gettext_lazy("JSON event (signed)")),
            (WebhookEndpoint.Format.SLACK, gettext_lazy("Slack message")),
        ],
        initial=WebhookEndpoint.Format.JSON,
    )
    description = forms.CharField(label=gettext_lazy("Description"), max_length=200, required=False)
    secret = forms.CharField(
        label=gettext_lazy("Secret (leave empty to have one made)"),
        max_length=128,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )


def _page(request: HttpRequest, *, form=None, created=None) -> HttpResponse:
    return page(
        request,
        "web/staff_webhooks.html",
        {
            "endpoints": selectors.webhooks_page(fetched_by=request.user),
            "form": form or WebhookEndpointForm(),
            "created": created,
            "event_names": EVENT_TYPES,
        },
    )


@staff_only
def webhooks(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return _page(request)
    form = WebhookEndpointForm(request.POST)
    if form.is_valid():
        with service_errors(form, _("You may not register webhooks.")):
            endpoint = services.webhook_endpoint_create(actor=request.user, **form.cleaned_data)
            return _page(request, created=endpoint)
    return _page(request, form=form)


@staff_only
@require_POST
def webhook_toggle(request: HttpRequest, pk: int) -> HttpResponse:
    endpoint = get_object_or_404(selectors.webhook_endpoints(fetched_by=request.user), pk=pk)
    services.webhook_endpoint_update(
        actor=request.user, endpoint=endpoint, active=not endpoint.active
    )
    if endpoint.active:
        messages.success(request, _("%(url)s is switched off.") % {"url": endpoint.url})
    else:
        messages.success(request, _("%(url)s is switched on.") % {"url": endpoint.url})
    return redirect("staff_webhooks")


@staff_only
@require_POST
def webhook_delete(request: HttpRequest, pk: int) -> HttpResponse:
    endpoint = get_object_or_404(selectors.webhook_endpoints(fetched_by=request.user), pk=pk)
    services.webhook_endpoint_delete(actor=request.user, endpoint=endpoint)
    messages.success(request, _("%(url)s is removed.") % {"url": endpoint.url})
    return redirect("staff_webhooks")


@staff_only
@require_POST
def webhook_redeliver(request: HttpRequest, pk: int, delivery_pk: int) -> HttpResponse:
    delivery: WebhookDelivery = get_object_or_404(
        selectors.webhook_deliveries(fetched_by=request.user, endpoint_id=pk), pk=delivery_pk
    )
    try:
        message = services.webhook_redeliver(actor=request.user, delivery=delivery)
    except ValidationError as exc:
        for error in exc.messages:
            messages.error(request, error)
    else:
        messages.success(
            request,
            _("Event %(event)s is being sent again.") % {"event": message.event.event_id},
        )
    return redirect("staff_webhooks")
