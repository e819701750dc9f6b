"""The rider's device cookies: issuing one, finding the rider it names, removing one."""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from django.db import transaction
from django.utils import timezone

from core.audit import audit_record

from ..models import Rider, RiderDevice


def device_rider_verified(rider: Rider | None) -> bool:
    """Whether `rider` came from a device cookie bound by the platform's link
    (`rider_for_device` notes which device it came from)."""
    device = getattr(rider, "current_device", None)
    return bool(device is not None and device.verified)


def device_token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def device_issue(*, rider: Rider, verified: bool = False) -> str:
    """A new device token for the rider's cookie; only its hash is stored. `verified`:
    the platform's assertion bound it (see RiderDevice)."""
    token = secrets.token_urlsafe(32)
    RiderDevice.objects.create(
        rider=rider,
        token_hash=device_token_hash(token),
        last_seen_at=timezone.now(),
        verified=verified,
    )
    return token


def rider_for_device(token: str | None) -> Rider | None:
    """The rider whose device cookie holds `token`, or None. The rider carries the device
    it was found by as `current_device` (no extra query)."""
    if not token or len(token) > 100:
        return None
    device = (
        RiderDevice.objects.select_related("rider__platform")
        .filter(token_hash=device_token_hash(token))
        .first()
    )
    if device is None:
        return None
    rider = device.rider
    rider.current_device = device  # type: ignore[attr-defined]
    return rider


@transaction.atomic
def device_remove(*, rider: Rider, device_id: int, acting_user: Any = None) -> RiderDevice:
    """The rider takes their pass off one of their devices (RiderDevice.DoesNotExist for a
    device that is not theirs: the view answers 404 for both)."""
    device = RiderDevice.objects.select_for_update().get(pk=device_id, rider=rider)
    audit_record(
        action="rider_device_remove",
        obj=rider,
        acting_user=acting_user,
        after={"device_id": device.pk, "verified": device.verified},
    )
    device.delete()
    return device
