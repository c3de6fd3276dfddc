"""Stride: the project package and the top layer (progress engine, reminders, dashboards)."""

from .celery import app as celery_app

__all__ = ["celery_app"]
