"""The prediction contract of a capstone: what a learner's deployed model must answer.

A contract sits on the program's final milestone (``Assignment.prediction_contract``)::

    {"method": "POST", "path": "/predict",
     "examples": [{"name": "clear fraud", "request": {...},
                   "expect": {"pointer": "/label", "equals": 1} | null}],
     "response_schema": {...a JSON Schema...},
     "latency_budget_ms": 800}

``expect`` holds one rule: ``equals`` (exact), ``within: [low, high]`` (a number, bounds
included) or ``one_of: [...]``; the value it judges is the one the RFC 6901 ``pointer`` names in
the response. Mentors add examples for their learners in the same shape
(``Enrollment.prediction_examples``), checked by ``example_errors``.

Everything here is pure: ``contract_errors`` / ``examples_errors`` list what is wrong (each
message starts with the place it concerns, as a JSON pointer into the value), and
``resolve_pointer`` / ``expectation_met`` are what the live check uses to judge an answer.
Imports ``jsonschema`` and nothing of Stride.
"""

from __future__ import annotations

import json
import math
from typing import Any

from django.utils.translation import gettext as _
from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError

METHODS = ("GET", "POST", "PUT", "PATCH")
MAX_EXAMPLES = 20
MAX_REQUEST_BYTES = 64 * 1024
MAX_SCHEMA_BYTES = 64 * 1024
MAX_NAME_LENGTH = 100
MAX_PATH_LENGTH = 300
MAX_LATENCY_BUDGET_MS = 60_000
RULES = ("equals", "within", "one_of")
CONTRACT_KEYS = {"method", "path", "examples", "response_schema", "latency_budget_ms"}
EXAMPLE_KEYS = {"name", "request", "expect"}
_MISSING = object()


def _size(value: Any) -> int:
    return len(json.dumps(value, ensure_ascii=False))


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def pointer_errors(pointer: Any) -> str | None:
    """Why ``pointer`` is not an RFC 6901 JSON pointer, or None."""
    if not isinstance(pointer, str):
        return "must be a string such as /label"
    if pointer and not pointer.startswith("/"):
        return "must be empty (the whole answer) or start with /"
    for part in pointer.split("/")[1:]:
        stripped = part.replace("~0", "").replace("~1", "")
        if "~" in stripped:
            return "uses ~ other than ~0 or ~1"
    return None


def _expect_errors(expect: Any, where: str) -> list[str]:
    if expect is None:
        return []
    if not isinstance(expect, dict):
        return [
            _("%(where)s: must be an object with a pointer and one rule, or null.")
            % {"where": where}
        ]
    errors = []
    unknown = sorted(set(expect) - {"pointer", *RULES})
    if unknown:
        errors.append(
            _("%(where)s: unknown keys %(keys)s.") % {"where": where, "keys": ", ".join(unknown)}
        )
    reason = pointer_errors(expect.get("pointer"))
    if reason:
        errors.append(_("%(where)s/pointer: %(reason)s.") % {"where": where, "reason": reason})
    rules = [rule for rule in RULES if rule in expect]
    if len(rules) != 1:
        errors.append(
            _("%(where)s: give exactly one of equals, within or one_of.") % {"where": where}
        )
        return errors
    rule = rules[0]
    value = expect[rule]
    if rule == "within":
        if (
            not isinstance(value, list)
            or len(value) != 2
            or not all(_is_number(bound) for bound in value)
        ):
            errors.append(
                _("%(where)s/within: must be two numbers [low, high].") % {"where": where}
            )
        elif value[0] > value[1]:
            errors.append(
                _("%(where)s/within: the low bound is above the high bound.") % {"where": where}
            )
    elif rule == "one_of" and (not isinstance(value, list) or not value):
        errors.append(_("%(where)s/one_of: must be a non-empty list of values.") % {"where": where})
    return errors


