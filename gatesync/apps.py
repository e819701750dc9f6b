from django.apps import AppConfig


class GatesyncConfig(AppConfig):
    name = "gatesync"

    def ready(self) -> None:
        # Listens to communities' domain signals (rules published, a gate's rules or a
        # controller changed); the Celery tasks are found by autodiscover_tasks.
        from . import receivers  # noqa: F401
