from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from communities.rules_sources import rules_sources_register


class GovernanceConfig(AppConfig):
    name = "governance"
    verbose_name = _("Governance")

    def ready(self) -> None:
        from . import effects, signals  # noqa: F401  (effects registers its generated notes)
        from .selectors import entry_decision_pending_subquery, notices_for

        # The rules page shows governance's notices and pending decision without
        # communities importing governance (communities/rules_sources.py).
        rules_sources_register(
            decision_pending_subquery=entry_decision_pending_subquery,
            notices=notices_for,
        )
