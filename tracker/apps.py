import importlib.util
import os

from django.apps import AppConfig
from django.conf import settings
from django.core import checks


class TrackerConfig(AppConfig):
    name = "tracker"
    verbose_name = "Stride"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        checks.register(embedded_broker_check)
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


def embedded_broker_check(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """The embedded broker (Kombu's SQLAlchemy transport, the default without REDIS_URL) needs
    SQLAlchemy, which only the `embedded` extra installs (`make run` has it, the image has not):
    say so before a worker fails with an import error."""
    url = str(getattr(settings, "CELERY_BROKER_URL", "") or "")
    if not url.lower().startswith("sqla+") or _installed("sqlalchemy"):
        return []
    return [
        checks.Error(
            "The Celery broker is the embedded SQLAlchemy transport, but SQLAlchemy is not "
            "installed.",
            hint="Set REDIS_URL (or CELERY_BROKER_URL) to a Redis server, as the image expects, "
            "or install the embedded extra: pip install 'stride[embedded]'.",
            id="stride.E001",
        )
    ]


def _installed(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except ImportError:
        return False
