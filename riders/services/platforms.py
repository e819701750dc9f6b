"""What delivery platforms do to their riders."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import transaction

from core.audit import audit_record

from ..models import AccessGrant, GrantStatus, Platform, Rider, RiderDeactivation
from .gate_access import grant_changed
from .grants import grant_suspend


@transaction.atomic
def platform_rider_deactivate(
    *,
    platform: Platform,
    platform_rider_id: str,
    acting_user: AbstractBaseUser | AnonymousUser | None = None,
) -> int:
    """The platform no longer vouches for this rider: every pending or active grant is
    suspended (through the grant service) and the rider is marked inactive at the
    platform, so new registrations are refused. Returns the number of grants suspended.
    Raises Rider.DoesNotExist for an unknown rider."""
    rider = Rider.objects.select_for_update().get(
        platform=platform, platform_rider_id=platform_rider_id
    )
    if rider.platform_active:
        rider.platform_active = False
        rider.save(update_fields=["platform_active", "updated_at"])
    # Outlives the rider's row being erased: registering again stays deactivated.
    RiderDeactivation.objects.get_or_create(platform=platform, platform_rider_id=platform_rider_id)
    count = 0
    grants = AccessGrant.objects.filter(
        rider=rider, status__in=[GrantStatus.PENDING, GrantStatus.ACTIVE]
    ).select_related("rider")
    for grant in grants:
        grant_suspend(
            grant=grant, reason=f"Deactivated by {platform.name}", acting_user=acting_user
        )
        count += 1
    audit_record(
        action="platform_rider_deactivate",
        obj=rider,
        acting_user=acting_user,
        after={"platform": platform.code, "grants_suspended": count},
    )
    return count


@transaction.atomic
def platform_set_active(
    *,
    platform: Platform,
    active: bool,
    acting_user: AbstractBaseUser | AnonymousUser | None = None,
) -> int:
    """Start or stop accepting a platform. An inactive platform's riders are treated as if
    each were deactivated (no pass tokens, denied at verify, off the controllers' lists)
    without touching their grants, so reactivating the platform brings them all back.
    Returns the number of list changes logged for gate sync."""
    if platform.active != active:
        platform.active = active
        platform.save(update_fields=["active"])
    return platform_access_sync(platform=platform, acting_user=acting_user)


@transaction.atomic
def platform_access_sync(
    *, platform: Platform, acting_user: AbstractBaseUser | AnonymousUser | None = None
) -> int:
    """Bring the controllers' access lists in line with `platform.active`, through gate
    sync's change log (a grant already listed as it should be logs nothing, so this is
    idempotent). Runs in the transaction that changed the platform, so a controller never
    receives the flag's change without the list's. One statement per active grant of the
    platform's riders: at hundreds of thousands of riders this belongs in a batched task
    (see docs/security.md)."""
    grants = (
        AccessGrant.objects.filter(rider__platform=platform, status=GrantStatus.ACTIVE)
        .select_related("rider")
        .order_by("community_id", "pk")
    )
    changed = 0
    for grant in grants.iterator(chunk_size=1000):
        grant.rider.platform = platform  # the flag as just saved, no query per grant
        cause = "platform_activate" if platform.active else "platform_deactivate"
        if grant_changed(grant, cause=cause) is not None:
            changed += 1
    audit_record(
        action="platform_activate" if platform.active else "platform_deactivate",
        obj=platform,
        acting_user=acting_user,
        after={"active": platform.active, "list_changes": changed},
    )
    return changed
