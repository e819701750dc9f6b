"""Who may see or change coordination records: the staff who may view (VIEW: see) or
change (CHANGE: edit) the community, through communities.permissions. Another company's
meeting, item or poll — or another community's under this slug — raises exactly the
Http404 of a missing one."""

from __future__ import annotations

from django.shortcuts import get_object_or_404

from communities.permissions import VIEW, User, communities_for_user

from .models import ActionItem, Meeting, Poll


def meeting_for_user(user: User, slug: str, pk: int, *, perm: str = VIEW) -> Meeting:
    """Meeting `pk` of the community with slug `slug` if `user` holds `perm` on that
    community; otherwise 404. Its community comes with it (one query)."""
    return get_object_or_404(
        Meeting.objects.select_related("community").filter(
            community__in=communities_for_user(user, perm=perm)
        ),
        community__slug=slug,
        pk=pk,
    )


def action_item_for_user(user: User, slug: str, pk: int, *, perm: str = VIEW) -> ActionItem:
    """Action item `pk` of the community with slug `slug` if `user` holds `perm` on that
    community; otherwise 404. Its community comes with it (one query)."""
    return get_object_or_404(
        ActionItem.objects.select_related("community").filter(
            community__in=communities_for_user(user, perm=perm)
        ),
        community__slug=slug,
        pk=pk,
    )


def poll_for_user(user: User, slug: str, pk: int, *, perm: str = VIEW) -> Poll:
    """Poll `pk` of the community with slug `slug` if `user` holds `perm` on that
    community; otherwise 404. Its community comes with it (one query)."""
    return get_object_or_404(
        Poll.objects.select_related("community").filter(
            community__in=communities_for_user(user, perm=perm)
        ),
        community__slug=slug,
        pk=pk,
    )
