"""What the demo holds in the communities domain: two property companies, four communities
(one open, two registered, one no-entry with a hand-off point) with their gates, parking
zones, rest stations and delivery facilities, and the demo log-ins. Plain data: the
seeding is in demo/communities.py and demo/places.py, the drawing in demo/sitemap.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import time
from decimal import Decimal
from typing import Any

from communities.models import DeliveryFacility, EntryPolicy


@dataclass(frozen=True)
class GateSpec:
    name: str  # Chinese (the field riders' pages show in Chinese)
    label: str  # drawn on the map: Latin letters only
    side: str  # north | south | east | west
    at: float  # position along that side, percent of the map
    open_to_riders: bool = True
    hours: tuple[time, time] | None = None
    notes: str = ""
    name_en: str = ""
    notes_en: str = ""


@dataclass(frozen=True)
class PlaceSpec:
    """A parking zone, rest station or facility: name (Chinese, and English), position and
    model fields (notes in both: `notes`, `notes_en`)."""

    name: str
    name_en: str
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
    city: str = ""  # as the street office and the platforms' ranking filter on it
    district: str = ""


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
        city="上海市",
        district="浦东新区",
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
            GateSpec(
                "南门",
                "S GATE",
                "south",
                50,
                notes="正门，保安值守",
                name_en="South Gate",
                notes_en="Main gate, guard on duty",
            ),
            GateSpec(
                "东门", "E GATE", "east", 40, hours=(_T(6, 30), _T(22, 30)), name_en="East Gate"
            ),
            GateSpec(
                "北门",
                "N GATE",
                "north",
                62,
                open_to_riders=False,
                notes="仅限业主刷卡",
                name_en="North Gate",
                notes_en="Residents' card only",
            ),
        ),
        parking=(
            PlaceSpec(
                "A 区",
                "Zone A",
                40,
                83,
                {
                    "capacity": 30,
                    "has_charging": True,
                    "notes": "南门内",
                    "notes_en": "Inside the South Gate",
                },
            ),
            PlaceSpec(
                "B 区",
                "Zone B",
                94,
                34,
                {
                    "capacity": 12,
                    "has_charging": False,
                    "notes": "东门内",
                    "notes_en": "Inside the East Gate",
                },
            ),
        ),
        stations=(
            PlaceSpec(
                "骑手驿站",
                "Rider Station",
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
                "南门取餐柜",
                "South Gate food cabinet",
                45,
                83,
                {"kind": DeliveryFacility.Kind.FOOD_CABINET, "capacity": 48},
            ),
            PlaceSpec(
                "东门快递柜",
                "East Gate parcel locker",
                94,
                46,
                {"kind": DeliveryFacility.Kind.PARCEL_LOCKER, "capacity": 120},
            ),
            PlaceSpec(
                "机器人取餐点",
                "Robot pick-up point",
                55,
                50,
                {
                    "kind": DeliveryFacility.Kind.ROBOT_PICKUP,
                    "capacity": 6,
                    "opens_at": _T(10, 0),
                    "closes_at": _T(22, 0),
                    "notes": "把餐品交给机器人，它会乘电梯送到门口。",
                    "notes_en": "Leave the order with the robot; it rides the lift to the door.",
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
        city="上海市",
        district="徐汇区",
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
            GateSpec("西门", "W GATE", "west", 50, name_en="West Gate"),
            GateSpec(
                "南门", "S GATE", "south", 30, hours=(_T(6, 0), _T(0, 0)), name_en="South Gate"
            ),
            GateSpec(
                "车库入口",
                "GARAGE",
                "east",
                70,
                open_to_riders=False,
                notes="仅限机动车",
                name_en="Garage Entrance",
                notes_en="Cars only",
            ),
        ),
        parking=(PlaceSpec("A 区", "Zone A", 6, 60, {"capacity": 20, "has_charging": True}),),
        stations=(
            PlaceSpec(
                "凉亭",
                "Pavilion",
                50,
                50,
                {
                    "has_water": True,
                    "has_shade": True,
                    "notes": "长椅旁有饮水机",
                    "notes_en": "Water dispenser by the benches",
                },
            ),
        ),
        facilities=(
            PlaceSpec(
                "西门取餐柜",
                "West Gate food cabinet",
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
        city="上海市",
        district="静安区",
        office_phone="021-6666-0201",
        office_location="南门保安亭 / South Gate guard booth",
        buildings=10,
        floors=11,
        entrances=("1", "2"),
        units_per_floor=2,
        rules={
            "entry_policy": EntryPolicy.NO_ENTRY,
            "handoff_point": "南门外取餐台（保安亭旁）",
            "handoff_point_en": "Table outside the South Gate, by the guard booth",
            "x_pct": Decimal("56.00"),
            "y_pct": Decimal("96.00"),
            "notes": "经业主大会表决，骑手不得进入小区。请将餐品放在南门外取餐台或智能取餐柜。",
            "notes_en": "By the owners' resolution riders may not enter. Leave orders on the "
            "hand-off table outside the South Gate or in the food cabinet.",
        },
        gates=(
            GateSpec(
                "南门",
                "S GATE",
                "south",
                50,
                open_to_riders=False,
                notes="门外设交接台",
                name_en="South Gate",
                notes_en="Hand-off table outside",
            ),
            GateSpec(
                "北门",
                "N GATE",
                "north",
                40,
                open_to_riders=False,
                notes="仅限业主",
                name_en="North Gate",
                notes_en="Residents only",
            ),
        ),
        parking=(
            PlaceSpec(
                "南门外骑手停车区",
                "Street parking",
                40,
                96,
                {
                    "capacity": 25,
                    "has_charging": True,
                    "notes": "门外人行道上",
                    "notes_en": "On the pavement outside",
                },
            ),
        ),
        stations=(
            PlaceSpec(
                "南门骑手驿站",
                "Rider Station",
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
                "南门智能取餐柜",
                "South Gate food cabinet",
                62,
                96,
                {"kind": DeliveryFacility.Kind.FOOD_CABINET, "capacity": 60},
            ),
            PlaceSpec(
                "送餐机器人交接点",
                "Robot hand-off",
                47,
                88,
                {
                    "kind": DeliveryFacility.Kind.ROBOT_PICKUP,
                    "capacity": 4,
                    "notes": "门内；机器人到交接台取餐。",
                    "notes_en": "Inside the gate; the robot collects from the table.",
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
        city="上海市",
        district="闵行区",
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
            GateSpec("东门", "E GATE", "east", 50, name_en="East Gate"),
            GateSpec(
                "西门", "W GATE", "west", 50, hours=(_T(7, 0), _T(21, 0)), name_en="West Gate"
            ),
            GateSpec(
                "南门",
                "S GATE",
                "south",
                50,
                open_to_riders=False,
                notes="业主步行门",
                name_en="South Gate",
                notes_en="Pedestrian gate for residents",
            ),
        ),
        parking=(
            PlaceSpec("东门停车区", "East Zone", 94, 60, {"capacity": 16, "has_charging": True}),
            PlaceSpec("西门停车区", "West Zone", 6, 60, {"capacity": 10, "has_charging": False}),
        ),
        stations=(
            PlaceSpec(
                "东门暖心驿站",
                "East Gate Station",
                94,
                40,
                {"has_water": True, "has_microwave": True, "has_shade": True},
            ),
        ),
        facilities=(
            PlaceSpec(
                "东门快递柜",
                "East Gate parcel locker",
                94,
                70,
                {"kind": DeliveryFacility.Kind.PARCEL_LOCKER, "capacity": 80},
            ),
            PlaceSpec(
                "机器人取餐点",
                "Robot pick-up point",
                50,
                50,
                {
                    "kind": DeliveryFacility.Kind.ROBOT_PICKUP,
                    "status": DeliveryFacility.Status.PLANNED,
                    "notes": "业主已同意，下月启用。",
                    "notes_en": "Approved by the owners; in service from next month.",
                },
            ),
        ),
    ),
)
