"""Who may see or change coordination records: the staff who may view (see) or change
(edit) the community, through communities.permissions. Another company's community,
meeting, item or poll answers 404, exactly as a missing one."""

from __future__ import annotations

from django.http import Http404

from communities.models import Community
from communities.permissions import CHANGE, VIEW, User, get_community_for_user

from .models import ActionItem, Meeting, Poll


def community_for_staff(user: User, slug: str, *, change: bool = False) -> Community:
    return get_community_for_user(user, slug, perm=CHANGE if change else VIEW)


def meeting_for_staff(user: User, slug: str, pk: int, *, change: bool = False) -> Meeting:
    community = community_for_staff(user, slug, change=change)
    meeting = Meeting.objects.filter(community=community, pk=pk).first()
    if meeting is None:
        raise Http404("No such meeting")
    meeting.community = community
    return meeting


def action_item_for_staff(user: User, slug: str, pk: int) -> ActionItem:
    community = community_for_staff(user, slug, change=True)
    item = ActionItem.objects.filter(community=community, pk=pk).first()
    if item is None:
        raise Http404("No such action item")
    item.community = community
    return item


def poll_for_staff(user: User, slug: str, pk: int, *, change: bool = False) -> Poll:
    community = community_for_staff(user, slug, change=change)
    poll = Poll.objects.filter(community=community, pk=pk).first()
    if poll is None:
        raise Http404("No such poll")
    poll.community = community
    return poll
