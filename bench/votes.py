"""Data and timings for the vote benchmarks (`manage.py vote_bench`, the bench scenarios
`vote_participation` and `vote_cast`).

`vote_community_ensure` builds a community of N units with a realistic mix of holders
by bulk inserts: the developer's unsold units (one voter), owners of three units, co-owned
units (two owners each), and single owners. `tally_timings` opens a resolution, writes
ballots for the first M voters and times `tally.tally` in-process.
"""

from __future__ import annotations

import datetime as dt
import statistics
import time
from decimal import Decimal
from importlib import import_module
from typing import Any

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from bench.loadgen import Request
from communities import services as community_services
from communities.models import Building, Community, PropertyCompany, Unit
from governance import services
from governance.models import (
    Ballot,
    Choice,
    Owner,
    Ownership,
    Resolution,
    RollEntry,
    receipt_code_new,
)
from governance.tally import tally

COMPANY_SLUG = "bench-property"
UNITS_PER_BUILDING = 100


def vote_community_ensure(*, slug: str = "bench-votes", units: int = 20_000) -> Community:
    """The community with `units` units and owners; rebuilt if it has another size."""
    community = Community.objects.filter(slug=slug).first()
    if community is not None:
        if Unit.objects.filter(building__community=community).count() == units:
            return community
        Resolution.objects.filter(community=community).delete()
        Owner.objects.filter(ownerships__unit__building__community=community).delete()
        Building.objects.filter(community=community).delete()
    else:
        company = PropertyCompany.objects.filter(slug=COMPANY_SLUG).first()
        if company is None:
            company = community_services.company_create(
                name="Bench Property", slug=COMPANY_SLUG, acting_user=None
            )
        community = community_services.community_create(
            company=company, slug=slug, name="Bench Votes", acting_user=None
        )
    with transaction.atomic():
        _units_and_owners(community, units)
    return community


