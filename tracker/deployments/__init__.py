"""The capstone deployment check and the live-model check (a room beside notifications).

- ``guard``: requests to a learner's URL treated as hostile input (SSRF): checked addresses,
  pinned connections, timeouts, size caps, redirects by hand. Imports nothing of Stride;
  ``address_refusal``, ``resolve_checked``, ``fetch`` and ``check_url`` are re-exported here.
- ``live``: sends each example of the prediction contract and judges the answer (status,
  JSON Schema with errors as JSON pointers, the expected value, the latency budget).
- ``services``: one check stored (``deployment_check_run``, the task ``check_deployment``),
  "check now" (``deployment_check_request``), the daily re-check and the hourly check of
  approved capstones (``deployment_recheck_all``, ``capstone_check_all``), the mentor's extra
  examples (``prediction_examples_set``).
- ``selectors``: what the pages and the API show (``live_check``, ``cohort_capstones``).

"Passing" is ``DeploymentCheck.ok``; ``latest_check`` / ``latest_passing_check`` live in
``learners.selectors`` (so any room may read them) and are re-exported here. Imports the lower
apps, ``tracker.jobs`` and nothing beside it.
"""

from learners.selectors import latest_check, latest_passing_check
from tracker.deployments.guard import (
    METADATA_ADDRESSES,
    CheckRefused,
    CheckResult,
    address_refusal,
    check_url,
    fetch,
    resolve_checked,
)
from tracker.deployments.selectors import cohort_capstones, latest_deployed_capstone, live_check
from tracker.deployments.services import (
    approved_capstones_to_check,
    capstone_check_all,
    deployment_check_request,
    deployment_check_run,
    deployment_recheck_all,
    prediction_examples_set,
    submissions_to_recheck,
)

__all__ = [
    "METADATA_ADDRESSES",
    "CheckRefused",
    "CheckResult",
    "address_refusal",
    "approved_capstones_to_check",
    "capstone_check_all",
    "check_url",
    "cohort_capstones",
    "deployment_check_request",
    "deployment_check_run",
    "deployment_recheck_all",
    "fetch",
    "latest_check",
    "latest_deployed_capstone",
    "latest_passing_check",
    "live_check",
    "prediction_examples_set",
    "resolve_checked",
    "submissions_to_recheck",
]
