"""Settings for the ``celery worker`` processes the integration tests start.

The real configuration (the broker, database and email come from the environment the test
gives the process), plus two test-only knobs: a claim lease short enough for a test to wait
out, and an email backend that can be slowed down so a test can kill the worker mid-send.
"""

import os

from tracker.settings import *  # noqa: F403

EMAIL_BACKEND = "tests.integration.slow_email.SlowFileBackend"
EMAIL_FILE_PATH = os.environ["STRIDE_TEST_EMAIL_DIR"]
STRIDE_TEST_EMAIL_DELAY = float(os.environ.get("STRIDE_TEST_EMAIL_DELAY", "0"))
STRIDE_EMAIL_CLAIM_LEASE_SECONDS = int(os.environ.get("STRIDE_EMAIL_CLAIM_LEASE_SECONDS", "120"))
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
