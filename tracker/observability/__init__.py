"""Observability: what an operator sees of a running Stride (docs/OPERATIONS.md, "Errors and
traces", "Metrics and alerts", "Logs").

- ``context``: the request id (and the running task's id and name) of the current request or
  task, in context variables.
- ``logs``: the logging filter that adds them to every record, and the JSON and text formatters
  ``DJANGO_LOG_FORMAT`` chooses between.
- ``middleware``: the request-id middleware and the request metrics middleware.
- ``celery_context``: carries the request id from a request into the tasks it publishes.
- ``errors``: Sentry, only when ``SENTRY_DSN`` is set (``sentry_sdk`` is not imported otherwise),
  without personal data.
- ``tracing``: OpenTelemetry export, only when ``OTEL_EXPORTER_OTLP_ENDPOINT`` is set.
- ``metrics``: the process's request, database and cache metrics (prometheus-client, multiprocess
  mode under ``PROMETHEUS_MULTIPROC_DIR``) and the exposition; ``cache`` the metered cache
  wrapper; ``collector`` Stride's own figures, read from the database and the broker at scrape
  time in a constant number of queries; ``views`` the protected ``GET /metrics``.

A room beside notifications, calendar …: it reads ``tracker.models``, ``tracker.progress`` and the
lower apps, and nothing above. ``context``, ``logs`` and ``errors`` import nothing of Stride, so
settings can load them before Django is set up. This ``__init__`` imports nothing.
"""
