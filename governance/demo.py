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

from . import services
from .models import Ballot, BallotLog, Choice, Matter, Owner, Ownership, RollEntry

SLUG = "willow-garden"
OWNERS = (  # user name, password, name, phone, house number
    ("owner.wang", "owner-pass-1", "王芳 Wang Fang", "13800000001", ("7", "2", "1503")),
    ("owner.li", "owner-pass-2", "李雷 Li Lei", "13800000002", ("3", "1", "801")),
)


def _units(community: Community) -> list[Unit]:
    return list(
        Unit.objects.filter(building__community=community)
        .select_related("building")
        .order_by("building__number", "entrance", "number")
    )


def _owners_ensure(community: Community) -> None:
    if Ownership.objects.filter(unit__building__community=community).exists():
        return
    units = _units(community)
    named = {}
    for username, password, name, phone, (b, e, n) in OWNERS:
        user_model = get_user_model()
        user = user_model.objects.filter(username=username).first()
        if user is None:
            user = user_model.objects.create_user(username, password=password)
        named[(b, e, n)] = Owner.objects.create(user=user, name=name, phone=phone)
    developer = Owner.objects.create(name="柳岸置业 Willow Developer Ltd")
    rows: list[Ownership] = []
    plain: list[tuple[Unit, int]] = []
    new_owners: list[Owner] = []
    for i, unit in enumerate(units):
        key = (unit.building.number, unit.entrance, unit.number)
        if key in named:
            rows.append(Ownership(unit=unit, owner=named[key]))
            if key == OWNERS[1][4]:  # Li Lei co-owns with his wife
                new_owners.append(Owner(name="韩梅梅 Han Meimei", phone="13800000003"))
                plain.append((unit, len(new_owners) - 1))
        elif i % 25 == 0:
            rows.append(Ownership(unit=unit, owner=developer, developer_held=True))
        elif i % 40 in (1, 2, 3):  # owners of three flats
            if i % 40 == 1:
                new_owners.append(Owner(name=f"Owner {i}"))
            plain.append((unit, len(new_owners) - 1))
        else:
            new_owners.append(Owner(name=f"Owner {i}", phone=f"1390000{i:04d}"))
            plain.append((unit, len(new_owners) - 1))
            if i % 17 == 0:  # co-owned
                new_owners.append(Owner(name=f"Co-owner {i}"))
                plain.append((unit, len(new_owners) - 1))
    Owner.objects.bulk_create(new_owners, batch_size=1000)
    rows += [Ownership(unit=unit, owner=new_owners[index]) for unit, index in plain]
    Ownership.objects.bulk_create(rows, batch_size=1000)


def _ballots(resolution, share: float, *, skip_owner_ids: set[int]) -> None:
    """Ballots for the first `share` of the roll (bulk: demo data, not user actions)."""
    voters = list(RollEntry.objects.filter(resolution=resolution).order_by("pk"))
    skip = set(
        RollEntry.objects.filter(
            resolution=resolution, members__owner_id__in=skip_owner_ids
        ).values_list("pk", flat=True)
    )
    now = timezone.now()
    choices = [Choice.FOR, Choice.FOR, Choice.FOR, Choice.AGAINST, Choice.ABSTAIN]
    ballots = [
        Ballot(resolution=resolution, voter=v, choice=choices[i % 5], cast_at=now, updated_at=now)
        for i, v in enumerate(voters[: int(len(voters) * share)])
        if v.pk not in skip and not v.voter_key.startswith("unit:")
    ]
    Ballot.objects.bulk_create(ballots, batch_size=1000)
    BallotLog.objects.bulk_create(
        [
            BallotLog(
                resolution=resolution, voter=b.voter, choice=b.choice, receipt=b.receipt, at=now
            )
            for b in ballots
        ],
        batch_size=1000,
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
            "name": "East gate food cabinet",
            "x_pct": "88",
            "y_pct": "52",
        },
        **window,
        acting_user=None,
    )
    services.resolution_open(resolution=cabinet, acting_user=None)
    _ballots(cabinet, 0.9, skip_owner_ids=set())
    Ballot.objects.filter(resolution=cabinet, choice=Choice.AGAINST).update(choice=Choice.FOR)
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
            "handoff_point": "North gate lobby: shelves and food cabinets",
        },
        **window,
        acting_user=None,
    )
    services.resolution_open(resolution=handoff, acting_user=None)
    _ballots(handoff, 0.55, skip_owner_ids=named_ids)

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
        effect={"type": "facility", "kind": "rest_station", "name": "Building 5 rest station"},
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
