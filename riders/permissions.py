"""Who may see or change which rider and grant: staff holding a permission on a community
where the rider holds (or asked for) a grant, through communities.permissions. Another
company's rider or grant raises exactly the Http404 of a missing one."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, QuerySet
from django.shortcuts import get_object_or_404

from communities.permissions import VIEW, User, communities_for_user

from .models import AccessGrant, Rider


def grants_for_user(user: User, *, perm: str = VIEW) -> QuerySet[AccessGrant]:
    """The grants of the communities `user` holds `perm` on (a community permission:
    VIEW to read them, MANAGE_RIDERS to change them)."""
    return AccessGrant.objects.filter(community__in=communities_for_user(user, perm=perm))


def grant_for_user(user: User, rider_id: int, pk: int, *, perm: str = VIEW) -> AccessGrant:
    """Grant `pk` of rider `rider_id` (the staff URL names both) if `user` holds `perm` on
    its community; otherwise 404. Its rider (with platform) and community come with it."""
    return get_object_or_404(
        grants_for_user(user, perm=perm).select_related("rider__platform", "community"),
        rider_id=rider_id,
        pk=pk,
    )


def rider_for_user(user: User, pk: int, *, perm: str = VIEW) -> Rider:
    """Rider `pk` (with platform) if they hold or asked for a grant in a community `user`
    holds `perm` on; otherwise 404. Which of the rider's grants the user may see is
    `grants_for_user(user, perm=perm).filter(rider=rider)`."""
    in_scope = grants_for_user(user, perm=perm).filter(rider=OuterRef("pk"))
    return get_object_or_404(
        Rider.objects.select_related("platform").filter(Exists(in_scope)), pk=pk
    )
