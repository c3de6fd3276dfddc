"""The form renderer of every page: Django's, with its commonest widget templates written in
Python (``FORM_RENDERER``, the performance block of ``tracker/settings.py``).

Rendering a form field through templates costs a template per widget, one per select option
and one per attribute list: on the learner's home (nine fields, 58 options) that was about a
fifth of the page's CPU. ``FastWidgetRenderer`` writes the same HTML as Django's templates
(``input.html`` and the input types that include it, ``textarea.html``, ``select.html`` with
``select_option.html``, ``attrs.html``; ``tests/web/test_fast_widgets.py`` compares them) and
hands every other template, or a widget whose context it does not recognise, to Django.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.forms.renderers import DjangoTemplates
from django.utils.functional import Promise
from django.utils.html import conditional_escape
from django.utils.safestring import SafeData

_WIDGETS = "django/forms/widgets/"
_OPTION_TEMPLATE = _WIDGETS + "select_option.html"


def _format_s(value: Any) -> str:
    """``{{ value|stringformat:'s' }}`` in an autoescaping template."""
    text = str(value)
    return text if isinstance(value, SafeData) else conditional_escape(text)


def _attrs(attrs: dict) -> str:
    """``django/forms/widgets/attrs.html``."""
    parts = []
    for name, value in attrs.items():
        if value is False:
            continue
        if value is True:
            parts.append(f" {conditional_escape(name)}")
        else:
            parts.append(f' {conditional_escape(name)}="{_format_s(value)}"')
    return "".join(parts)


def _input(widget: dict) -> str | None:
    value = widget["value"]
    shown = f' value="{_format_s(value)}"' if value is not None else ""
    return (
        f'<input type="{conditional_escape(widget["type"])}" '
        f'name="{conditional_escape(widget["name"])}"{shown}{_attrs(widget["attrs"])}>'
    )


def _textarea(widget: dict) -> str | None:
    value = widget["value"]
    return (
        f'<textarea name="{conditional_escape(widget["name"])}"{_attrs(widget["attrs"])}>\n'
        f"{conditional_escape(value) if value else ''}</textarea>"
    )


def _select(widget: dict) -> str | None:
    out = [f'<select name="{conditional_escape(widget["name"])}"{_attrs(widget["attrs"])}>']
    for group_name, group_choices, _index in widget["optgroups"]:
        if group_name:
            out.append(f'\n  <optgroup label="{conditional_escape(group_name)}">')
        for option in group_choices:
            if option.get("template_name") != _OPTION_TEMPLATE:
                return None
            if not isinstance(option["label"], str | Promise):
                return None  # the template would localize it
            # select_option.html ends with a newline.
            out.append(
                f'\n  <option value="{_format_s(option["value"])}"{_attrs(option["attrs"])}>'
                f"{conditional_escape(option['label'])}</option>\n"
            )
        if group_name:
            out.append("\n  </optgroup>")
    out.append("\n</select>")
    return "".join(out)


_INPUT_TYPES = (
    "input",
    "text",
    "number",
    "email",
    "url",
    "password",
    "hidden",
    "date",
    "datetime",
    "time",
    "search",
    "tel",
    "color",
)
FAST: dict[str, Callable[[dict], str | None]] = {
    **{f"{_WIDGETS}{kind}.html": _input for kind in _INPUT_TYPES},
    _WIDGETS + "textarea.html": _textarea,
    _WIDGETS + "select.html": _select,
}


class FastWidgetRenderer(DjangoTemplates):
    def render(self, template_name, context, request=None):
        fast = FAST.get(template_name)
        widget = context.get("widget") if fast is not None else None
        if widget is not None:
            try:
                html = fast(widget)
            except (KeyError, TypeError, ValueError):
                html = None
            if html is not None:
                # Django's renderer strips what the template writes.
                return html.strip()
        return super().render(template_name, context, request)
