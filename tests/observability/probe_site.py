"""A Django process for the Sentry and OpenTelemetry tests: ``python -m
tests.observability.probe_site MODE`` with the environment the test chooses.

Settings are the real ones (``tracker.settings``, which reads ``SENTRY_DSN`` and
``OTEL_EXPORTER_OTLP_ENDPOINT``), plus two routes before Stride's own: ``probe/boom`` raises,
``probe/ok`` answers. ``tests/observability/test_multiprocess_and_compose.py`` also serves it
with gunicorn.
The process serves Django's WSGI application on a free port of 127.0.0.1, sends its requests to
it over HTTP, flushes what the SDKs hold and prints one JSON line about itself.

Modes: ``boom`` (a POST with a body, cookies, an authorization header and a signed-in user with
an email address that raises), ``ok`` (one GET), ``idle`` (only starts Django).
"""

from __future__ import annotations

import json
import os
import sys

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.observability.probe_site")

if os.environ["DJANGO_SETTINGS_MODULE"] == "tests.observability.probe_site":
    from tracker.settings import *  # noqa: F403

    DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
    ROOT_URLCONF = "tests.observability.probe_site"
    ALLOWED_HOSTS = ["127.0.0.1"]
    CELERY_BROKER_URL = "memory://"
    # No tables in the probe's database: the session is read from its (here invalid) cookie,
    # so the middleware that asks who is signed in (two-factor, language) needs none.
    SESSION_ENGINE = "django.contrib.sessions.backends.signed_cookies"


class BoomError(RuntimeError):
    pass


def boom(request):
    from django.contrib.auth.models import User

    # Signed in as someone with an email address (no database needed). The address is put
    # together at run time so that the source lines Sentry sends do not contain it.
    email = "@".join(["lena.private", "example.org"])
    request.user = User(id=7, username="lena", email=email)
    raise BoomError(f"the probe view failed for {email}")


def ok(request):
    from django.http import HttpResponse

    return HttpResponse("ok")


def _urls():
    from django.urls import include, path
    from django.views.decorators.csrf import csrf_exempt

    return [
        path("probe/boom", csrf_exempt(boom)),
        path("probe/ok", ok),
        path("", include("tracker.urls")),
    ]


def _serve():
    """Django's WSGI application on a free port of 127.0.0.1 (wsgiref), in a thread."""
    import threading
    from wsgiref.simple_server import WSGIRequestHandler, make_server

    from django.core.wsgi import get_wsgi_application

    class Quiet(WSGIRequestHandler):
        def log_message(self, *args):
            pass

    server = make_server("127.0.0.1", 0, get_wsgi_application(), handler_class=Quiet)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def _request(url: str, **kwargs) -> int:
    import urllib.error
    import urllib.request

    try:
        with urllib.request.urlopen(urllib.request.Request(url, **kwargs), timeout=30) as answer:
            return answer.status
    except urllib.error.HTTPError as error:
        return error.code


def main(mode: str) -> None:
    server = _serve()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    status = None
    if mode == "boom":
        status = _request(
            f"{base}/probe/boom?email=lena.private%40example.org",
            data=json.dumps({"password": "secret-body-password"}).encode(),
            method="POST",
            headers={
                "Content-Type": "application/json",
                "Cookie": "sessionid=secret-session-cookie",
                "Authorization": "Token secret-api-token",
            },
        )
    elif mode == "ok":
        status = _request(f"{base}/probe/ok")
    server.shutdown()
    if "sentry_sdk" in sys.modules:
        import sentry_sdk

        sentry_sdk.flush(timeout=10)
    if "opentelemetry.trace" in sys.modules:
        from opentelemetry import trace

        provider = trace.get_tracer_provider()
        if hasattr(provider, "force_flush"):
            provider.force_flush(10_000)
    print(
        json.dumps(
            {
                "status": status,
                "sentry_imported": "sentry_sdk" in sys.modules,
                # redis-py imports opentelemetry's API by itself when it is installed; the
                # instrumentation is Stride's alone.
                "otel_instrumented": any(
                    name.startswith("opentelemetry.instrumentation") for name in sys.modules
                ),
            }
        )
    )


def __getattr__(name: str):
    # The routes are built on first use (the first request), after Django is set up: Stride's
    # URL module imports the admin, which needs the app registry.
    if name == "urlpatterns":
        return _urls()
    raise AttributeError(name)


if __name__ == "__main__":
    main(sys.argv[1])
