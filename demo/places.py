"""The demo communities' buildings, units, gates, parking zones, rest stations and delivery
facilities (idempotent: rows are matched by number or name, and written only when they
differ from the demo's).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import models

from communities.imports import ImportRow, units_import
from communities.models import (
    Building,
    Community,
    DeliveryFacility,
    Gate,
    ParkingZone,
    RestStation,
    Unit,
)

from .sitemap import building_footprints, gate_position
from .specs import CommunitySpec


def _unit_area(building: int, position: int) -> Decimal:
    """Corner flats (first and last on a floor) are larger; sizes vary a little by building."""
    base = Decimal("128.50") if position in (1, 4) else Decimal("89.75")
    return base + Decimal(building % 3) * Decimal("2.25")


def places_ensure(community: Community, spec: CommunitySpec) -> dict[str, int]:
    """Buildings (on their drawn footprints), gates and places are written directly: no
    service writes them (staff edit them in the admin). Units go through the import."""
    footprints = building_footprints(spec.buildings)
    buildings = {}
    for footprint in footprints:
        x, y = footprint.centre_pct
        building = _upsert(
            Building, {"community": community, "number": footprint.number}, {"x_pct": x, "y_pct": y}
        )
        buildings[footprint.number] = building
    for gate in spec.gates:
        x, y = gate_position(gate)
        opens, closes = gate.hours or (None, None)
        _rename_glued(Gate, community, gate.name, gate.name_en)
        _upsert(
            Gate,
            {"community": community, "name": gate.name},
            {
                "name_en": gate.name_en,
                "notes_en": gate.notes_en,
                "x_pct": x,
                "y_pct": y,
                "open_to_riders": gate.open_to_riders,
                "opens_at": opens,
                "closes_at": closes,
                "notes": gate.notes,
            },
        )
    for model, places in (
        (ParkingZone, spec.parking),
        (RestStation, spec.stations),
        (DeliveryFacility, spec.facilities),
    ):
        for place in places:
            _rename_glued(model, community, place.name, place.name_en)
            values = {"name_en": place.name_en, "notes_en": "", **place.fields}
            _upsert(
                model,
                {"community": community, "name": place.name},
                {"x_pct": _dec(place.x), "y_pct": _dec(place.y), **values},
            )

    existing = set(
        Unit.objects.filter(building__community=community).values_list(
            "building__number", "entrance", "number"
        )
    )
    missing = [
        ImportRow(
            line=0,
            building=number,
            entrance=entrance,
            house_number=f"{floor}{position:02d}",
            exclusive_area=str(_unit_area(int(number), position)),
        )
        for number in buildings
        for entrance in spec.entrances
        for floor in range(1, spec.floors + 1)
        for position in range(1, spec.units_per_floor + 1)
        if (number, entrance, f"{floor}{position:02d}") not in existing
    ]
    # Through the units import staff use (bulk, one audit row), only when units are
    # missing: it bumps the community, which would throw its cached pages away.
    if missing:
        units_import(community=community, rows=missing, acting_user=None)
    return {
        "buildings": len(buildings),
        "units": len(existing) + len(missing),
        "units_created": len(missing),
    }


def _rename_glued(model: type[models.Model], community: Any, name: str, name_en: str) -> None:
    """Demo databases seeded before names had an English twin hold "南门 South Gate":
    rename such a row to its Chinese name, so seeding again updates it, not adds one."""
    model.objects.filter(community=community, name=f"{name} {name_en}").update(name=name)


def _upsert(model: type[models.Model], lookup: dict[str, Any], values: dict[str, Any]) -> Any:
    """update_or_create that writes nothing when the row already holds `values`, so a
    second seed leaves every community's `updated_at` (and its cached pages) alone."""
    obj = model.objects.filter(**lookup).first()
    if obj is None:
        return model.objects.create(**lookup, **values)
    changed = [name for name, value in values.items() if getattr(obj, name) != value]
    if changed:
        for name in changed:
            setattr(obj, name, values[name])
        obj.save(update_fields=changed)
    return obj


def _dec(value: float) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.01"))
