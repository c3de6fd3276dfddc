from django.apps import AppConfig


class TrackerConfig(AppConfig):
    name = "tracker"
    verbose_name = "Stride"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Receivers for the lower apps' events (submission made, review saved, help asked).
        from . import receivers  # noqa: F401
