"""Who may see or change coordination records: the staff who may view (VIEW: see) or
change (CHANGE: edit) the community, through communities.permissions. Another company's
meeting, item or poll — or another community's under this slug — raises exactly the
Http404 of a missing one."""

from __future__ import annotations

from communities.permissions import VIEW, User, community_object_for_user

from .models import ActionItem, Meeting, Poll


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
