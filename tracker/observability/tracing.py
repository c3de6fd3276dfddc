"""Traces to an OpenTelemetry collector (OTLP over HTTP): only when
``OTEL_EXPORTER_OTLP_ENDPOINT`` is set, from ``TrackerConfig.ready``.

The packages are the optional extra ``stride[otel]``; without the variable nothing of
OpenTelemetry is imported. With the variable but without the packages, startup logs an error
naming the install command and Stride runs untraced. The exporter reads the standard
``OTEL_EXPORTER_OTLP_*`` variables itself (the endpoint gets ``/v1/traces`` appended, headers,
timeout); ``OTEL_SERVICE_NAME`` overrides the service name ``stride``. Imports nothing of Stride.
"""

from __future__ import annotations

import logging

logger = logging.getLogger(__name__)

MISSING_PACKAGES = (
    "OTEL_EXPORTER_OTLP_ENDPOINT is set but the OpenTelemetry packages are not installed; "
    "traces are NOT exported. Install them with: pip install 'stride[otel]'"
)

_installed = False


def tracing_init(*, endpoint: str, service_name: str = "stride") -> bool:
    """Export spans of every request (Django) and task (Celery) through a batch processor;
    True when tracing is on."""
    global _installed
    if not endpoint or _installed:
        return _installed
    try:
        from opentelemetry import trace
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
        from opentelemetry.instrumentation.celery import CeleryInstrumentor
        from opentelemetry.instrumentation.django import DjangoInstrumentor
        from opentelemetry.sdk.resources import SERVICE_NAME, Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor
    except ImportError as exc:
        logger.error("%s (%s)", MISSING_PACKAGES, exc)
        return False
    provider = TracerProvider(resource=Resource.create({SERVICE_NAME: service_name}))
    # The batch processor exports from its own thread and starts it again in a forked child
    # (gunicorn and Celery prefork workers).
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    trace.set_tracer_provider(provider)
    DjangoInstrumentor().instrument(tracer_provider=provider)
    CeleryInstrumentor().instrument(tracer_provider=provider)
    _installed = True
    logger.info("Exporting traces to %s as %s", endpoint, service_name)
    return True
