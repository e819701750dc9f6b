"""The bench's big community: 200 buildings of 100 units each (by default), with gates and
their controllers, rider parking zones, rest stations and delivery facilities, made
through the communities services and bulk inserts. Idempotent: a community of the wanted
size is kept; one of another size is rebuilt."""

from __future__ import annotations

import io
from decimal import Decimal

from django.core.files.base import ContentFile
from django.db import transaction
from PIL import Image, ImageDraw

from communities import services
from communities.models import (
    Building,
    Community,
    DeliveryFacility,
    EntryPolicy,
    Gate,
    GateController,
    ParkingZone,
    PropertyCompany,
    RestStation,
    Unit,
)
from communities.signals import community_touch

COMPANY_SLUG = "bench-property"
BIG_SLUG = "bench-big"
ENTRANCES = ("1", "2")
UNITS_PER_FLOOR = 2
GRID_COLUMNS = 20
MAP_SIZE = (1200, 900)


def _pct(value: float) -> Decimal:
    return Decimal(f"{value:.2f}")


def _building_position(index: int, count: int) -> tuple[Decimal, Decimal]:
    rows = max(1, -(-count // GRID_COLUMNS))
    column, row = index % GRID_COLUMNS, index // GRID_COLUMNS
    return _pct(6 + 88 * (column + 0.5) / GRID_COLUMNS), _pct(8 + 80 * (row + 0.5) / rows)


def _site_map(count: int) -> bytes:
    image = Image.new("RGB", MAP_SIZE, (236, 240, 232))
    draw = ImageDraw.Draw(image)
    width, height = MAP_SIZE
    draw.rectangle((30, 30, width - 30, height - 80), outline=(90, 90, 90), width=6)
    for index in range(count):
        x, y = _building_position(index, count)
        cx, cy = float(x) * width / 100, float(y) * height / 100
        draw.rectangle((cx - 18, cy - 12, cx + 18, cy + 12), fill=(200, 190, 170))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def _unit_numbers(units_per_building: int) -> list[tuple[str, str]]:
    """(entrance, house number) pairs: floors up, entrances across, `1503` style."""
    numbers: list[tuple[str, str]] = []
    floor = 1
    while len(numbers) < units_per_building:
        for entrance in ENTRANCES:
            for position in range(1, UNITS_PER_FLOOR + 1):
                if len(numbers) < units_per_building:
                    numbers.append((entrance, f"{floor}{position:02d}"))
        floor += 1
    return numbers


def big_community_ensure(*, buildings: int = 200, units_per_building: int = 100) -> Community:
    """The bench community, built if missing or of another size."""
    community = Community.objects.filter(slug=BIG_SLUG).first()
    if community is not None:
        have_buildings = Building.objects.filter(community=community).count()
        have_units = Unit.objects.filter(building__community=community).count()
        if have_buildings == buildings and have_units == buildings * units_per_building:
            return community
        if community.site_map:
            community.site_map.delete(save=False)
        community.delete()
    return _big_community_create(buildings=buildings, units_per_building=units_per_building)


@transaction.atomic
def _big_community_create(*, buildings: int, units_per_building: int) -> Community:
    company = PropertyCompany.objects.filter(slug=COMPANY_SLUG).first()
    if company is None:
        company = services.company_create(
            name="Bench Property", slug=COMPANY_SLUG, phone="021-0000-0000", acting_user=None
        )
    community = services.community_create(
        company=company,
        slug=BIG_SLUG,
        name="大型基准社区 Bench Big Community",
        address="上海市基准路 1 号 / 1 Bench Road, Shanghai",
        office_phone="021-0000-0001",
        office_location="1号楼一层 / Building 1, ground floor",
        acting_user=None,
        entry_policy=EntryPolicy.REGISTERED,
    )
    services.rules_publish(
        community=community,
        acting_user=None,
        ebikes_allowed_inside=True,
        speed_limit_kmh=10,
        notes="扫门口的入园码登记后进入；园内限速 10 公里。",
        notes_en="Scan the entry code at a gate to register, then ride in. 10 km/h inside.",
    )
    community.site_map.save(f"{BIG_SLUG}.png", ContentFile(_site_map(buildings)), save=True)

    Building.objects.bulk_create(
        Building(
            community=community,
            number=str(index + 1),
            name="",
            x_pct=_building_position(index, buildings)[0],
            y_pct=_building_position(index, buildings)[1],
        )
        for index in range(buildings)
    )
    building_ids = Building.objects.filter(community=community).values_list("pk", flat=True)
    numbers = _unit_numbers(units_per_building)
    Unit.objects.bulk_create(
        (
            Unit(
                building_id=building_id,
                entrance=entrance,
                number=number,
                exclusive_area=Decimal(60 + (position % 7) * 15),
            )
            for building_id in building_ids
            for position, (entrance, number) in enumerate(numbers)
        ),
        batch_size=2000,
    )

    sides = (("North", 50, 3), ("South", 50, 97), ("East", 97, 40), ("West", 3, 60))
    Gate.objects.bulk_create(
        Gate(community=community, name=f"{side} Gate", x_pct=_pct(x), y_pct=_pct(y))
        for side, x, y in sides
    )
    GateController.objects.bulk_create(
        GateController(
            gate_id=gate.pk,
            name=f"{gate.name} controller",
            endpoint=f"http://192.0.2.{index + 10}/last100",
            secret="bench-secret",
        )
        for index, gate in enumerate(Gate.objects.filter(community=community))
    )
    ParkingZone.objects.bulk_create(
        ParkingZone(
            community=community,
            name=f"Rider parking {index + 1}",
            capacity=20 + index,
            has_charging=index % 2 == 0,
            x_pct=_pct(8 + index * 7),
            y_pct=_pct(92),
        )
        for index in range(12)
    )
    RestStation.objects.bulk_create(
        RestStation(
            community=community,
            name=f"Rest station {index + 1}",
            has_water=True,
            has_charging=True,
            has_toilet=index % 2 == 0,
            has_shade=True,
            x_pct=_pct(20 + index * 20),
            y_pct=_pct(50),
        )
        for index in range(4)
    )
    kinds = list(DeliveryFacility.Kind)
    DeliveryFacility.objects.bulk_create(
        DeliveryFacility(
            community=community,
            kind=kinds[index % len(kinds)],
            name=f"Facility {index + 1}",
            capacity=40,
            x_pct=_pct(10 + index * 9),
            y_pct=_pct(88),
        )
        for index in range(10)
    )
    # Bulk inserts send no signals; bump the community's version for its cache keys.
    community_touch(community.pk)
    community.refresh_from_db()
    return community
