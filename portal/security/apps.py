from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SecurityConfig(AppConfig):
    name = "portal.security"
    label = "portal_security"
    verbose_name = _("Security")

    def ready(self) -> None:
        from . import signals  # noqa: F401 - connects the receivers
