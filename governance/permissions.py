"""Who may see or change which resolution and feedback.

Staff: by their permission on the community, through communities.permissions (VIEW to
read, CHANGE to act). Owners: the resolutions of communities where they own a unit or
stand on the frozen roll (`selectors.resolutions_for_owner`). Another company's object,
or another community's, raises exactly the Http404 of a missing one."""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import get_object_or_404

from communities.permissions import VIEW, User, community_object_for_user

from .models import Feedback, Owner, Resolution
from .selectors import owner_for_user, resolutions_for_owner


def resolution_for_user(user: User, slug: str, pk: int, *, perm: str = VIEW) -> Resolution:
    """Resolution `pk` of the community with slug `slug` if `user` holds `perm` on that
    community; otherwise 404. Its community comes with it (one query)."""
    return community_object_for_user(Resolution.objects.all(), user, slug, pk, perm=perm)


def feedback_for_user(user: User, slug: str, pk: int, *, perm: str = VIEW) -> Feedback:
    """Feedback `pk` of the community with slug `slug` if `user` holds `perm` on that
    community; otherwise 404. Its community comes with it (one query)."""
    return community_object_for_user(Feedback.objects.all(), user, slug, pk, perm=perm)


def owner_of_user(user: User) -> Owner:
    """The owner `user` logs in as; 404 for anyone else (staff, a rider, nobody)."""
    owner = owner_for_user(user)
    if owner is None:
        raise Http404("Not an owner")
    return owner


def resolution_for_owner(owner: Owner, pk: int) -> Resolution:
    """Resolution `pk` if `owner` may see it (not a draft; a unit in its community now, or
    a place on its frozen roll); otherwise 404."""
    return get_object_or_404(resolutions_for_owner(owner), pk=pk)
