"""What the rules page shows of the room above communities, handed in at start-up.

The rules page is communities' (rules, gates, places), yet two of its parts are
governance's: the notices staff publish, and the owners' no-entry resolution that passed
and still waits for its hand-off point (the page and a gate's page announce it). Governance
sits above communities and is imported by none of it (docs/architecture.md), so it
registers one function for each in its AppConfig.ready() through `rules_sources_register`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.db.models import Expression, OuterRef

# OuterRef to a community id -> a subquery of the pending resolution's number (or NULL),
# so a page's rules query carries it at no extra query.
DecisionPendingSubquery = Callable[[OuterRef], Expression]
Notices = Callable[[Any], list[Any]]


@dataclass
class RulesSources:
    decision_pending_subquery: DecisionPendingSubquery | None = None
    notices: Notices | None = None


registered = RulesSources()


def rules_sources_register(
    *,
    decision_pending_subquery: DecisionPendingSubquery,
    notices: Notices,
) -> None:
    registered.decision_pending_subquery = decision_pending_subquery
    registered.notices = notices


def _missing(what: str) -> ImproperlyConfigured:
    return ImproperlyConfigured(
        f"No {what} for the rules page: governance registers it in ready()."
    )


def decision_pending_subquery(community_ref: OuterRef) -> Expression:
    """The number of the community's passed no-entry resolution still waiting for its
    hand-off point, as a subquery on `community_ref` (NULL: none)."""
    if registered.decision_pending_subquery is None:
        raise _missing("pending-decision source")
    return registered.decision_pending_subquery(community_ref)


def notices_for(community: Any) -> list[Any]:
    """The community's current notices, newest first (one query)."""
    if registered.notices is None:
        raise _missing("notices source")
    return registered.notices(community)
