"""Demo data for the communities domain: two property companies, four communities (one
open, two registered, one no-entry with a hand-off point), each with a drawn site map,
buildings, units, gates, parking zones, rest stations and delivery facilities, plus demo
log-ins. `seed()` is idempotent: a second run finds every row and changes nothing that
matters (rows are matched by slug, number or name, never duplicated).

Site maps are drawn with Pillow from the same layout that places the markers, so a
building's marker sits on its footprint. Labels on the image are digits and Latin letters
only: no CJK font is guaranteed on the machine.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass, field
from datetime import time
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.core.files.base import ContentFile
from django.db import models, transaction
from guardian.shortcuts import assign_perm
from PIL import Image, ImageDraw, ImageFont

from core.audit import audit_record

from . import services
from .models import (
    Building,
    Community,
    DeliveryFacility,
    EntryPolicy,
    Gate,
    ParkingZone,
    PropertyCompany,
    RestStation,
    Unit,
)
from .signals import community_touch

MAP_WIDTH = 1200
MAP_HEIGHT = 900
#: The community's wall; below it runs the public street (hand-off points lie there).
WALL = (30, 30, 1170, 820)
STREET_Y = (838, 892)
RING_INSET = 88  # the ring road, measured from the wall
ROAD = 34  # road width in pixels


# --- specification -----------------------------------------------------------------------


@dataclass(frozen=True)
class GateSpec:
    name: str
    label: str  # drawn on the map: Latin letters only
    side: str  # north | south | east | west
    at: float  # position along that side, percent of the map
    open_to_riders: bool = True
    hours: tuple[time, time] | None = None
    notes: str = ""


@dataclass(frozen=True)
class PlaceSpec:
    """A parking zone, rest station or facility: name, position and model fields."""

    name: str
    x: float
    y: float
    fields: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class CommunitySpec:
    company: str
    slug: str
    name: str
    map_title: str  # Latin only, drawn on the image
    street: str  # Latin only, drawn on the street band
    address: str
    office_phone: str
    office_location: str
    buildings: int
    floors: int
    entrances: tuple[str, ...]
    units_per_floor: int
    rules: dict[str, Any]
    gates: tuple[GateSpec, ...]
    parking: tuple[PlaceSpec, ...]
    stations: tuple[PlaceSpec, ...]
    facilities: tuple[PlaceSpec, ...]


@dataclass(frozen=True)
class UserSpec:
    username: str
    password: str
    role: str
    company: str | None = None
    superuser: bool = False
    guard_of: str | None = None  # company slug whose communities the guard may serve


COMPANIES = (
    {"slug": "green-leaf", "name": "绿叶物业 Green Leaf Property", "phone": "021-5555-0100"},
    {"slug": "blue-sky", "name": "蓝天物业 Blue Sky Property", "phone": "021-6666-0200"},
)

USERS = (
    UserSpec("admin", "last100-admin", "superuser (everything)", superuser=True),
    UserSpec("green.staff", "last100-green", "staff of Green Leaf Property", "green-leaf"),
    UserSpec("blue.staff", "last100-blue", "staff of Blue Sky Property", "blue-sky"),
    UserSpec("green.guard", "last100-guard", "guard at Green Leaf gates", guard_of="green-leaf"),
)

_T = time


COMMUNITIES = (
    CommunitySpec(
        company="green-leaf",
        slug="willow-garden",
        name="柳岸花园 Willow Garden",
        map_title="WILLOW GARDEN",
        street="LIUAN ROAD",
        address="上海市浦东新区柳岸路 88 号 / 88 Liu'an Road, Pudong, Shanghai",
        office_phone="021-5555-0101",
        office_location="5号楼一层 / Building 5, ground floor",
        buildings=8,
        floors=18,
        entrances=("1", "2"),
        units_per_floor=4,
        rules={
            "entry_policy": EntryPolicy.REGISTERED,
            "ebikes_allowed_inside": True,
            "speed_limit_kmh": 10,
            "rider_hours_start": _T(7, 0),
            "rider_hours_end": _T(23, 0),
            "notes": "扫南门或东门的入园码登记后进入；园内限速 10 公里，请走环路，勿走人行步道。",
            "notes_en": "Scan the entry code at the South or East Gate to register, then ride "
            "in. 10 km/h inside; keep to the ring road, not the footpaths.",
        },
        gates=(
            GateSpec("南门 South Gate", "S GATE", "south", 50, notes="Main gate, guard on duty"),
            GateSpec("东门 East Gate", "E GATE", "east", 40, hours=(_T(6, 30), _T(22, 30))),
            GateSpec(
                "北门 North Gate",
                "N GATE",
                "north",
                62,
                open_to_riders=False,
                notes="Residents' card only",
            ),
        ),
        parking=(
            PlaceSpec(
                "A 区 Zone A",
                40,
                83,
                {"capacity": 30, "has_charging": True, "notes": "Inside the South Gate"},
            ),
            PlaceSpec(
                "B 区 Zone B",
                94,
                34,
                {"capacity": 12, "has_charging": False, "notes": "Inside the East Gate"},
            ),
        ),
        stations=(
            PlaceSpec(
                "骑手驿站 Rider Station",
                60,
                83,
                {
                    "has_water": True,
                    "has_charging": True,
                    "has_toilet": True,
                    "has_microwave": True,
                    "has_shade": True,
                    "opens_at": _T(9, 0),
                    "closes_at": _T(23, 0),
                },
            ),
        ),
        facilities=(
            PlaceSpec(
                "南门取餐柜 South Gate food cabinet",
                45,
                83,
                {"kind": DeliveryFacility.Kind.FOOD_CABINET, "capacity": 48},
            ),
            PlaceSpec(
                "东门快递柜 East Gate parcel locker",
                94,
                46,
                {"kind": DeliveryFacility.Kind.PARCEL_LOCKER, "capacity": 120},
            ),
            PlaceSpec(
                "机器人取餐点 Robot pick-up point",
                55,
                50,
                {
                    "kind": DeliveryFacility.Kind.ROBOT_PICKUP,
                    "capacity": 6,
                    "opens_at": _T(10, 0),
                    "closes_at": _T(22, 0),
                    "notes": "Leave the order with the robot; it rides the lift to the door.",
                },
            ),
        ),
    ),
    CommunitySpec(
        company="green-leaf",
        slug="maple-court",
        name="枫林苑 Maple Court",
        map_title="MAPLE COURT",
        street="FENGLIN STREET",
        address="上海市徐汇区枫林街 12 号 / 12 Fenglin Street, Xuhui, Shanghai",
        office_phone="021-5555-0102",
        office_location="西门旁 / Beside the West Gate",
        buildings=6,
        floors=6,
        entrances=("1", "2", "3"),
        units_per_floor=2,
        rules={
            "entry_policy": EntryPolicy.OPEN,
            "ebikes_allowed_inside": True,
            "speed_limit_kmh": 15,
            "notes": "欢迎骑手直接进入，请礼让行人。",
            "notes_en": "Riders are welcome to ride straight in; give way to pedestrians.",
        },
        gates=(
            GateSpec("西门 West Gate", "W GATE", "west", 50),
            GateSpec("南门 South Gate", "S GATE", "south", 30, hours=(_T(6, 0), _T(0, 0))),
            GateSpec(
                "车库入口 Garage Entrance",
                "GARAGE",
                "east",
                70,
                open_to_riders=False,
                notes="Cars only",
            ),
        ),
        parking=(PlaceSpec("A 区 Zone A", 6, 60, {"capacity": 20, "has_charging": True}),),
        stations=(
            PlaceSpec(
                "凉亭 Pavilion",
                50,
                50,
                {"has_water": True, "has_shade": True, "notes": "Water dispenser by the benches"},
            ),
        ),
        facilities=(
            PlaceSpec(
                "西门取餐柜 West Gate food cabinet",
                6,
                40,
                {"kind": DeliveryFacility.Kind.FOOD_CABINET, "capacity": 24},
            ),
        ),
    ),
    CommunitySpec(
        company="blue-sky",
        slug="sky-harbour",
        name="天港公寓 Sky Harbour",
        map_title="SKY HARBOUR",
        street="TIANGANG AVENUE",
        address="上海市静安区天港大道 300 号 / 300 Tiangang Avenue, Jing'an, Shanghai",
        office_phone="021-6666-0201",
        office_location="南门保安亭 / South Gate guard booth",
        buildings=10,
        floors=11,
        entrances=("1", "2"),
        units_per_floor=2,
        rules={
            "entry_policy": EntryPolicy.NO_ENTRY,
            "handoff_point": "南门外取餐台（保安亭旁） / "
            "Table outside the South Gate, by the guard booth",
            "x_pct": Decimal("56.00"),
            "y_pct": Decimal("96.00"),
            "notes": "经业主大会表决，骑手不得进入小区。请将餐品放在南门外取餐台或智能取餐柜。",
            "notes_en": "By the owners' resolution riders may not enter. Leave orders on the "
            "hand-off table outside the South Gate or in the food cabinet.",
        },
        gates=(
            GateSpec(
                "南门 South Gate",
                "S GATE",
                "south",
                50,
                open_to_riders=False,
                notes="Hand-off table outside",
            ),
            GateSpec(
                "北门 North Gate",
                "N GATE",
                "north",
                40,
                open_to_riders=False,
                notes="Residents only",
            ),
        ),
        parking=(
            PlaceSpec(
                "南门外骑手停车区 Street parking",
                40,
                96,
                {"capacity": 25, "has_charging": True, "notes": "On the pavement outside"},
            ),
        ),
        stations=(
            PlaceSpec(
                "南门骑手驿站 Rider Station",
                68,
                96,
                {
                    "has_water": True,
                    "has_charging": True,
                    "has_shade": True,
                    "opens_at": _T(10, 0),
                    "closes_at": _T(21, 0),
                },
            ),
        ),
        facilities=(
            PlaceSpec(
                "南门智能取餐柜 South Gate food cabinet",
                62,
                96,
                {"kind": DeliveryFacility.Kind.FOOD_CABINET, "capacity": 60},
            ),
            PlaceSpec(
                "送餐机器人交接点 Robot hand-off",
                47,
                88,
                {
                    "kind": DeliveryFacility.Kind.ROBOT_PICKUP,
                    "capacity": 4,
                    "notes": "Inside the gate; the robot collects from the table.",
                },
            ),
        ),
    ),
    CommunitySpec(
        company="blue-sky",
        slug="blue-bay",
        name="蓝湾家园 Blue Bay Homes",
        map_title="BLUE BAY HOMES",
        street="LANWAN ROAD",
        address="上海市闵行区蓝湾路 66 弄 / Lane 66 Lanwan Road, Minhang, Shanghai",
        office_phone="021-6666-0202",
        office_location="会所二楼 / Clubhouse, first floor",
        buildings=12,
        floors=9,
        entrances=("",),
        units_per_floor=4,
        rules={
            "entry_policy": EntryPolicy.REGISTERED,
            "ebikes_allowed_inside": False,
            "rider_hours_start": _T(6, 0),
            "rider_hours_end": _T(0, 0),
            "notes": "登记后步行进入；电动车请停在东门或西门停车区。",
            "notes_en": "Register, then walk in; park e-bikes at the East or West Gate zone.",
        },
        gates=(
            GateSpec("东门 East Gate", "E GATE", "east", 50),
            GateSpec("西门 West Gate", "W GATE", "west", 50, hours=(_T(7, 0), _T(21, 0))),
            GateSpec(
                "南门 South Gate",
                "S GATE",
                "south",
                50,
                open_to_riders=False,
                notes="Pedestrian gate for residents",
            ),
        ),
        parking=(
            PlaceSpec("东门停车区 East Zone", 94, 60, {"capacity": 16, "has_charging": True}),
            PlaceSpec("西门停车区 West Zone", 6, 60, {"capacity": 10, "has_charging": False}),
        ),
        stations=(
            PlaceSpec(
                "东门暖心驿站 East Gate Station",
                94,
                40,
                {"has_water": True, "has_microwave": True, "has_shade": True},
            ),
        ),
        facilities=(
            PlaceSpec(
                "东门快递柜 East Gate parcel locker",
                94,
                70,
                {"kind": DeliveryFacility.Kind.PARCEL_LOCKER, "capacity": 80},
            ),
            PlaceSpec(
                "机器人取餐点 Robot pick-up point",
                50,
                50,
                {
                    "kind": DeliveryFacility.Kind.ROBOT_PICKUP,
                    "status": DeliveryFacility.Status.PLANNED,
                    "notes": "Approved by the owners; in service from next month.",
                },
            ),
        ),
    ),
)


# --- layout and drawing ------------------------------------------------------------------


@dataclass(frozen=True)
class Footprint:
    number: str
    box: tuple[int, int, int, int]  # pixels: left, top, right, bottom

    @property
    def centre_pct(self) -> tuple[Decimal, Decimal]:
        left, top, right, bottom = self.box
        return _pct((left + right) / 2, MAP_WIDTH), _pct((top + bottom) / 2, MAP_HEIGHT)


def _pct(pixels: float, total: int) -> Decimal:
    return Decimal(str(round(pixels * 100 / total, 2))).quantize(Decimal("0.01"))


def building_footprints(count: int) -> list[Footprint]:
    """Buildings in two rows, north and south of the central road, numbered west to east
    along the north row and then the south row."""
    cols = math.ceil(count / 2)
    left = WALL[0] + RING_INSET + ROAD + 24
    right = WALL[2] - RING_INSET - ROAD - 24
    centre_y = (WALL[1] + WALL[3]) // 2
    cell = (right - left) / cols
    width = int(min(150, cell - 36))
    height = 96
    rows = (
        (centre_y - ROAD // 2 - 70 - height, centre_y - ROAD // 2 - 70),
        (centre_y + ROAD // 2 + 70, centre_y + ROAD // 2 + 70 + height),
    )
    out = []
    for index in range(count):
        row, col = divmod(index, cols)
        cx = left + cell * (col + 0.5)
        top, bottom = rows[row]
        out.append(
            Footprint(str(index + 1), (int(cx - width / 2), top, int(cx + width / 2), bottom))
        )
    return out


def gate_position(gate: GateSpec) -> tuple[Decimal, Decimal]:
    """Gates sit on the wall; `at` is the percent along that side."""
    if gate.side == "north":
        return Decimal(str(gate.at)), _pct(WALL[1], MAP_HEIGHT)
    if gate.side == "south":
        return Decimal(str(gate.at)), _pct(WALL[3], MAP_HEIGHT)
    if gate.side == "west":
        return _pct(WALL[0], MAP_WIDTH), Decimal(str(gate.at))
    return _pct(WALL[2], MAP_WIDTH), Decimal(str(gate.at))


def _font(size: int) -> ImageFont.ImageFont | ImageFont.FreeTypeFont:
    try:
        return ImageFont.load_default(size=size)
    except (TypeError, OSError):  # Pillow without FreeType: the small bitmap font
        return ImageFont.load_default()


def _centred_text(draw: ImageDraw.ImageDraw, xy: tuple[float, float], text: str, **kw) -> None:
    draw.text(xy, text, anchor="mm", **kw)


def draw_site_map(spec: CommunitySpec) -> bytes:
    """The community's site map as a PNG: street, wall, lawns, roads, numbered buildings
    and gates (green where riders may pass, red where they may not)."""
    image = Image.new("RGB", (MAP_WIDTH, MAP_HEIGHT), "#e9e5dc")
    draw = ImageDraw.Draw(image)
    small, medium, large = _font(18), _font(26), _font(34)

    # The public street below the wall.
    draw.rectangle((0, STREET_Y[0], MAP_WIDTH, STREET_Y[1]), fill="#8d8d8d")
    for x in range(20, MAP_WIDTH, 80):
        draw.rectangle((x, 863, x + 40, 867), fill="#f2f2f2")
    draw.rectangle((40, 850, 300, 880), fill="#5f5f5f")
    _centred_text(draw, (170, 865), spec.street, fill="#ffffff", font=small)

    # Grounds, lawns and the wall.
    draw.rectangle(WALL, fill="#cfe6c3")
    inner = (
        WALL[0] + RING_INSET + ROAD,
        WALL[1] + RING_INSET + ROAD,
        WALL[2] - RING_INSET - ROAD,
        WALL[3] - RING_INSET - ROAD,
    )
    draw.rectangle(inner, fill="#b9dca8")
    for cx, cy in ((inner[0] + 40, inner[1] + 30), (inner[2] - 60, inner[3] - 56)):
        for dx, dy in ((0, 0), (26, 10), (10, 28)):
            draw.ellipse((cx + dx - 12, cy + dy - 12, cx + dx + 12, cy + dy + 12), fill="#7fb069")

    # Ring road, central road and the roads out to each gate.
    ring = (
        WALL[0] + RING_INSET,
        WALL[1] + RING_INSET,
        WALL[2] - RING_INSET,
        WALL[3] - RING_INSET,
    )
    draw.rectangle(ring, outline="#fafafa", width=ROAD)
    centre_y = (WALL[1] + WALL[3]) // 2
    draw.rectangle((ring[0], centre_y - ROAD // 2, ring[2], centre_y + ROAD // 2), fill="#fafafa")
    for gate in spec.gates:
        gx, gy = gate_position(gate)
        px, py = float(gx) * MAP_WIDTH / 100, float(gy) * MAP_HEIGHT / 100
        half = ROAD // 2
        if gate.side in ("north", "south"):
            y0, y1 = sorted((py, ring[1] if gate.side == "north" else ring[3]))
            draw.rectangle((px - half, y0, px + half, y1), fill="#fafafa")
        else:
            x0, x1 = sorted((px, ring[0] if gate.side == "west" else ring[2]))
            draw.rectangle((x0, py - half, x1, py + half), fill="#fafafa")
    draw.rectangle(WALL, outline="#6b5e4f", width=8)

    # Buildings, numbered.
    for footprint in building_footprints(spec.buildings):
        left, top, right, bottom = footprint.box
        draw.rectangle((left + 5, top + 5, right + 5, bottom + 5), fill="#a9a294")
        draw.rectangle(footprint.box, fill="#f4efe3", outline="#5a4f42", width=3)
        _centred_text(
            draw,
            ((left + right) / 2, (top + bottom) / 2),
            footprint.number,
            fill="#2b2b2b",
            font=large,
        )

    # Gates: a gap in the wall, coloured by whether riders may pass.
    for gate in spec.gates:
        gx, gy = gate_position(gate)
        px, py = float(gx) * MAP_WIDTH / 100, float(gy) * MAP_HEIGHT / 100
        colour = "#1b7f3b" if gate.open_to_riders else "#b3261e"
        draw.rectangle((px - 26, py - 12, px + 26, py + 12), fill=colour)
        offset = {"north": (0, 28), "south": (0, -28), "west": (70, 0), "east": (-70, 0)}
        ox, oy = offset[gate.side]
        _centred_text(draw, (px + ox, py + oy), gate.label, fill="#1f1f1f", font=small)

    draw.rectangle((WALL[0] + 14, WALL[1] + 14, WALL[0] + 360, WALL[1] + 56), fill="#ffffff")
    _centred_text(draw, (WALL[0] + 187, WALL[1] + 35), spec.map_title, fill="#1f1f1f", font=medium)
    # North arrow.
    nx, ny = WALL[2] - 40, WALL[1] + 50
    draw.polygon(((nx, ny - 26), (nx - 12, ny + 6), (nx + 12, ny + 6)), fill="#333333")
    _centred_text(draw, (nx, ny + 22), "N", fill="#333333", font=small)

    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


# --- seeding -----------------------------------------------------------------------------


def _unit_area(building: int, position: int) -> Decimal:
    """Corner flats (first and last on a floor) are larger; sizes vary a little by building."""
    base = Decimal("128.50") if position in (1, 4) else Decimal("89.75")
    return base + Decimal(building % 3) * Decimal("2.25")


def _company_ensure(slug: str, name: str, phone: str) -> PropertyCompany:
    company = PropertyCompany.objects.filter(slug=slug).first()
    if company is None:
        return services.company_create(name=name, slug=slug, phone=phone, acting_user=None)
    services.company_staff_group(company)
    return company


def _user_ensure(spec: UserSpec) -> AbstractBaseUser:
    user_model = get_user_model()
    user, created = user_model.objects.get_or_create(
        username=spec.username,
        defaults={"is_staff": True, "is_superuser": spec.superuser},
    )
    changed = []
    if spec.superuser and not (user.is_superuser and user.is_staff):
        user.is_superuser = user.is_staff = True
        changed += ["is_superuser", "is_staff"]
    if spec.guard_of and not user.is_staff:
        user.is_staff = True  # the log-in page is the admin's, which needs is_staff
        changed.append("is_staff")
    if not user.is_active:
        user.is_active = True
        changed.append("is_active")
    if created or not user.check_password(spec.password):
        user.set_password(spec.password)
        changed.append("password")
    if changed:
        user.save(update_fields=None if created else changed)
    return user


def _rules_ensure(community: Community, wanted: dict[str, Any]) -> None:
    """Publish a new rules version only when the current one differs from the demo's."""
    current = services.rules_current(community)
    if current is not None and all(
        getattr(current, name) == value for name, value in wanted.items()
    ):
        return
    services.rules_publish(community=community, acting_user=None, **wanted)


