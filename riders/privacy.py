"""A rider's personal data: who may see it unmasked, what a rider can see of their own,
erasure at the rider's request and removal after a period of inactivity.

- `phone_for_staff` is the only place a phone is shown unmasked to staff; it writes a
  `personal_data_view` audit row each time it does.
- `rider_data` is what /pass/my-data/ shows the rider.
- `rider_erase` ends every grant through the grant service, blanks the rider's details,
  deletes the photo file after commit, anonymises events and forgets the devices.
- `riders_purge_inactive` erases riders inactive for RIDERS_INACTIVE_PURGE_DAYS.

See docs/privacy.md.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone

from core.audit import audit_record
from core.users import ActingUser as User

from .models import AccessEvent, AccessGrant, GrantStatus, Rider, RiderDevice
from .services.grants import grant_revoke

PERSONAL_DATA_PERM = "riders.view_personal_data"
ERASED_ID_PREFIX = "erased-"
MY_DATA_EVENTS = 50
# The grant service keeps this reason on every grant an erasure ends (English on purpose:
# it is stored, and staff of any language read the same row).
ERASE_REASON = "erased at the rider's request"
PURGE_REASON = "erased after %(days)s days without activity"


def can_view_personal_data(user: User) -> bool:
    """Staff holding `riders.view_personal_data` (a global permission, given to a user or a
    group; superusers hold it). Which riders they can reach is still scoped by community."""
    return bool(
        user is not None
        and getattr(user, "is_authenticated", False)
        and user.is_active
        and user.is_staff
        and user.has_perm(PERSONAL_DATA_PERM)
    )


def personal_data_view_record(*, rider: Rider, acting_user: User, what: str = "phone") -> None:
    """The audit row for one unmasked view: which rider, who, what (never the value)."""
    audit_record(
        action="personal_data_view",
        obj=rider,
        acting_user=acting_user,
        after={"field": what, "rider_id": rider.pk},
    )


def phone_for_staff(*, rider: Rider, user: User, reveal: bool = True) -> str:
    """The phone as `user` may see it: unmasked (and audited) only when `reveal` is asked
    and the user holds the permission; masked otherwise."""
    if reveal and rider.phone and can_view_personal_data(user):
        personal_data_view_record(rider=rider, acting_user=user)
        return rider.phone
    return rider.phone_masked


@dataclass
class RiderData:
    """Everything /pass/my-data/ shows a rider about themselves."""

    rider: Rider
    grants: list[AccessGrant] = field(default_factory=list)
    events: list[AccessEvent] = field(default_factory=list)
    devices: list[RiderDevice] = field(default_factory=list)


def rider_data(rider: Rider) -> RiderData:
    """The rider, their grants with communities, their last MY_DATA_EVENTS events with
    gates and communities, and the devices holding their pass: three queries."""
    grants = list(
        AccessGrant.objects.filter(rider=rider).select_related("community").order_by("-created_at")
    )
    events = list(
        AccessEvent.objects.filter(rider=rider)
        .select_related("gate__community")
        .order_by("-occurred_at", "-id")[:MY_DATA_EVENTS]
    )
    devices = list(RiderDevice.objects.filter(rider=rider).order_by("-created_at", "-pk"))
    return RiderData(rider=rider, grants=grants, events=events, devices=devices)


def rider_erase(*, rider: Rider, acting_user: User = None, reason: str = ERASE_REASON) -> dict:
    """Erase a rider's personal data, keeping what the gates and the counts need.

    Every grant not yet revoked ends through `grant_revoke` (so the gates' access lists
    drop the rider in the same transaction); name, phone, station, plate and photo are
    blanked and the platform's rider id replaced by `erased-<pk>` (the rider may register
    again, as a new rider); events keep gate, time, direction and decision but lose the
    rider and grant; the rider's devices are deleted, so the phone's cookie opens nothing.
    The photo file is deleted after commit. Returns the counts it audited.
    """
    with transaction.atomic():
        rider = Rider.objects.select_for_update().get(pk=rider.pk)
        revoked = 0
        grants = AccessGrant.objects.filter(rider=rider).select_related("rider", "community")
        for grant in grants.exclude(status=GrantStatus.REVOKED):
            grant_revoke(grant=grant, reason=reason, acting_user=acting_user)
            revoked += 1
        events = AccessEvent.objects.filter(rider=rider).update(rider=None, grant=None)
        devices, _ = RiderDevice.objects.filter(rider=rider).delete()
        photo_name = rider.photo.name if rider.photo else ""
        storage = rider.photo.storage
        rider.name = ""
        rider.phone = ""
        rider.station = ""
        rider.vehicle_plate = ""
        rider.photo = ""
        rider.platform_rider_id = f"{ERASED_ID_PREFIX}{rider.pk}"
        rider.save()
        counts = {
            "grants_revoked": revoked,
            "events_anonymised": events,
            "devices_deleted": devices,
            "photo_deleted": bool(photo_name),
            "reason": reason,
        }
        audit_record(action="rider_erase", obj=rider, acting_user=acting_user, after=counts)
        if photo_name:
            transaction.on_commit(lambda: storage.delete(photo_name))
    return counts


def riders_inactive(*, days: int, now: dt.datetime | None = None) -> QuerySet[Rider]:
    """Riders with no active grant, no event and no change to their row in the last `days`
    days, not already erased."""
    cutoff = (now or timezone.now()) - dt.timedelta(days=days)
    active_grant = AccessGrant.objects.filter(rider=OuterRef("pk"), status=GrantStatus.ACTIVE)
    recent_grant = AccessGrant.objects.filter(rider=OuterRef("pk"), updated_at__gte=cutoff)
    recent_event = AccessEvent.objects.filter(rider=OuterRef("pk"), occurred_at__gte=cutoff)
    return (
        Rider.objects.filter(updated_at__lt=cutoff)
        .exclude(platform_rider_id__startswith=ERASED_ID_PREFIX)
        .exclude(Exists(active_grant))
        .exclude(Exists(recent_grant))
        .exclude(Exists(recent_event))
        .order_by("pk")
    )


def riders_purge_inactive(
    *, days: int | None = None, limit: int = 500, now: dt.datetime | None = None
) -> int:
    """Erase up to `limit` inactive riders (see `riders_inactive`); returns how many.
    Running it again changes nothing more: erased riders are no longer candidates."""
    days = settings.RIDERS_INACTIVE_PURGE_DAYS if days is None else days
    ids = list(riders_inactive(days=days, now=now).values_list("pk", flat=True)[:limit])
    reason = PURGE_REASON % {"days": days}
    for rider in Rider.objects.filter(pk__in=ids):
        rider_erase(rider=rider, acting_user=None, reason=reason)
    return len(ids)
