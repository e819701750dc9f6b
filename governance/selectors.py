"""Reads for governance pages and for other apps' pages."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet, Subquery
from django.utils import timezone

from communities.models import Community

from .models import Notice, Owner, Resolution, ResolutionState, RollEntry, RollMember


def owner_for_user(user) -> Owner | None:
    if not getattr(user, "is_authenticated", False):
        return None
    return Owner.objects.filter(user=user).first()


def resolutions_for_owner(owner: Owner) -> QuerySet[Resolution]:
    """Resolutions an owner may see: every non-draft one of a community where they own a
    unit now, or where they are on the frozen roll."""
    communities = owner.ownerships.values("unit__building__community_id")
    on_roll = RollEntry.objects.filter(members__owner=owner).values("resolution_id")
    return (
        Resolution.objects.exclude(state=ResolutionState.DRAFT)
        .filter(Q(community_id__in=communities) | Q(pk__in=on_roll))
        .select_related("community")
        .order_by("-opens_at", "-pk")
    )


def resolutions_grouped(owner: Owner) -> dict[str, list[Resolution]]:
    """Open now, upcoming, past — for the owner's index page (one query)."""
    now = timezone.now()
    groups: dict[str, list[Resolution]] = {"open": [], "upcoming": [], "past": []}
    for resolution in resolutions_for_owner(owner):
        if resolution.state == ResolutionState.OPEN:
            if resolution.opens_at and now < resolution.opens_at:
                groups["upcoming"].append(resolution)
            elif resolution.closes_at and now >= resolution.closes_at:
                groups["past"].append(resolution)  # waiting for the beat to count it
            else:
                groups["open"].append(resolution)
        else:
            groups["past"].append(resolution)
    return groups


def owner_roll_entry_ids(owner: Owner) -> list[int]:
    """The roll entries `owner` is a member of, across resolutions (a few dozen). Asked on
    its own, by the owner's index, before filtering by resolution: joined in one query on
    freshly written rolls (statistics not yet updated) PostgreSQL walked a whole
    20,000-entry roll probing the owner's memberships for each — 70 ms per ballot on the
    scale data set instead of 1."""
    return list(RollMember.objects.filter(owner=owner).values_list("entry_id", flat=True))


def notices_for(community, *, limit: int = 5):
    """Current notices of `community`, newest first (one query). For owners' pages and
    the rules page."""
    now = timezone.now()
    return list(
        Notice.objects.filter(community=community, published_at__lte=now)
        .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))
        .order_by("-published_at")[:limit]
    )


def notices_for_owner(owner: Owner, *, limit: int = 10):
    now = timezone.now()
    communities = owner.ownerships.values("unit__building__community_id")
    return list(
        Notice.objects.filter(community_id__in=communities, published_at__lte=now)
        .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))
        .select_related("community")
        .order_by("-published_at")[:limit]
    )


def owner_communities(owner: Owner):
    return Community.objects.filter(
        pk__in=owner.ownerships.values("unit__building__community_id")
    ).order_by("name")


def entry_decision_pending_subquery(community_ref: Any) -> Subquery:
    """The number of the community's passed no-entry resolution still waiting for its
    hand-off point (None: none), as a subquery, so a page's rules query carries it at no
    extra query. `community_ref`: an OuterRef to the community id."""
    pending = Resolution.objects.filter(
        community_id=community_ref, state=ResolutionState.PASSED_PENDING
    ).order_by("-number")
    return Subquery(pending.values("number")[:1])
