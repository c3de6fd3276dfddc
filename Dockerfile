# The Stride application image: one image for web (gunicorn), worker and beat.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    STRIDE_VAR_DIR=/app/var \
    PYTHONPATH=/app

WORKDIR /app

# Dependencies first, so code changes do not reinstall them. The code itself runs from /app
# (templates/ and static/ are found next to it), so the package is uninstalled again.
COPY pyproject.toml README.md ./
COPY curriculum/__init__.py curriculum/
COPY learners/__init__.py learners/
COPY mentors/__init__.py mentors/
COPY tracker/__init__.py tracker/
RUN pip install . && pip uninstall -y stride

COPY . .
RUN DJANGO_DEBUG=false DJANGO_SECRET_KEY=build-only DJANGO_ALLOWED_HOSTS=build \
       python manage.py collectstatic --noinput \
    && useradd --system --uid 1000 --home-dir /app stride \
    && mkdir -p /app/var \
    && chown -R stride /app/var

USER stride
EXPOSE 8000

# Probes /healthz the way a load balancer would (plain HTTP, an allowed Host, the proxy header).
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "bin/healthcheck"]

CMD ["sh", "-c", "gunicorn tracker.wsgi:application --bind 0.0.0.0:8000 --workers ${WEB_CONCURRENCY:-3} --timeout 60 --access-logfile -"]
