"""What riders tell gate sync (gatesync.interface), which sits below riders and knows
nothing of grants, riders or platforms:

- grant_changed: which grants may pass the gates — an active grant of a rider who is
  active at an active platform — logged in the transaction that changed the grant;
- community_rebuild: the same for every grant of a community (repair tool);
- published_keys and rider_names: the providers gate sync calls for the public
  pass-signing keys a snapshot carries and the names Hikvision terminals show
  (registered in riders' AppConfig.ready).
"""

from __future__ import annotations

from collections.abc import Iterable

from django.utils import timezone

from gatesync.interface import Access, access_changed, listed_grant_ids

from ..models import AccessGrant, GrantStatus, Rider
from .keys import jwks

# Rider ids per query when naming a list's riders (a Hikvision snapshot names 50,000).
RIDER_QUERY_CHUNK = 5000


def grant_access(grant: AccessGrant) -> Access | None:
    """What gate sync should list for `grant`: its rider and validity when the grant may
    pass now, else None."""
    if grant.status != GrantStatus.ACTIVE:
        return None
    if grant.valid_until is not None and grant.valid_until <= timezone.now():
        return None  # ended: no need to ask whether the rider is still active
    if not _rider_active(grant):
        return None
    return Access(
        rider_id=grant.rider_id, valid_from=grant.valid_from, valid_until=grant.valid_until
    )


def _rider_active(grant: AccessGrant) -> bool:
    """The rider is active at a platform that is itself active (an inactive platform's
    riders leave the lists as if each were deactivated)."""
    rider = grant._state.fields_cache.get("rider")
    if rider is not None and "platform" in rider._state.fields_cache:
        return rider.platform_active and rider.platform.active
    return Rider.objects.filter(
        pk=grant.rider_id, platform_active=True, platform__active=True
    ).exists()


def grant_changed(grant: AccessGrant, *, cause: str, new: bool = False) -> int | None:
    """Bring the community's gate list in line with `grant`; returns the new list version,
    or None if it already agreed. Inside the transaction that changed the grant (`new`: it
    inserted the grant)."""
    return access_changed(
        community_id=grant.community_id,
        grant_id=grant.pk,
        access=grant_access(grant),
        cause=cause,
        new=new,
    )


def community_rebuild(community_id: int, *, cause: str = "rebuild") -> int:
    """Recompute a community's whole gate list from its grants (repair tool; idempotent).
    Returns the number of grants whose entry changed."""
    changed = 0
    grants = AccessGrant.objects.select_related("rider__platform").filter(community_id=community_id)
    listed = listed_grant_ids(community_id)
    for grant in grants.filter(status=GrantStatus.ACTIVE) | grants.filter(pk__in=listed):
        if grant_changed(grant, cause=cause) is not None:
            changed += 1
    return changed


def published_keys() -> list[dict]:
    """The public JWKs controllers verify passes with (gate sync's snapshots carry them)."""
    return jwks()["keys"]


def rider_names(rider_ids: Iterable[int]) -> dict[int, str]:
    """Rider id -> name, RIDER_QUERY_CHUNK ids per query."""
    ids = sorted(set(rider_ids))
    names: dict[int, str] = {}
    for start in range(0, len(ids), RIDER_QUERY_CHUNK):
        chunk = ids[start : start + RIDER_QUERY_CHUNK]
        names.update(Rider.objects.filter(pk__in=chunk).values_list("pk", "name"))
    return names
