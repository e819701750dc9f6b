from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    """The kernel below every app: audit, ids, uploads, media, cache, security, masking,
    QR drawing and the table reader. It imports no app (docs/architecture.md; `make test`
    checks it)."""

    name = "core"
    verbose_name = _("Core")

    def ready(self) -> None:
        from .security import signals  # noqa: F401 - connects the receivers
