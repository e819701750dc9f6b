"""Demo data for owners' votes, called by `manage.py seed_demo` (safe to run again).

In Willow Garden (willow-garden): every unit gets owners — the developer keeps some unsold
units, some owners hold three flats, some flats are co-owned — and two owners get log-ins.
Resolutions: #1 passed (a food cabinet, now planned), #2 open with a live count (riders
hand food over at the north gate), #3 upcoming, #4 a draft for staff.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from communities.models import Community, Unit
from governance import services
from governance.models import Choice, Matter, Owner, Ownership, Resolution, RollEntry
from governance.services.roll_import import RollRow, roll_import

SLUG = "willow-garden"
OWNERS = (  # user name, password, name, phone, house number
    ("owner.wang", "owner-pass-1", "王芳 Wang Fang", "13800000001", ("7", "2", "1503")),
    ("owner.li", "owner-pass-2", "李雷 Li Lei", "13800000002", ("3", "1", "801")),
)
DEVELOPER = "柳岸置业 Willow Developer Ltd"
#: How the first voters of the open vote cast, in turn.
VOTES = [Choice.FOR, Choice.FOR, Choice.FOR, Choice.AGAINST, Choice.ABSTAIN]


def _units(community: Community) -> list[Unit]:
    return list(
        Unit.objects.filter(building__community=community)
        .select_related("building")
        .order_by("building__number", "entrance", "number")
    )


def _owners_ensure(community: Community) -> None:
    """Owners for every unit: the named owners (with log-ins) one by one, the rest through
    the owners' roll import staff use, as one file of rows."""
    if Ownership.objects.filter(unit__building__community=community).exists():
        return
    user_model = get_user_model()
    named: dict[tuple[str, str, str], Owner] = {}
    for username, password, name, phone, house in OWNERS:
        user = user_model.objects.filter(username=username).first()
        if user is None:
            user = user_model.objects.create_user(username, password=password)
        named[house] = services.owner_create(name=name, phone=phone, user=user, acting_user=None)
    rows: list[RollRow] = []
    for i, unit in enumerate(_units(community)):
        house = (unit.building.number, unit.entrance, unit.number)
        row = RollRow(line=i + 1, house=unit.label, name=f"Owner {i}", unit=unit)
        if house in named:
            services.ownership_add(unit=unit, owner=named[house], acting_user=None)
            if house == OWNERS[1][4]:  # Li Lei co-owns with his wife
                wife = services.owner_create(
                    name="韩梅梅 Han Meimei", phone="13800000003", acting_user=None
                )
                services.ownership_add(unit=unit, owner=wife, acting_user=None)
            continue
        if i % 25 == 0:  # the developer's unsold units: one owner, whatever the count
            row.name, row.key, row.developer = DEVELOPER, "developer", True
        elif i % 40 in (1, 2, 3):  # owners of three flats
            first = i - i % 40 + 1
            row.name, row.key = f"Owner {first}", f"three-flats-{first}"
        else:
            row.phone = f"1390000{i:04d}"
            if i % 17 == 0:
                row.co_owners = [f"Co-owner {i}"]
        rows.append(row)
    roll_import(community=community, rows=rows, acting_user=None)


def _ballots(
    resolution: Resolution, share: float, *, choices: list[str], skip_owner_ids: set[int]
) -> None:
    """Ballots for the first `share` of the roll, each cast through `ballot_cast` by one of
    the voter's owners, so the ballot log and the audit agree with the ballots."""
    voters = list(
        RollEntry.objects.filter(resolution=resolution)
        .prefetch_related("members__owner__user")
        .order_by("pk")
    )
    for i, voter in enumerate(voters[: int(len(voters) * share)]):
        owners = sorted((m.owner for m in voter.members.all()), key=lambda o: o.pk)
        if not owners or any(o.pk in skip_owner_ids for o in owners):
            continue  # a unit without owners has nobody to vote; the named owners vote live
        services.ballot_cast(
            resolution=resolution,
            owner=owners[0],
            choice=choices[i % len(choices)],
            acting_user=owners[0].user,
            voter=voter,
        )


def _resolutions_ensure(community: Community) -> None:
    if community.resolutions.exists():
        return
    now = timezone.now()
    named_ids = set(
        Owner.objects.filter(user__username__in=[o[0] for o in OWNERS]).values_list("pk", flat=True)
    )
    window: dict[str, Any] = {
        "opens_at": now - dt.timedelta(days=1),
        "closes_at": now + dt.timedelta(days=6),
    }
    cabinet = services.resolution_create(
        community=community,
        title="Food cabinet at the east gate",
        text=(
            "Install a 40-compartment heated food cabinet inside the east gate, paid for by "
            "the platforms, so riders need not enter and food stays warm."
        ),
        matter=Matter.MAJOR,
        effect={
            "type": "facility",
            "kind": "food_cabinet",
            "name": "东门取餐柜",
            "name_en": "East gate food cabinet",
            "x_pct": "88",
            "y_pct": "52",
        },
        **window,
        acting_user=None,
    )
    services.resolution_open(resolution=cabinet, acting_user=None)
    _ballots(cabinet, 0.9, choices=[Choice.FOR] * 4 + [Choice.ABSTAIN], skip_owner_ids=set())
    services.resolution_close(resolution=cabinet, acting_user=None)

    handoff = services.resolution_create(
        community=community,
        title="Riders hand food over at the north gate",
        text=(
            "From next month, delivery riders no longer ride inside. They hand food over at "
            "the shelves and cabinets in the north gate lobby; owners collect it there."
        ),
        effect={
            "type": "entry_policy",
            "policy": "no_entry",
            "handoff_point": "北门大堂：货架和取餐柜",
            "handoff_point_en": "North gate lobby: shelves and food cabinets",
        },
        **window,
        acting_user=None,
    )
    services.resolution_open(resolution=handoff, acting_user=None)
    _ballots(handoff, 0.55, choices=VOTES, skip_owner_ids=named_ids)

    upcoming = services.resolution_create(
        community=community,
        title="Speed limit of 10 km/h for e-bikes inside",
        text="All e-bikes, riders' included, keep to 10 km/h inside the community.",
        opens_at=now + dt.timedelta(days=3),
        closes_at=now + dt.timedelta(days=10),
        acting_user=None,
    )
    services.resolution_open(resolution=upcoming, acting_user=None)
    services.resolution_create(
        community=community,
        title="Rider rest station by building 5",
        text="A shaded rest station with water and phone charging beside building 5.",
        effect={
            "type": "facility",
            "kind": "rest_station",
            "name": "5号楼骑手休息站",
            "name_en": "Building 5 rest station",
        },
        acting_user=None,
    )


def seed(stdout=None) -> list[str]:
    community = Community.objects.filter(slug=SLUG).first()
    if community is None:
        return []
    with transaction.atomic():
        _owners_ensure(community)
        _resolutions_ensure(community)
    lines = ["Owners' votes (log in at /vote/login/):"]
    lines += [f"  {u:<12} / {p:<14} owner, {name}" for u, p, name, _phone, _unit in OWNERS]
    lines.append(f"  Staff vote pages: {reverse('governance:staff_list', args=[SLUG])}")
    return lines
