"""Reads shaped for the public rules page, the house-number finder and the landing page.

Query budgets (asserted in tests on a community of 200 buildings × 100 units):
`rules_page_context` ≤ 7 queries, `house_find` ≤ 4, `community_cache_stamp` 1.
Units are never loaded in bulk: the page ships buildings only; a full house number is
checked with one EXISTS-style query.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import Count, OuterRef, Q, QuerySet

from .housenumber import HouseNumber, house_number_parse
from .models import (
    Building,
    Community,
    DeliveryFacility,
    DeliveryRules,
    Gate,
    ParkingZone,
    RestStation,
    Unit,
)

#: Landing-page search returns at most this many communities per page.
SEARCH_PAGE_SIZE = 20


@dataclass(frozen=True)
class CacheStamp:
    """What a cache key for a community's pages needs: its id and a version that changes
    with any change inside it (`updated_at`, bumped by communities.signals)."""

    id: int
    version: str


def community_cache_stamp(slug: str) -> CacheStamp | None:
    """The stamp of the community `slug`, or None. One indexed query, issued as plain SQL:
    it runs on every cached page view, where the ORM's query building would cost more
    than the query itself."""
    with connection.cursor() as cursor:
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
    # `decision_pending`, its number), which the page announces.
    from governance.selectors import entry_decision_pending_subquery

    return DeliveryRules.objects.select_related("decision__resolution").annotate(
        decision_pending=entry_decision_pending_subquery(OuterRef("community_id"))
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
    from governance.selectors import notices_for

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


# --- the house-number finder ------------------------------------------------------------


@dataclass
class FindResult:
    """The finder's answer. `error` is a short code when nothing was found:
    ``unreadable`` (not a house number) or ``no_building`` (no such building here)."""

    query: str
    parsed: HouseNumber | None
    building: Building | None = None
    unit_exists: bool | None = None  # None: no room given, nothing to check
    entrance_exists: bool | None = None
    gate: Gate | None = None
    parking_zone: ParkingZone | None = None
    error: str | None = None

    @property
    def found(self) -> bool:
        return self.building is not None

    def as_dict(self) -> dict[str, Any]:
        def marker(obj: Any) -> dict[str, Any] | None:
            if obj is None:
                return None
            return {"id": obj.pk, "name": str(obj), "x": _num(obj.x_pct), "y": _num(obj.y_pct)}

        building = marker(self.building)
        if building is not None:
            building["number"] = self.building.number
        return {
            "query": self.query,
            "found": self.found,
            "error": self.error,
            "parsed": self.parsed.as_dict() if self.parsed else None,
            "building": building,
            "entrance_exists": self.entrance_exists,
            "unit_exists": self.unit_exists,
            "gate": marker(self.gate),
            "parking_zone": marker(self.parking_zone),
        }


def _num(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def _nearest(origin: Building, candidates: list, aspect: float) -> Any:
    """The candidate with a marker nearest to `origin`'s marker (Euclidean distance on
    the map, percent coordinates scaled by the image's aspect ratio); ties by name."""
    if not origin.has_marker:
        return None
    best, best_distance = None, math.inf
    ox, oy = float(origin.x_pct), float(origin.y_pct)
    for c in candidates:
        if not c.has_marker:
            continue
        distance = math.hypot((float(c.x_pct) - ox) * aspect, float(c.y_pct) - oy)
        if distance < best_distance:
            best, best_distance = c, distance
    return best


def _aspect(community: Community) -> float:
    """Width / height of the site map, so that 1 % across and 1 % down weigh true to the
    image; 1 when unknown."""
    if community.site_map_width and community.site_map_height:
        return community.site_map_width / community.site_map_height
    return 1.0


def _check_home(result: FindResult, building: Building, parsed: HouseNumber) -> None:
    """Whether the entrance / home exist, in one query over the building's units. A
    dashed pair such as ``7-2`` reads as building 7, room 2; when there is no room 2 but
    there is an entrance 2, the answer is re-read as the entrance."""
    entrance_q = Q(entrance__in=_building_candidates(parsed.entrance)) if parsed.entrance else Q()
    counts: dict[str, Any] = {}
    if parsed.room is not None:
        counts["room"] = Count("pk", filter=entrance_q & Q(number__iexact=parsed.room))
        if parsed.entrance is None:
            counts["as_entrance"] = Count(
                "pk", filter=Q(entrance__in=_building_candidates(parsed.room))
            )
    else:
        counts["entrance"] = Count("pk", filter=entrance_q)
    found = Unit.objects.filter(building=building).aggregate(**counts)
    if parsed.room is None:
        result.entrance_exists = found["entrance"] > 0
    elif found["room"] == 0 and found.get("as_entrance"):
        result.parsed = HouseNumber(
            building=parsed.building, entrance=parsed.room.lstrip("0") or "0"
        )
        result.entrance_exists = True
    else:
        result.unit_exists = found["room"] > 0


def _building_candidates(number: str) -> set[str]:
    candidates = {number, number.lower()}
    if number.isdigit():
        candidates.add(number.zfill(2))  # signs written "07"
    return candidates


