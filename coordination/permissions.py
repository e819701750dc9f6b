"""Who may see or change coordination records: the staff who may view (VIEW: see) or
change (CHANGE: edit) the community, through communities.permissions. Another company's
meeting, item or poll — or another community's under this slug — raises exactly the
Http404 of a missing one.

Street offices: a member of a `StreetOffice` sees the aggregate, public index figures of
the communities of the office's city and district (every company's), and nothing else;
they never change anything (`perm` other than VIEW finds nothing)."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, QuerySet
from django.shortcuts import get_object_or_404

from communities.models import Community
from communities.permissions import VIEW, User, community_object_for_user

from .models import ActionItem, Meeting, Poll, StreetOffice


def street_offices_of_user(user: User) -> QuerySet[StreetOffice]:
    """The street offices `user` is a member of (none for anonymous users)."""
    if not user.is_authenticated or not user.is_active:
        return StreetOffice.objects.none()
    return StreetOffice.objects.filter(members=user)


def district_communities_for_user(user: User, *, perm: str = VIEW) -> QuerySet[Community]:
    """Communities whose city and district are those of a street office `user` belongs
    to, whichever company runs them: a lazy queryset (one query when evaluated). Blank
    cities or districts match no office. Only VIEW is ever granted."""
    if perm != VIEW:
        return Community.objects.none()
    offices = street_offices_of_user(user).filter(
        city=OuterRef("city"), district=OuterRef("district")
    )
    return Community.objects.filter(Exists(offices)).exclude(district="")


def district_community_for_user(user: User, slug: str, *, perm: str = VIEW) -> Community:
    """The community with slug `slug` if it lies in the district of a street office
    `user` belongs to; otherwise (missing, another district, a change asked) 404."""
    return get_object_or_404(district_communities_for_user(user, perm=perm), slug=slug)


def meeting_for_user(user: User, slug: str, pk: int, *, perm: str = VIEW) -> Meeting:
    """Meeting `pk` of the community with slug `slug` if `user` holds `perm` on that
    community; otherwise 404. Its community comes with it (one query)."""
    return community_object_for_user(Meeting.objects.all(), user, slug, pk, perm=perm)


def action_item_for_user(user: User, slug: str, pk: int, *, perm: str = VIEW) -> ActionItem:
    """Action item `pk` of the community with slug `slug` if `user` holds `perm` on that
    community; otherwise 404. Its community comes with it (one query)."""
    return community_object_for_user(ActionItem.objects.all(), user, slug, pk, perm=perm)


def poll_for_user(user: User, slug: str, pk: int, *, perm: str = VIEW) -> Poll:
    """Poll `pk` of the community with slug `slug` if `user` holds `perm` on that
    community; otherwise 404. Its community comes with it (one query)."""
    return community_object_for_user(Poll.objects.all(), user, slug, pk, perm=perm)
