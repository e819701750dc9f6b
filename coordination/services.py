"""Writes of the coordination app: `<entity>_<verb>(*, ..., acting_user)`, each with an
audit row. Reads live in selectors.py; the index itself in friendliness.py."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from communities.models import Community
from core.audit import acting_user_or_none, audit_record
from core.users import ActingUser as User
from governance.models import Owner, Resolution
from riders.models import Rider

from .friendliness import friendliness_compute
from .models import (
    ActionItem,
    ActionStatus,
    FriendlinessSnapshot,
    Meeting,
    Participant,
    Poll,
    PollAnswer,
    PollAudience,
    PollChoice,
    Side,
)
from .selectors import agenda_assemble

# --- the index's daily snapshots ----------------------------------------------------------


def friendliness_snapshot_take(
    *, community: Community, now: dt.datetime | None = None
) -> FriendlinessSnapshot:
    """Compute the index now and store it as today's snapshot (a second run the same day
    updates the row). No audit row: nobody acts, and the row is itself the record."""
    now = now or timezone.now()
    index = friendliness_compute(community, now=now)
    snapshot, _created = FriendlinessSnapshot.objects.update_or_create(
        community=community,
        day=timezone.localdate(now),
        defaults={
            "score": index.score,
            "components": index.components_json(),
            "computed_at": now,
        },
    )
    return snapshot


# --- meetings --------------------------------------------------------------------------


def _clean(value: str | None) -> str:
    return (value or "").strip()


@transaction.atomic
def meeting_schedule(
    *,
    community: Community,
    title: str,
    scheduled_at: dt.datetime,
    place: str = "",
    recurrence: str = Meeting.Recurrence.MONTHLY,
    agenda: str | None = None,
    acting_user: User,
) -> Meeting:
    """Schedule a meeting. Without an agenda, one is assembled from the community's open
    feedback, last week's gate figures and pending facility ideas."""
    if recurrence not in Meeting.Recurrence.values:
        raise ValidationError({"recurrence": _("Unknown repetition.")})
    if scheduled_at is None:
        raise ValidationError({"scheduled_at": _("Give the date and time.")})
    meeting = Meeting(
        community=community,
        title=_clean(title),
        scheduled_at=scheduled_at,
        place=_clean(place),
        recurrence=recurrence,
        agenda=_clean(agenda) if agenda is not None else agenda_assemble(community),
        created_by=acting_user_or_none(acting_user),
    )
    meeting.full_clean()
    meeting.save()
    audit_record(
        action="meeting_schedule",
        obj=meeting,
        acting_user=acting_user,
        community_id=community.pk,
        after={"title": meeting.title, "scheduled_at": scheduled_at.isoformat()},
    )
    return meeting


@transaction.atomic
def meeting_update(
    *,
    meeting: Meeting,
    agenda: str,
    minutes: str,
    acting_user: User,
) -> Meeting:
    """Edit the agenda and minutes. Published minutes stay published, edits included."""
    meeting.agenda = _clean(agenda)
    meeting.minutes = _clean(minutes)
    meeting.save(update_fields=["agenda", "minutes"])
    audit_record(
        action="meeting_update",
        obj=meeting,
        acting_user=acting_user,
        community_id=meeting.community_id,
    )
    return meeting


def meeting_publish_blockers(meeting: Meeting) -> list[str]:
    """Why the minutes cannot be published yet (empty: they can)."""
    reasons = []
    if meeting.minutes_published_at is not None:
        reasons.append(_("The minutes are already published."))
    if not meeting.minutes.strip():
        reasons.append(_("Write the minutes first."))
    if meeting.scheduled_at > timezone.now():
        reasons.append(_("The meeting has not taken place yet."))
    return reasons


@transaction.atomic
def meeting_minutes_publish(*, meeting: Meeting, acting_user: User) -> Meeting:
    """Publish the minutes on the community's public "what we agreed" page."""
    blockers = meeting_publish_blockers(meeting)
    if blockers:
        raise ValidationError(blockers)
    meeting.minutes_published_at = timezone.now()
    meeting.save(update_fields=["minutes_published_at"])
    audit_record(
        action="meeting_minutes_publish",
        obj=meeting,
        acting_user=acting_user,
        community_id=meeting.community_id,
    )
    return meeting


def meeting_next_after(meeting: Meeting) -> dt.datetime | None:
    """When a monthly meeting's next one falls (same day of the month, or the month's last
    day), or None for a one-off."""
    if meeting.recurrence != Meeting.Recurrence.MONTHLY:
        return None
    at = timezone.localtime(meeting.scheduled_at)
    year, month = (at.year + 1, 1) if at.month == 12 else (at.year, at.month + 1)
    for day in (at.day, 30, 29, 28):
        try:
            return at.replace(year=year, month=month, day=day)
        except ValueError:
            continue
    raise AssertionError("unreachable: every month has 28 days")


@transaction.atomic
def participant_add(
    *,
    meeting: Meeting,
    side: str,
    name: str,
    role: str = "",
    email: str = "",
    acting_user: User,
) -> Participant:
    if side not in Side.values:
        raise ValidationError({"side": _("Choose one of the four sides.")})
    participant = Participant(
        meeting=meeting, side=side, name=_clean(name), role=_clean(role), email=_clean(email)
    )
    participant.full_clean()
    participant.save()
    audit_record(
        action="participant_add",
        obj=participant,
        acting_user=acting_user,
        community_id=meeting.community_id,
        after={"side": side, "name": participant.name},
    )
    return participant


