"""What delivery platforms do to their riders."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import transaction

from portal.audit import audit_record

from ..models import AccessGrant, GrantStatus, Platform, Rider
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
