import os

from django.apps import AppConfig
from django.conf import settings


class TrackerConfig(AppConfig):
    name = "tracker"
    verbose_name = "Stride"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Receivers for the lower apps' events (submission made, review saved, help asked).
        from . import receivers  # noqa: F401

        # Query and cache metering, tracing (GET /metrics, OTEL_EXPORTER_OTLP_ENDPOINT).
        from .observability import cache, metrics, tracing

        # The one receiver that keeps the stored progress rows fresh (progress_inputs_changed).
        from .progress import freshness  # noqa: F401

        # Every database query is counted and timed, every cache call counted.
        metrics.install()
        cache.install()
        # Traces only when a collector is configured; nothing of OpenTelemetry is imported else.
        if settings.OTEL_EXPORTER_OTLP_ENDPOINT:
            tracing.tracing_init(
                endpoint=settings.OTEL_EXPORTER_OTLP_ENDPOINT,
                service_name=os.environ.get("OTEL_SERVICE_NAME") or "stride",
            )
