from django.apps import AppConfig


class SecurityConfig(AppConfig):
    """A small app of its own so its start-up hooks need no edit of ``tracker.apps``: the audit
    trail's registration (historical models in the ``tracker`` app) and the sign-in receivers."""

    name = "tracker.security"
    label = "stride_security"
    verbose_name = "Stride security"

    def ready(self) -> None:
        from tracker.security import audit  # noqa: F401

        from . import receivers  # noqa: F401
