from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RidersConfig(AppConfig):
    name = "riders"
    verbose_name = _("Riders")

    def ready(self) -> None:
        # Gate sync, below riders, sends controllers riders' public pass keys and riders'
        # names; it gets them from these providers (services import models: not before
        # the app registry is ready, hence here).
        from gatesync.interface import providers_register

        from .services.gate_access import published_keys, rider_names

        providers_register(published_keys=published_keys, person_names=rider_names)
