# The Stride application image: one image for web (gunicorn), worker and beat.
# Reproducible: Python packages come only from requirements/prod.txt (exact versions, checked
# against their sha256 hashes); see docs/OPERATIONS.md, "Building the image".
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    STRIDE_VAR_DIR=/app/var \
    PYTHONPATH=/app

WORKDIR /app

# The PostgreSQL client, so `make backup` / `make restore` (bin/backup, bin/restore: pg_dump and
# pg_restore) run inside the image. pg_dump must be at least the server's major version:
# Debian 12 (bookworm, this image's base) ships postgresql-client-15, the same major as
# docker-compose.yml's postgres:15 server. A newer server needs PGDG's postgresql-client-NN.
RUN apt-get update \
    && apt-get install -y --no-install-recommends postgresql-client-15 make gettext \
    && rm -rf /var/lib/apt/lists/*

# Dependencies first, so code changes do not reinstall them: the locked image set (runtime +
# otel, no SQLAlchemy), every file checked against its hash, nothing resolved at build time.
# The code itself runs from /app (templates/ and static/ are found next to it, PYTHONPATH).
COPY requirements/prod.txt requirements/prod.txt
RUN pip install --no-input --require-hashes --no-deps -r requirements/prod.txt \
    && pip check

# The translation catalogues are compiled here (locale/*/LC_MESSAGES/django.mo is build output,
# not kept in git; gettext's msgfmt does it).
COPY . .
RUN DJANGO_DEBUG=false DJANGO_SECRET_KEY=build-only DJANGO_ALLOWED_HOSTS=build \
       CELERY_BROKER_URL=redis://build:6379/0 \
       python manage.py collectstatic --noinput \
    && DJANGO_DEBUG=false DJANGO_SECRET_KEY=build-only DJANGO_ALLOWED_HOSTS=build \
       CELERY_BROKER_URL=redis://build:6379/0 \
       python manage.py messages --compile \
    && useradd --system --uid 1000 --home-dir /app stride \
    && mkdir -p /app/var/backups \
    && chown -R stride /app/var

USER stride
EXPOSE 8000

# Probes /healthz the way a load balancer would (plain HTTP, an allowed Host, the proxy header).
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "bin/healthcheck"]

# The access log masks the calendar feed's and a reset link's secret and carries the request id
# (tracker/observability/access_log.py).
CMD ["sh", "-c", "gunicorn tracker.wsgi:application --bind 0.0.0.0:8000 --workers ${WEB_CONCURRENCY:-3} --timeout 60 --access-logfile - --logger-class tracker.observability.access_log.AccessLogger --access-logformat '%(h)s %(t)s \"%(r)s\" %(s)s %(b)s %(M)sms rid=%({x-request-id}o)s'"]
