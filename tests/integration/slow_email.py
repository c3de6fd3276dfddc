"""A file email backend that waits before writing: a window to kill the worker mid-send."""

import time

from django.conf import settings
from django.core.mail.backends.filebased import EmailBackend


class SlowFileBackend(EmailBackend):
    def send_messages(self, email_messages):
        time.sleep(getattr(settings, "STRIDE_TEST_EMAIL_DELAY", 0))
        return super().send_messages(email_messages)
