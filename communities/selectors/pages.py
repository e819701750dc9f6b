"""Reads shaped for the public rules page and the landing page, and the cache stamp of a
community's pages.

Query budgets (asserted in tests on a community of 200 buildings × 100 units):
`rules_page_context` ≤ 7 queries, `community_cache_stamp` 1. Units are never loaded in
bulk: the page ships buildings only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db import connection
from django.db.models import OuterRef, Q, QuerySet

from core.db import prepared_cursor

from ..models import (
    Building,
    Community,
    DeliveryFacility,
    DeliveryRules,
    Gate,
    ParkingZone,
    RestStation,
)
from ..rules_sources import decision_pending_subquery, notices_for

#: Landing-page search returns at most this many communities per page.
SEARCH_PAGE_SIZE = 20


@dataclass(frozen=True)
class CacheStamp:
    """What a cache key for a community's pages needs: its id and a version that changes
    with any change inside it (`updated_at`, bumped by communities.signals)."""

    id: int
    version: str


def community_cache_stamp(slug: str) -> CacheStamp | None:
    """The stamp of the community `slug`, or None. One indexed query, issued as plain SQL
    and prepared on the server (core.db): it runs on every cached page view, where the
    ORM's query building and PostgreSQL's planning would cost more than the query itself."""
    cursor = prepared_cursor()
    cursor.execute(_STAMP_SQL, [slug])
    row = cursor.fetchone()
    if row is None:
        return None
    pk, updated_at = row
    return CacheStamp(id=pk, version=f"{pk}.{updated_at}".replace(" ", "T"))


_STAMP_SQL = "SELECT {id}, {updated_at} FROM {table} WHERE {slug} = %s".format(  # noqa: S608 - names from the models, values bound
    id=connection.ops.quote_name(Community._meta.pk.column),
    updated_at=connection.ops.quote_name(Community._meta.get_field("updated_at").column),
    table=connection.ops.quote_name(Community._meta.db_table),
    slug=connection.ops.quote_name(Community._meta.get_field("slug").column),
)


def community_public_get(slug: str) -> Community | None:
    """The community with its company (one query), or None."""
    return Community.objects.select_related("company").filter(slug=slug).first()


@dataclass
class RulesPageData:
    """Everything the rules page shows, loaded in a fixed number of queries."""

    community: Community
    rules: DeliveryRules | None
    gates: list[Gate]
    parking_zones: list[ParkingZone]
    rest_stations: list[RestStation]
    facilities: list[DeliveryFacility]
    buildings: list[Building]
    notices: list[Any] = field(default_factory=list)
    rider_gates: list[Gate] = field(init=False)

    def __post_init__(self) -> None:
        self.rider_gates = [g for g in self.gates if g.open_to_riders]

    @property
    def has_site_map(self) -> bool:
        return bool(self.community.site_map)

    @property
    def resolution(self) -> Any:
        """The owners' resolution that set the current rules, or None (loaded with the
        rules: governance's `RulesDecision` is the rules' reverse one-to-one)."""
        decision = getattr(self.rules, "decision", None) if self.rules is not None else None
        return decision.resolution if decision is not None else None

    @property
    def decision_pending(self) -> int | None:
        """Number of the owners' no-entry resolution whose new rules wait for the
        hand-off point (carried by the rules query), or None."""
        return getattr(self.rules, "decision_pending", None) if self.rules is not None else None

    def finder_buildings(self) -> list[list[Any]]:
        """``[id, number]`` of each building, for the page's finder to match a building
        number when the server cannot be asked. Kept short: a community may have
        hundreds of buildings, and never ships its units."""
        return [[b.pk, b.number] for b in self.buildings]


def _rules_with_decision() -> Any:
    # The resolution that set a rules version lives in governance (RulesDecision, the
    # rules' reverse one-to-one "decision"); joined here so it costs no extra query. So
    # does a passed no-entry resolution still waiting for its hand-off point (a subquery:
    # `decision_pending`, its number), which the page announces (communities.rules_sources).
    return DeliveryRules.objects.select_related("decision__resolution").annotate(
        decision_pending=decision_pending_subquery(OuterRef("community_id"))
    )


def rules_current_with_community(
    community_id: int | None = None, *, slug: str | None = None
) -> DeliveryRules | None:
    """The current rules with their community, company and deciding resolution (one
    query), by community id or slug. Every community has rules from its creation, so
    this also loads the community for the page."""
    queryset = _rules_with_decision().select_related("community__company")
    if slug is not None:
        queryset = queryset.filter(community__slug=slug)
    else:
        queryset = queryset.filter(community_id=community_id)
    return queryset.newest_first().first()


_NO_RULES = object()


def rules_page_context(community: Community, *, rules: Any = _NO_RULES) -> RulesPageData:
    """The rules page's data: current rules (with the resolution that set them), gates,
    parking zones, rest stations, facilities, buildings and current notices (seven
    queries; six when `rules` is given; one more if `community.company` is not loaded)."""
    community.company  # noqa: B018 - loaded here so the count is fixed, not in a template
    if rules is _NO_RULES:
        rules = _rules_with_decision().current_of(community)
    return RulesPageData(
        community=community,
        rules=rules,
        gates=list(Gate.objects.filter(community=community).order_by("name")),
        parking_zones=list(ParkingZone.objects.filter(community=community).order_by("name")),
        rest_stations=list(RestStation.objects.filter(community=community).order_by("name")),
        facilities=list(
            DeliveryFacility.objects.filter(community=community).order_by("kind", "name")
        ),
        buildings=list(
            Building.objects.filter(community=community)
            .only("id", "community_id", "number", "name", "x_pct", "y_pct")
            .order_by("number")
        ),
        notices=notices_for(community),
    )


def communities_search(query: str = "") -> QuerySet[Community]:
    """Communities whose name or address contains `query` (case-insensitive), by name,
    each annotated with `entry_policy` of its current rules (one query per page)."""
    qs = (
        Community.objects.only("id", "slug", "name", "address")
        .annotate(entry_policy=DeliveryRules.objects.current_value("entry_policy", OuterRef("pk")))
        .order_by("name", "id")
    )
    query = " ".join(query.split())
    if query:
        qs = qs.filter(Q(name__icontains=query) | Q(address__icontains=query))
    return qs
