"""The live-model check: send each example of the prediction contract, judge each answer.

For one deployment URL and a contract (``curriculum/prediction.py``), every example is sent
with the guard (``guard.fetch``: checked addresses, timeouts, a size cap, redirects by hand)
to ``deployment_url`` + the contract's ``path``, one after the other, and judged:

- **status**: the answer must be 2xx;
- **schema**: the body must be JSON and satisfy ``response_schema``; each violation is kept as
  the JSON pointer of the place in the answer (``schema_errors``), its message in ``error``;
- **value**: the example's ``expect`` rule on the value at its pointer (``value_ok``: true,
  false, or null when the example has no rule or the answer could not be judged);
- **latency**: the time to the whole answer must be within ``latency_budget_ms``.

An example is ``ok`` when all four hold; the check is ``ok`` when every example is. Pure of the
database: ``run_contract`` returns what the service stores.
"""

from __future__ import annotations

import http.client
import json
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

from django.conf import settings
from django.utils.translation import gettext as _

from curriculum.prediction import expectation_met, response_schema_errors
from tracker.deployments.guard import CheckRefused, fetch

SHOWN_RESPONSE_CHARS = 2000  # what the pages show of an answer (the rest is cut)
ERROR_CHARS = 500


@dataclass
class ExampleResult:
    name: str
    ok: bool = False
    status_code: int | None = None
    latency_ms: int | None = None
    schema_errors: list[str] = field(default_factory=list)
    value_ok: bool | None = None
    error: str = ""
    request: Any = None
    response: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "ok": self.ok,
            "status_code": self.status_code,
            "latency_ms": self.latency_ms,
            "schema_errors": self.schema_errors,
            "value_ok": self.value_ok,
            "error": self.error[:ERROR_CHARS],
            "request": self.request,
            "response": self.response,
        }


@dataclass(frozen=True)
class ContractResult:
    ok: bool
    status_code: int | None
    latency_ms: int | None
    error: str
    examples: list[dict[str, Any]]


def target_url(deployment_url: str, path: str) -> str:
    """The contract's ``path`` under the deployment URL (``https://x.example/api`` +
    ``/predict`` → ``https://x.example/api/predict``); the deployment's query is dropped."""
    parts = urlsplit(deployment_url)
    base = parts.path.rstrip("/")
    path_part, _sep, query = path.partition("?")
    return urlunsplit((parts.scheme, parts.netloc, base + path_part, query, ""))


def _request_of(method: str, url: str, payload: Any) -> tuple[str, bytes | None]:
    """The URL and body an example sends: a body of JSON, or for GET the object's members as
    query parameters."""
    if method == "GET":
        if isinstance(payload, dict) and payload:
            flat = {
                key: value if isinstance(value, str) else json.dumps(value)
                for key, value in payload.items()
            }
            joiner = "&" if "?" in url else "?"
            url = f"{url}{joiner}{urlencode(flat)}"
        return url, None
    return url, json.dumps(payload).encode()


def run_example(
    *, url: str, method: str, example: dict, schema: Any, budget_ms: int | None
) -> ExampleResult:
    """Send one example and judge its answer; never raises."""
    result = ExampleResult(name=example["name"], request=example.get("request"))
    timeout = settings.STRIDE_DEPLOY_CHECK_TIMEOUT
    target, body = _request_of(method, url, example.get("request"))
    started = time.monotonic()
    try:
        answer, _final = fetch(target, method=method, body=body, timeout=timeout)
    except CheckRefused as exc:
        result.error = _("Refused: %(reason)s") % {"reason": exc}
        return result
    except TimeoutError:
        result.error = _("Timed out after %(seconds)s s.") % {"seconds": f"{timeout:g}"}
        return result
    except (OSError, http.client.HTTPException, ValueError) as exc:
        result.error = f"{exc.__class__.__name__}: {exc}"
        return result
    result.latency_ms = int((time.monotonic() - started) * 1000)
    result.status_code = answer.status
    text = answer.body.decode("utf-8", errors="replace")
    result.response = text[:SHOWN_RESPONSE_CHARS]
    problems: list[str] = []
    if not 200 <= answer.status < 300:
        problems.append(_("HTTP %(status)s.") % {"status": answer.status})
    document: Any = None
    parsed = False
    if answer.truncated:
        problems.append(
            _("The answer is larger than %(limit)s bytes.")
            % {"limit": settings.STRIDE_DEPLOY_CHECK_MAX_BYTES}
        )
    else:
        try:
            document = json.loads(text)
            parsed = True
        except ValueError:
            problems.append(_("The answer is not JSON."))
    if parsed:
        try:
            violations = response_schema_errors(schema, document)
        except Exception as exc:  # an unresolvable $ref is the contract's fault, not a crash
            violations = [
                (
                    "",
                    _("the response schema cannot be applied (%(error)s).")
                    % {"error": exc.__class__.__name__},
                )
            ]
        for pointer, message in violations:
            if pointer not in result.schema_errors:
                result.schema_errors.append(pointer)
            problems.append(
                _("Schema: %(place)s %(message)s") % {"place": pointer or "/", "message": message}
            )
        expect = example.get("expect")
        if expect:
            result.value_ok, wrong = expectation_met(expect, document)
            if wrong:
                problems.append(wrong)
    else:
        result.schema_errors = [""]  # the whole answer ("" is the root's pointer)
    if budget_ms is not None and result.latency_ms > budget_ms:
        problems.append(
            _("Answered in %(latency)s ms, over the %(budget)s ms budget.")
            % {"latency": result.latency_ms, "budget": budget_ms}
        )
    result.error = " ".join(str(problem) for problem in problems)
    result.ok = not problems
    return result


def run_contract(
    deployment_url: str, contract: dict, extra_examples: list[dict] | None = None
) -> ContractResult:
    """Every example of ``contract`` (then ``extra_examples``) against the deployment."""
    url = target_url(deployment_url, contract["path"])
    method = contract["method"]
    schema = contract.get("response_schema", {})
    budget = contract.get("latency_budget_ms")
    results = [
        run_example(url=url, method=method, example=example, schema=schema, budget_ms=budget)
        for example in [*contract.get("examples", []), *(extra_examples or [])]
    ]
    failed = [result for result in results if not result.ok]
    latencies = [result.latency_ms for result in results if result.latency_ms is not None]
    # The check's own status is the first failing example's (else the last one's): the one a
    # reader of the contract fields wants to see.
    shown = failed[0] if failed else (results[-1] if results else None)
    if failed:
        first = failed[0]
        error = _("%(failed)s of %(total)s examples failed; “%(name)s”: %(error)s") % {
            "failed": len(failed),
            "total": len(results),
            "name": first.name,
            "error": first.error,
        }
    else:
        error = ""
    return ContractResult(
        ok=bool(results) and not failed,
        status_code=shown.status_code if shown else None,
        latency_ms=max(latencies) if latencies else None,
        error=str(error)[:ERROR_CHARS],
        examples=[result.as_dict() for result in results],
    )
