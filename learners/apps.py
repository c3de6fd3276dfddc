from django.apps import AppConfig


class LearnersConfig(AppConfig):
    name = "learners"
    default_auto_field = "django.db.models.BigAutoField"
