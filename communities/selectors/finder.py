"""The house-number finder: a house number typed on the rules page, found in the
community (its building, whether the entrance and home exist, the nearest rider gate and
parking zone). At most four queries (`house_find`); a full house number is checked with
one EXISTS-style query."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q

from core.i18n_text import both, localized

from ..housenumber import HouseNumber, house_number_parse
from ..models import Building, Community, Gate, ParkingZone, Unit
from .site_map import map_aspect, percent_float


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
            if isinstance(obj, Building):
                names = {"name": str(obj)}
            else:  # the page's language, and both stored values
                names = {"name": localized(obj, "name").text, "names": both(obj, "name")}
            return {
                "id": obj.pk,
                **names,
                "x": percent_float(obj.x_pct),
                "y": percent_float(obj.y_pct),
            }

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
    aspect = map_aspect(community)
    result.gate = _nearest(building, [g for g in gates if g.open_to_riders], aspect)
    result.parking_zone = _nearest(building, parking_zones, aspect)
    return result
