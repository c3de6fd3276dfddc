"""How a service's refusal lands on a form, for the admin and the pages alike.

A service raises ``ValidationError({field: [messages]})`` for bad input and ``PermissionDenied``
for a write the caller may not make; a form shows the first next to the fields it names (the
rest on top) and the second on top, so every error is shown in place and nothing is written.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Model
from django.http import HttpRequest


def apply_service_errors(form: forms.BaseForm, error: ValidationError) -> None:
    """Show a service's ``{field: [messages]}`` next to the matching fields (others on top)."""
    if hasattr(error, "error_dict"):
        for field, messages in error.message_dict.items():
            target = field if field in form.fields else None
            for message in messages:
                form.add_error(target, message)
    else:
        for message in error.messages:
            form.add_error(None, message)


@contextlib.contextmanager
def service_errors(form: forms.BaseForm, refused: str) -> Iterator[None]:
    """Run a service call (and what follows its success) inside: a ``ValidationError`` lands on
    the form's fields (``apply_service_errors``), a ``PermissionDenied`` on top of the form
    with its own message, else ``refused``; the rest of the block is then skipped."""
    try:
        yield
    except ValidationError as error:
        apply_service_errors(form, error)
    except PermissionDenied as denied:
        form.add_error(None, str(denied) or refused)


class ServiceForm(forms.ModelForm):
    """An admin model form whose add is made by a service, with the service's errors in place.

    ``service_save(cleaned_data)`` calls the service and returns the saved object (or None to
    fall back to a plain save). It runs inside the admin's transaction once every field is
    valid, so the admin cannot step around a rule (a mentor's capacity, one enrollment per
    learner).
    """

    actor: Any = None
    saved_by_service = False

    def service_save(self, cleaned_data: dict[str, Any]) -> Model | None:
        """The service call that makes the add; None leaves it to the plain save."""
        return None

    def clean(self) -> dict[str, Any]:
        cleaned_data = super().clean()
        if self.errors or self.instance.pk is not None:
            return cleaned_data
        saved = None
        with service_errors(self, "You may not make this change."):
            saved = self.service_save(cleaned_data)
        if saved is not None:
            self.instance = saved
            self.saved_by_service = True
        return cleaned_data

    def _post_clean(self) -> None:
        # The service validated and saved the object; validating it again as new would fail.
        if not self.saved_by_service:
            super()._post_clean()


class ServiceFormAdmin(admin.ModelAdmin):
    """Hands the acting user to a ``ServiceForm`` and skips the plain save the service did."""

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        return type(form.__name__, (form,), {"actor": request.user})

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if getattr(form, "saved_by_service", False):
            return
        super().save_model(request, obj, form, change)
