"""Shared fixtures. Service fixtures (throwaway PostgreSQL/Redis) live in tests/services.py."""

import os

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