# --- action items ----------------------------------------------------------------------


@transaction.atomic
def action_item_create(
    *,
    meeting: Meeting,
    title: str,
    owner_name: str,
    owner_side: str,
    due_on: dt.date,
    owner_email: str = "",
    acting_user: User,
) -> ActionItem:
    """Record a decision of the meeting as an action item: who does what by when."""
    if owner_side not in Side.values:
        raise ValidationError({"owner_side": _("Choose one of the four sides.")})
    if due_on is None:
        raise ValidationError({"due_on": _("Give a due date.")})
    item = ActionItem(
        meeting=meeting,
        community_id=meeting.community_id,
        title=_clean(title),
        owner_name=_clean(owner_name),
        owner_side=owner_side,
        owner_email=_clean(owner_email),
        due_on=due_on,
    )
    item.full_clean()
    item.save()
    audit_record(
        action="action_item_create",
        obj=item,
        acting_user=acting_user,
        community_id=meeting.community_id,
        after={"title": item.title, "due_on": due_on.isoformat(), "owner": item.owner_name},
    )
    return item


@transaction.atomic
def action_item_set_status(
    *, item: ActionItem, status: str, note: str = "", acting_user: User
) -> ActionItem:
    """Move an item along: open, in progress, done or dropped (dropping needs a reason,
    since the public sees it)."""
    if status not in ActionStatus.values:
        raise ValidationError({"status": _("Unknown status.")})
    note = _clean(note)
    if status == ActionStatus.DROPPED and not note:
        raise ValidationError({"note": _("Say why the decision was dropped.")})
    before = {"status": item.status}
    item.status = status
    item.note = note[:300]
    item.done_at = timezone.now() if status == ActionStatus.DONE else None
    item.save(update_fields=["status", "note", "done_at", "updated_at"])
    audit_record(
        action="action_item_set_status",
        obj=item,
        acting_user=acting_user,
        community_id=item.community_id,
        before=before,
        after={"status": status, "note": item.note},
    )
    return item


# --- opinion polls ---------------------------------------------------------------------


@transaction.atomic
def poll_create(
    *,
    community: Community,
    audience: str,
    question: str,
    proposal: str = "",
    opens_at: dt.datetime | None = None,
    closes_at: dt.datetime,
    acting_user: User,
) -> Poll:
    if audience not in PollAudience.values:
        raise ValidationError({"audience": _("Ask owners or riders.")})
    opens_at = opens_at or timezone.now()
    if closes_at is None or closes_at <= opens_at:
        raise ValidationError({"closes_at": _("The poll must close after it opens.")})
    poll = Poll(
        community=community,
        audience=audience,
        question=_clean(question),
        proposal=_clean(proposal),
        opens_at=opens_at,
        closes_at=closes_at,
        created_by=acting_user_or_none(acting_user),
    )
    poll.full_clean()
    poll.save()
    audit_record(
        action="poll_create",
        obj=poll,
        acting_user=acting_user,
        community_id=community.pk,
        after={"audience": audience, "question": poll.question},
    )
    return poll


def poll_is_open(poll: Poll, now: dt.datetime | None = None) -> bool:
    now = now or timezone.now()
    return poll.opens_at <= now < poll.closes_at


def _owner_of(owner: Owner, community: Community) -> bool:
    return owner.ownerships.filter(unit__building__community=community).exists()


def poll_answer(
    *,
    poll: Poll,
    choice: str,
    owner: Owner | None = None,
    rider: Rider | None = None,
    acting_user: User = None,
) -> PollAnswer:
    """Record (or change) one person's answer while the poll is open. Owners must hold a
    unit in the community; riders must have asked for access to it. Non-binding: the
    answer is counted, never tallied as a vote. No audit row: polls are opinions, and
    the row itself says who answered and when."""
    if choice not in PollChoice.values:
        raise ValidationError({"choice": _("Choose an answer.")})
    if not poll_is_open(poll):
        raise ValidationError(_("This poll is not open."))
    if poll.audience == PollAudience.OWNERS:
        if owner is None or rider is not None or not _owner_of(owner, poll.community):
            raise ValidationError(_("Only owners of this community can answer this poll."))
        person: dict[str, Any] = {"owner": owner}
    else:
        if rider is None or owner is not None:
            raise ValidationError(_("Only riders of this community can answer this poll."))
        if not rider.grants.filter(community=poll.community).exists():
            raise ValidationError(_("Only riders of this community can answer this poll."))
        person = {"rider": rider}
    try:
        with transaction.atomic():
            answer, _created = PollAnswer.objects.update_or_create(
                poll=poll, **person, defaults={"choice": choice}
            )
    except IntegrityError:  # the same person answered twice at once: the other won
        answer = PollAnswer.objects.get(poll=poll, **person)
        answer.choice = choice
        answer.save(update_fields=["choice", "answered_at"])
    return answer


@transaction.atomic
def poll_attach_resolution(*, poll: Poll, resolution: Resolution | None, acting_user: User) -> Poll:
    """Attach the poll's result to the owners' resolution it led to (same community)."""
    if resolution is not None and resolution.community_id != poll.community_id:
        raise ValidationError({"resolution": _("Choose a resolution of the same community.")})
    before = {"resolution": poll.resolution_id}
    poll.resolution = resolution
    poll.save(update_fields=["resolution"])
    audit_record(
        action="poll_attach_resolution",
        obj=poll,
        acting_user=acting_user,
        community_id=poll.community_id,
        before=before,
        after={"resolution": poll.resolution_id},
    )
    return poll
