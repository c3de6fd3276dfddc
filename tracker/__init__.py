"""Stride's project package: the wiring (settings, urls, Celery app, health, admin, commands,
receivers, tasks), the two interfaces (``api``, ``web``) and the feature rooms (``progress``,
``notifications``, ``roster``, ``security``, ``seed`` …). The bands and what each may import
are the import-linter contract in ``pyproject.toml``; docs/ARCHITECTURE.md draws them."""

from .celery import app as celery_app

__all__ = ["celery_app"]