def house_find(
    community: Community,
    query: str,
    *,
    buildings: list[Building] | None = None,
    gates: list[Gate] | None = None,
    parking_zones: list[ParkingZone] | None = None,
) -> FindResult:
    """Find a house number (``7-2-1503``, ``7栋2单元1503室``, ``Building 7`` …) in the
    community: its building, whether the entrance and home exist, the nearest gate open
    to riders and the nearest parking zone. Pass lists already loaded for the page to
    save their queries; otherwise at most four queries."""
    parsed = house_number_parse(query)
    result = FindResult(query=query, parsed=parsed)
    if parsed is None:
        result.error = "unreadable"
        return result

    candidates = _building_candidates(parsed.building)
    if buildings is not None:
        matches = [b for b in buildings if b.number in candidates or b.number.upper() in candidates]
        building = matches[0] if matches else None
    else:
        building = (
            Building.objects.filter(community=community)
            .filter(Q(number__in=candidates) | Q(number__iexact=parsed.building))
            .first()
        )
    if building is None:
        result.error = "no_building"
        return result
    result.building = building

    if parsed.entrance is not None or parsed.room is not None:
        _check_home(result, building, parsed)

    if gates is None:
        gates = list(Gate.objects.filter(community=community, open_to_riders=True))
    if parking_zones is None:
        parking_zones = list(ParkingZone.objects.filter(community=community))
    aspect = _aspect(community)
    result.gate = _nearest(building, [g for g in gates if g.open_to_riders], aspect)
    result.parking_zone = _nearest(building, parking_zones, aspect)
    return result


# --- the landing page -----------------------------------------------------------------


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


# --- what a rider should do at one gate -------------------------------------------------

#: GateAdvice.kind values.
ADVICE_ENTER = "enter"  # this gate admits riders: register (or show the pass) here
ADVICE_OTHER_GATE = "other_gate"  # closed to riders; other gates admit them
ADVICE_HANDOFF = "handoff"  # riders may not enter the community at all (no_entry, or no rider gate)


@dataclass(frozen=True)
class GateAdvice:
    """What is true for a rider at one gate. The gate page (/r/<code>/) and the gate's
    poster both say it from this one answer, so the two can never disagree.

    `use_gates`: for `other_gate`, the gates that admit riders, nearest to this one first.
    `handoff_point`: the rules' hand-off point (may be empty when riders may not enter only
    because no gate admits them: then the page and the poster send them to the office)."""

    kind: str
    gate: Gate
    policy: str
    use_gates: tuple[Gate, ...] = ()
    handoff_point: str = ""
    rules: DeliveryRules | None = None

    @property
    def is_enter(self) -> bool:
        return self.kind == ADVICE_ENTER

    @property
    def is_other_gate(self) -> bool:
        return self.kind == ADVICE_OTHER_GATE

    @property
    def is_handoff(self) -> bool:
        return self.kind == ADVICE_HANDOFF


def gate_advice(
    gate: Gate, *, rules: Any = _NO_RULES, gates: list[Gate] | None = None
) -> GateAdvice:
    """The advice for a rider at `gate`. Pass the community's current `rules` and all its
    `gates` when already loaded (lists, posters of many gates); otherwise two queries."""
    from .models import EntryPolicy

    if rules is _NO_RULES:
        rules = DeliveryRules.objects.current_of(gate.community_id)
    if gates is None:
        gates = list(Gate.objects.filter(community_id=gate.community_id).order_by("name"))
    # A community without published rules behaves as "registered" (riders.views did so).
    policy = rules.entry_policy if rules is not None else EntryPolicy.REGISTERED
    handoff = (rules.handoff_point or "").strip() if rules is not None else ""
    rider_gates = [g for g in gates if g.open_to_riders and g.pk != gate.pk]
    if policy == EntryPolicy.NO_ENTRY or not (gate.open_to_riders or rider_gates):
        return GateAdvice(ADVICE_HANDOFF, gate, policy, handoff_point=handoff, rules=rules)
    if gate.open_to_riders:
        return GateAdvice(ADVICE_ENTER, gate, policy, handoff_point=handoff, rules=rules)
    return GateAdvice(
        ADVICE_OTHER_GATE,
        gate,
        policy,
        use_gates=tuple(_by_distance(gate, rider_gates, _aspect(gate.community))),
        handoff_point=handoff,
        rules=rules,
    )


def _by_distance(origin: Gate, candidates: list[Gate], aspect: float) -> list[Gate]:
    """Candidates nearest to `origin` on the site map first; those without a marker (or
    all, when `origin` has none) after, by name."""
    if not origin.has_marker:
        return sorted(candidates, key=lambda g: g.name)
    ox, oy = _num(origin.x_pct), _num(origin.y_pct)

    def key(g: Gate) -> tuple[int, float, str]:
        if not g.has_marker:
            return (1, 0.0, g.name)
        return (0, math.hypot((_num(g.x_pct) - ox) * aspect, _num(g.y_pct) - oy), g.name)

    return sorted(candidates, key=key)
