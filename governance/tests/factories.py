"""Factories and helpers for governance tests: owners, units they own, open resolutions."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from communities.models import Building, Community, Unit
from governance import services
from governance.models import Owner, Resolution


class OwnerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Owner

    name = factory.Sequence(lambda n: f"Owner {n}")
    phone = factory.Sequence(lambda n: f"1380000{n:04d}")


def owner_with_login(username: str, password: str = "pw-owner-123", **kwargs) -> Owner:
    user = get_user_model().objects.create_user(username, password=password)
    return OwnerFactory(user=user, **kwargs)


_building_seq = iter(range(1, 10**9))


def units_make(
    community: Community, count: int, area: str | Decimal = "100.00", building: str = ""
) -> list[Unit]:
    """`count` units in one new building (or `building`) of `community`."""
    number = building or str(next(_building_seq) + 100)
    bld, _ = Building.objects.get_or_create(community=community, number=number)
    start = bld.units.count()
    return [
        Unit.objects.create(
            building=bld,
            entrance="1",
            number=str(101 + start + i),
            exclusive_area=Decimal(str(area)),
        )
        for i in range(count)
    ]


def owned_units(
    community: Community, count: int, area: str | Decimal = "100.00", **owner_kwargs
) -> tuple[Owner, list[Unit]]:
    """A new owner holding `count` new units of `area` each."""
    owner = OwnerFactory(**owner_kwargs)
    units = units_make(community, count, area)
    for unit in units:
        services.ownership_add(unit=unit, owner=owner, acting_user=None)
    return owner, units


def owners_each_one_unit(
    community: Community, count: int, area: str | Decimal = "100.00"
) -> list[Owner]:
    return [owned_units(community, 1, area)[0] for _ in range(count)]


def resolution_draft(community: Community, **kwargs) -> Resolution:
    now = timezone.now()
    values = {
        "title": "Riders hand off at the north gate",
        "text": "Shall riders stop entering and hand food over at the north gate?",
        "opens_at": now - dt.timedelta(minutes=5),
        "closes_at": now + dt.timedelta(days=7),
    }
    values.update(kwargs)
    return services.resolution_create(community=community, acting_user=None, **values)


def resolution_opened(community: Community, **kwargs) -> Resolution:
    return services.resolution_open(
        resolution=resolution_draft(community, **kwargs), acting_user=None
    )


def votes_cast(resolution: Resolution, owners: list[Owner], choice: str) -> None:
    for owner in owners:
        services.ballot_cast(resolution=resolution, owner=owner, choice=choice, acting_user=None)