def _community_ensure(spec: CommunitySpec, company: PropertyCompany) -> Community:
    fields = {
        "address": spec.address,
        "office_phone": spec.office_phone,
        "office_location": spec.office_location,
    }
    community = Community.objects.filter(slug=spec.slug).first()
    if community is None:
        community = services.community_create(
            company=company,
            slug=spec.slug,
            name=spec.name,
            acting_user=None,
            entry_policy=spec.rules["entry_policy"],
            handoff_point=spec.rules.get("handoff_point", ""),
            **fields,
        )
    elif any(getattr(community, k) != v for k, v in {**fields, "name": spec.name}.items()):
        for key, value in {**fields, "name": spec.name}.items():
            setattr(community, key, value)
        community.save()
    _rules_ensure(community, spec.rules)
    return community


def _site_map_ensure(community: Community, spec: CommunitySpec) -> None:
    name = f"site-maps/{spec.slug}.png"
    if community.site_map and community.site_map.storage.exists(community.site_map.name):
        return
    storage = community.site_map.storage
    if storage.exists(name):
        storage.delete(name)  # an orphan from an earlier database: draw it afresh
    community.site_map.save(name.rsplit("/", 1)[1], ContentFile(draw_site_map(spec)), save=True)


def _places_ensure(community: Community, spec: CommunitySpec) -> dict[str, int]:
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
        _upsert(
            Gate,
            {"community": community, "name": gate.name},
            {
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
            _upsert(
                model,
                {"community": community, "name": place.name},
                {"x_pct": _dec(place.x), "y_pct": _dec(place.y), **place.fields},
            )

    existing = set(
        Unit.objects.filter(building__community=community).values_list(
            "building_id", "entrance", "number"
        )
    )
    new_units = [
        Unit(
            building=building,
            entrance=entrance,
            number=f"{floor}{position:02d}",
            exclusive_area=_unit_area(int(number), position),
        )
        for number, building in buildings.items()
        for entrance in spec.entrances
        for floor in range(1, spec.floors + 1)
        for position in range(1, spec.units_per_floor + 1)
        if (building.pk, entrance, f"{floor}{position:02d}") not in existing
    ]
    Unit.objects.bulk_create(new_units, batch_size=500)
    if new_units:
        community_touch(community.pk)  # bulk_create sends no post_save signal
    return {
        "buildings": len(buildings),
        "units": len(existing) + len(new_units),
        "units_created": len(new_units),
    }


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


def _guard_ensure(user: AbstractBaseUser, company: PropertyCompany) -> None:
    """A guard holds only `guard_community` on the company's communities, not the rest of
    the staff permissions. Guardian's assign_perm is idempotent."""
    for community in company.communities.all():
        if not user.has_perm("communities.guard_community", community):
            assign_perm("communities.guard_community", user, community)
            audit_record(
                action="community_guard_add",
                obj=community,
                acting_user=None,
                community_id=community.pk,
                after={"user": user.get_username(), "perm": "guard_community"},
            )


@transaction.atomic
def seed() -> list[str]:
    """Create or complete the demo data; return lines for the command to print."""
    companies = {c["slug"]: _company_ensure(**c) for c in COMPANIES}
    communities: list[tuple[Community, dict[str, int]]] = []
    for spec in COMMUNITIES:
        community = _community_ensure(spec, companies[spec.company])
        _site_map_ensure(community, spec)
        communities.append((community, _places_ensure(community, spec)))

    users = []
    for spec in USERS:
        user = _user_ensure(spec)
        if spec.company:
            company = companies[spec.company]
            membership = getattr(user, "staff_membership", None)
            if membership is None or membership.company_id != company.pk:
                services.company_staff_add(company=company, user=user, acting_user=None)
        if spec.guard_of:
            _guard_ensure(user, companies[spec.guard_of])
        users.append(spec)

    lines = ["Communities:"]
    for community, counts in communities:
        rules = services.rules_current(community)
        lines.append(
            f"  {community.slug:<14} {community.name}  [{rules.entry_policy}]  "
            f"{counts['buildings']} buildings, {counts['units']} units"
        )
    lines.append("Log-ins (user / password):")
    lines += [f"  {u.username:<12} / {u.password:<14} {u.role}" for u in users]
    return lines


def demo_credentials() -> list[tuple[str, str, str]]:
    """(user name, password, role) of every demo log-in."""
    return [(u.username, u.password, u.role) for u in USERS]