def _units_and_owners(community: Community, count: int) -> None:
    buildings = Building.objects.bulk_create(
        Building(community=community, number=str(b + 1))
        for b in range(-(-count // UNITS_PER_BUILDING))
    )
    unit_rows = [
        Unit(
            building=buildings[i // UNITS_PER_BUILDING],
            entrance=str(1 + (i % UNITS_PER_BUILDING) // 50),
            number=f"{1 + (i % 50) // 2}{1 + i % 2:02d}",
            exclusive_area=Decimal(60 + (i * 37) % 90) + Decimal("0.25") * (i % 4),
        )
        for i in range(count)
    ]
    made = Unit.objects.bulk_create(unit_rows, batch_size=5000)
    if any(u.pk is None for u in made):
        made = list(Unit.objects.filter(building__community=community).order_by("pk"))
    developer_units = count // 40  # 2.5 % unsold
    triple = count // 20  # 5 % belong to owners of three units
    co_owned = count // 20  # 5 % held by couples
    owners: list[Owner] = [Owner(name="Bench Developer Ltd")]
    plan: list[tuple[int, list[int], bool]] = []  # unit index, owner indexes, developer
    index = 0
    for _ in range(developer_units):
        plan.append((index, [0], True))
        index += 1
    for _ in range(triple // 3):
        owners.append(Owner(name=f"Owner {len(owners)}"))
        for _ in range(3):
            plan.append((index, [len(owners) - 1], False))
            index += 1
    for _ in range(co_owned):
        owners += [Owner(name=f"Owner {len(owners)}"), Owner(name=f"Owner {len(owners) + 1}")]
        plan.append((index, [len(owners) - 2, len(owners) - 1], False))
        index += 1
    while index < count:
        owners.append(Owner(name=f"Owner {len(owners)}", phone=f"139{len(owners):08d}"))
        plan.append((index, [len(owners) - 1], False))
        index += 1
    Owner.objects.bulk_create(owners, batch_size=5000)
    if any(o.pk is None for o in owners):
        raise RuntimeError("the database did not return owner ids")
    Ownership.objects.bulk_create(
        (
            Ownership(unit=made[u], owner=owners[o], developer_held=dev)
            for u, owner_indexes, dev in plan
            for o in owner_indexes
        ),
        batch_size=5000,
    )


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 2)


def tally_timings(
    community: Community, *, ballots: int = 15_000, repeats: int = 20, casts: int = 200
) -> dict[str, Any]:
    """Open a resolution on `community`, write `ballots` ballots, time the count."""
    now = timezone.now()
    resolution = services.resolution_create(
        community=community,
        title="Bench resolution",
        text="Timing the count.",
        opens_at=now - dt.timedelta(minutes=1),
        closes_at=now + dt.timedelta(days=7),
        acting_user=None,
    )
    started = time.perf_counter()
    services.resolution_open(resolution=resolution, acting_user=None)
    freeze = time.perf_counter() - started
    voters = list(RollEntry.objects.filter(resolution=resolution).order_by("pk"))
    choices = [Choice.FOR, Choice.FOR, Choice.AGAINST, Choice.ABSTAIN]
    Ballot.objects.bulk_create(
        (
            Ballot(
                resolution=resolution,
                voter=entry,
                choice=choices[i % 4],
                receipt=receipt_code_new(),
                cast_at=now,
                updated_at=now,
            )
            for i, entry in enumerate(voters[:ballots])
        ),
        batch_size=5000,
    )
    cold_started = time.perf_counter()
    figures = tally(resolution)
    cold = time.perf_counter() - cold_started
    samples = []
    for _ in range(repeats):
        started = time.perf_counter()
        tally(resolution)
        samples.append(time.perf_counter() - started)
    # Casting through the service, for owners without a ballot yet.
    cast_samples = []
    members = list(
        Owner.objects.filter(
            roll_memberships__entry__resolution=resolution,
            roll_memberships__entry__in=voters[ballots : ballots + casts],
        )
        .distinct()
        .order_by("pk")[:casts]
    )
    for owner in members:
        started = time.perf_counter()
        services.ballot_cast(
            resolution=resolution, owner=owner, choice=Choice.FOR, acting_user=None
        )
        cast_samples.append(time.perf_counter() - started)
    cast_sorted = sorted(cast_samples)
    return {
        "units": Unit.objects.filter(building__community=community).count(),
        "voters": figures.total_voters,
        "ballots": figures.participating_voters,
        "roll_freeze_ms": _ms(freeze),
        "tally_cold_ms": _ms(cold),
        "tally_median_ms": _ms(statistics.median(samples)) if samples else None,
        "tally_max_ms": _ms(max(samples)) if samples else None,
        "casts": len(cast_samples),
        "cast_p50_ms": _ms(statistics.median(cast_sorted)) if cast_sorted else None,
        "cast_p95_ms": _ms(cast_sorted[int(len(cast_sorted) * 0.95) - 1])
        if len(cast_sorted) >= 20
        else None,
        "passed": figures.passed,
        "resolution_id": resolution.pk,
    }


def _owner_sessions(owners: list[Owner]) -> list[str]:
    """Log-ins and sessions for `owners`, made without password hashing (bench only)."""
    user_model = get_user_model()
    missing = [o for o in owners if o.user_id is None]
    users = []
    for owner in missing:
        user = user_model(username=f"bench-owner-{owner.pk}")
        user.set_unusable_password()
        users.append(user)
    user_model.objects.bulk_create(users, batch_size=2000, ignore_conflicts=True)
    by_name = {
        u.username: u for u in user_model.objects.filter(username__in=[u.username for u in users])
    }
    for owner in missing:
        owner.user = by_name[f"bench-owner-{owner.pk}"]
    Owner.objects.bulk_update(missing, ["user"], batch_size=2000)
    store = import_module(settings.SESSION_ENGINE).SessionStore
    keys = []
    for owner in owners:
        session = store()
        session[SESSION_KEY] = str(owner.user.pk)
        session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        session[HASH_SESSION_KEY] = owner.user.get_session_auth_hash()
        session.create()
        keys.append(session.session_key)
    return keys


BENCH_CSRF = "benchCsrfSecret0123456789abcdefA"  # 32 characters, as Django's cookie secret


def _bench_resolution(community: Community, title: str) -> Resolution:
    now = timezone.now()
    resolution = services.resolution_create(
        community=community,
        title=title,
        text="Bench.",
        opens_at=now - dt.timedelta(minutes=1),
        closes_at=now + dt.timedelta(days=30),
        acting_user=None,
    )
    return services.resolution_open(resolution=resolution, acting_user=None)


def participation_requests(context: Any):
    """Bench: GET the live participation of a 20,000-unit vote with 15,000 ballots (the
    tally over HTTP), as an owner on the roll."""
    units = context.buildings * context.units_per_building
    community = vote_community_ensure(units=units)
    resolution = _bench_resolution(community, "Bench participation")
    voters = list(RollEntry.objects.filter(resolution=resolution).order_by("pk"))
    now = timezone.now()
    Ballot.objects.bulk_create(
        (
            Ballot(resolution=resolution, voter=v, choice=Choice.FOR, cast_at=now, updated_at=now)
            for v in voters[: units * 3 // 4]
        ),
        batch_size=5000,
    )
    owner = Owner.objects.filter(roll_memberships__entry=voters[0]).first()
    (session,) = _owner_sessions([owner])
    return Request(
        path=reverse("governance:participation", args=[resolution.pk]),
        headers=(("Cookie", f"sessionid={session}"),),
    )


def cast_requests(context: Any, *, owners: int = 1000):
    """Bench: owners cast and change their votes over HTTP (POST, CSRF, JSON answer)."""
    community = vote_community_ensure(units=context.buildings * context.units_per_building)
    resolution = _bench_resolution(community, "Bench casting")
    chosen = list(
        Owner.objects.filter(
            roll_memberships__entry__resolution=resolution,
            roll_memberships__entry__developer=False,
            phone__startswith="139",
        ).order_by("pk")[:owners]
    )
    sessions = _owner_sessions(chosen)
    path = reverse("governance:cast", args=[resolution.pk])
    requests = []
    for choice in ("for", "against"):  # a second round changes every vote
        for session in sessions:
            requests.append(
                Request(
                    method="POST",
                    path=path,
                    headers=(
                        ("Cookie", f"sessionid={session}; csrftoken={BENCH_CSRF}"),
                        ("Content-Type", "application/x-www-form-urlencoded"),
                    ),
                    body=f"choice={choice}&format=json&csrfmiddlewaretoken={BENCH_CSRF}".encode(),
                )
            )
    return lambda n: requests[n % len(requests)]