def example_errors(example: Any, where: str) -> list[str]:
    """What is wrong with one example (``where`` is its place, e.g. ``/examples/0``)."""
    if not isinstance(example, dict):
        return [_("%(where)s: must be an object with name, request and expect.") % {"where": where}]
    errors = []
    unknown = sorted(set(example) - EXAMPLE_KEYS)
    if unknown:
        errors.append(
            _("%(where)s: unknown keys %(keys)s.") % {"where": where, "keys": ", ".join(unknown)}
        )
    name = example.get("name")
    if not isinstance(name, str) or not name.strip():
        errors.append(_("%(where)s/name: give the example a name.") % {"where": where})
    elif len(name) > MAX_NAME_LENGTH:
        errors.append(
            _("%(where)s/name: at most %(max_name_length)s characters.")
            % {"where": where, "max_name_length": MAX_NAME_LENGTH}
        )
    if "request" not in example:
        errors.append(
            _("%(where)s/request: give the JSON the example sends (null for none).")
            % {"where": where}
        )
    elif _size(example["request"]) > MAX_REQUEST_BYTES:
        errors.append(
            _("%(where)s/request: at most %(max_request_bytes)s bytes of JSON.")
            % {"where": where, "max_request_bytes": MAX_REQUEST_BYTES}
        )
    errors.extend(_expect_errors(example.get("expect"), f"{where}/expect"))
    return errors


def examples_errors(examples: Any, where: str = "/examples", *, taken: set[str] = ()) -> list[str]:
    """What is wrong with a list of examples; names must be unique (also against ``taken``)."""
    if not isinstance(examples, list):
        return [_("%(where)s: must be a list of examples.") % {"where": where}]
    if len(examples) > MAX_EXAMPLES:
        return [
            _("%(where)s: at most %(max_examples)s examples.")
            % {"where": where, "max_examples": MAX_EXAMPLES}
        ]
    errors = []
    seen = set(taken)
    for index, example in enumerate(examples):
        errors.extend(example_errors(example, f"{where}/{index}"))
        name = example.get("name") if isinstance(example, dict) else None
        if isinstance(name, str) and name.strip():
            if name in seen:
                errors.append(
                    _("%(where)s/%(index)s/name: “%(name)s” is already an example's name.")
                    % {"where": where, "index": index, "name": name}
                )
            seen.add(name)
    return errors


def contract_errors(contract: Any) -> list[str]:
    """What is wrong with a whole contract (empty: it is valid)."""
    if not isinstance(contract, dict):
        return [_("The contract must be a JSON object.")]
    errors = []
    missing = sorted(CONTRACT_KEYS - set(contract) - {"latency_budget_ms"})
    if missing:
        errors.append(_("Missing keys: %(keys)s.") % {"keys": ", ".join(missing)})
    unknown = sorted(set(contract) - CONTRACT_KEYS)
    if unknown:
        errors.append(_("Unknown keys: %(keys)s.") % {"keys": ", ".join(unknown)})
    method = contract.get("method", _MISSING)
    if method is not _MISSING and method not in METHODS:
        errors.append(_("/method: one of %(choices)s.") % {"choices": ", ".join(METHODS)})
    path = contract.get("path", _MISSING)
    if path is not _MISSING and (
        not isinstance(path, str)
        or not path.startswith("/")
        or path.startswith("//")
        or len(path) > MAX_PATH_LENGTH
        or any(char.isspace() or char == "#" for char in path)
    ):
        errors.append(
            _(
                "/path: a path on the deployment starting with / (no host, spaces or #, at "
                "most %(max_path_length)s characters)."
            )
            % {"max_path_length": MAX_PATH_LENGTH}
        )
    budget = contract.get("latency_budget_ms", _MISSING)
    if budget is not _MISSING and budget is not None:
        if not isinstance(budget, int) or isinstance(budget, bool):
            errors.append("/latency_budget_ms: a whole number of milliseconds, or null.")
        elif not 1 <= budget <= MAX_LATENCY_BUDGET_MS:
            errors.append(
                _("/latency_budget_ms: between 1 and %(max_latency_budget_ms)s.")
                % {"max_latency_budget_ms": MAX_LATENCY_BUDGET_MS}
            )
    if "examples" in contract:
        examples = contract["examples"]
        if isinstance(examples, list) and not examples:
            errors.append("/examples: give at least one example.")
        errors.extend(examples_errors(examples))
    if "response_schema" in contract:
        errors.extend(schema_errors_of(contract["response_schema"]))
    return errors


