"""The integration suite's worker fixtures (a real ``celery worker`` against a private Redis),
for ``test_request_id_worker``."""

from tests.integration.test_reminders_worker import (  # noqa: F401 (fixtures)
    email_dir,
    review_setup,
    workers,
)
