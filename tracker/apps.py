from django.apps import AppConfig


class TrackerConfig(AppConfig):
    name = "tracker"
    verbose_name = "Stride"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Receivers for the lower apps' events (submission made, review saved, help asked).
        from . import receivers  # noqa: F401

        # The one receiver that keeps the stored progress rows fresh (progress_inputs_changed).
        from .progress import freshness  # noqa: F401