def schema_errors_of(schema: Any) -> list[str]:
    """Why ``schema`` is not a valid JSON Schema (draft 2020-12), or nothing."""
    if not isinstance(schema, dict | bool):
        return ["/response_schema: must be a JSON Schema (an object)."]
    if _size(schema) > MAX_SCHEMA_BYTES:
        return [
            _("/response_schema: at most %(max_schema_bytes)s bytes.")
            % {"max_schema_bytes": MAX_SCHEMA_BYTES}
        ]
    try:
        # The format checker makes a bad ``pattern`` (format ``regex``) a schema error here,
        # not a crash when an answer is validated.
        Draft202012Validator.check_schema(
            schema, format_checker=Draft202012Validator.FORMAT_CHECKER
        )
    except SchemaError as error:
        place = "/".join(str(part) for part in error.absolute_path)
        return [
            _("/response_schema%(subplace)s: %(error_message)s")
            % {"subplace": "/" + place if place else "", "error_message": error.message}
        ]
    return []


def response_schema_errors(schema: Any, instance: Any) -> list[tuple[str, str]]:
    """``(pointer, message)`` for every place where ``instance`` breaks ``schema``, sorted."""
    validator = Draft202012Validator(schema)
    found = []
    for error in validator.iter_errors(instance):
        found.append((to_pointer(error.absolute_path), error.message))
    return sorted(set(found))


def to_pointer(parts: Any) -> str:
    return "".join("/" + str(part).replace("~", "~0").replace("/", "~1") for part in parts)


def resolve_pointer(document: Any, pointer: str) -> Any:
    """The value ``pointer`` names in ``document``; raises ``LookupError`` when there is none."""
    if pointer == "":
        return document
    current = document
    for raw in pointer.split("/")[1:]:
        part = raw.replace("~1", "/").replace("~0", "~")
        if isinstance(current, dict):
            if part not in current:
                raise LookupError(pointer)
            current = current[part]
        elif isinstance(current, list):
            if not part.isdigit() or (len(part) > 1 and part.startswith("0")):
                raise LookupError(pointer)
            index = int(part)
            if index >= len(current):
                raise LookupError(pointer)
            current = current[index]
        else:
            raise LookupError(pointer)
    return current


def _same(expected: Any, actual: Any) -> bool:
    # JSON has one number type: 1 and 1.0 are the same answer; true is not 1.
    if isinstance(expected, bool) or isinstance(actual, bool):
        return type(expected) is type(actual) and expected == actual
    if _is_number(expected) and _is_number(actual):
        return expected == actual
    return type(expected) is type(actual) and expected == actual


def expectation_met(expect: dict, document: Any) -> tuple[bool, str]:
    """Whether ``document`` satisfies the rule ``expect``, with what was wrong when it does
    not."""
    pointer = expect["pointer"]
    try:
        actual = resolve_pointer(document, pointer)
    except LookupError:
        return False, _("The answer has no value at %(place)s.") % {
            "place": pointer or "(the root)"
        }
    shown = json.dumps(actual, ensure_ascii=False)[:200]
    if "equals" in expect:
        if _same(expect["equals"], actual):
            return True, ""
        wanted = json.dumps(expect["equals"], ensure_ascii=False)[:200]
        return False, _("%(place)s is %(shown)s, expected %(wanted)s.") % {
            "place": pointer or "(the root)",
            "shown": shown,
            "wanted": wanted,
        }
    if "within" in expect:
        low, high = expect["within"]
        if _is_number(actual) and low <= actual <= high:
            return True, ""
        return False, _("%(place)s is %(shown)s, expected between %(low)s and %(high)s.") % {
            "place": pointer or "(the root)",
            "shown": shown,
            "low": low,
            "high": high,
        }
    if any(_same(option, actual) for option in expect["one_of"]):
        return True, ""
    options = json.dumps(expect["one_of"], ensure_ascii=False)[:200]
    return False, _("%(place)s is %(shown)s, expected one of %(options)s.") % {
        "place": pointer or "(the root)",
        "shown": shown,
        "options": options,
    }
