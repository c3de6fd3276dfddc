"""The Celery application, configured from Django settings (``CELERY_`` namespace)."""

import os

from celery import Celery
from celery.signals import before_task_publish, task_postrun, task_prerun

from tracker.observability import celery_context

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tracker.settings")

app = Celery("tracker")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# The request id of the request (or task) that publishes a task is carried into its log lines.
before_task_publish.connect(celery_context.add_request_id, weak=False)
task_prerun.connect(celery_context.enter_task, weak=False)
task_postrun.connect(celery_context.leave_task, weak=False)
