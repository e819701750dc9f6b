"""Reads of the coordination app, shaped for a page or the API, each in a fixed number
of queries."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, F, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from communities.models import Community, DeliveryFacility
from governance.models import Feedback, Resolution, ResolutionState
from riders.models import AccessEvent, Decision, Direction

from .friendliness.index import Friendliness, friendliness_from_json
from .models import (
    ACTION_OPEN_STATUSES,
    ActionItem,
    FriendlinessSnapshot,
    Meeting,
    Poll,
    PollAnswer,
    PollChoice,
)

AGENDA_FEEDBACK_MAX = 10


def agenda_assemble(community: Community, *, now: dt.datetime | None = None) -> str:
    """A draft agenda from open feedback, last week's gate figures and pending facility
    ideas (planned facilities, draft or open facility resolutions). Five queries."""
    now = now or timezone.now()
    lines: list[str] = []
    open_feedback = list(
        Feedback.objects.filter(
            community=community,
            status__in=(Feedback.Status.NEW, Feedback.Status.IN_PROGRESS),
        ).order_by("created_at")[: AGENDA_FEEDBACK_MAX + 1]
    )
    lines.append(_("1. Open feedback"))
    if not open_feedback:
        lines.append("   " + _("None."))
    for fb in open_feedback[:AGENDA_FEEDBACK_MAX]:
        lines.append(f"   - [{fb.get_category_display()}] {fb.text[:120]}")
    if len(open_feedback) > AGENDA_FEEDBACK_MAX:
        lines.append("   - " + _("… and more on the staff feedback page."))
    week = AccessEvent.objects.filter(
        gate__community=community, direction=Direction.IN, occurred_at__gte=now - dt.timedelta(7)
    ).aggregate(total=Count("pk"), denied=Count("pk", filter=Q(decision=Decision.DENY)))
    lines.append(_("2. Gate figures, last 7 days"))
    lines.append(
        "   "
        + _("%(total)d entry scans, %(denied)d denied.")
        % {"total": week["total"], "denied": week["denied"]}
    )
    planned = list(
        DeliveryFacility.objects.filter(
            community=community, status=DeliveryFacility.Status.PLANNED
        ).values_list("name", flat=True)
    )
    ideas = list(
        Resolution.objects.filter(
            community=community,
            state__in=(ResolutionState.DRAFT, ResolutionState.OPEN),
            effect__type="facility",
        ).values_list("number", "title")
    )
    polls = list(
        Poll.objects.filter(community=community, closes_at__gt=now).values_list(
            "question", flat=True
        )
    )
    lines.append(_("3. Pending facility ideas"))
    if not (planned or ideas or polls):
        lines.append("   " + _("None."))
    lines += [f"   - {name} ({_('planned')})" for name in planned]
    lines += [f"   - #{number} {title}" for number, title in ideas]
    lines += [f"   - {question} ({_('opinion poll')})" for question in polls]
    lines.append(_("4. Decisions and action items"))
    return "\n".join(lines)


@dataclass
class AgreedPage:
    """The public "what we agreed" page: published minutes and open action items."""

    meetings: list[Meeting]
    open_items: list[ActionItem]
    next_meeting: Meeting | None
    polls: list[Any] = field(default_factory=list)


def agreed_page(community: Community, *, now: dt.datetime | None = None) -> AgreedPage:
    """Five queries: published meetings with their action items (two), open items, the
    next meeting, open polls."""
    now = now or timezone.now()
    meetings = list(
        Meeting.objects.filter(community=community, minutes_published_at__isnull=False)
        .order_by("-scheduled_at")
        .prefetch_related(
            Prefetch("actions", queryset=ActionItem.objects.order_by("due_on", "pk"))
        )[:12]
    )
    open_items = list(
        ActionItem.objects.filter(
            community=community,
            status__in=ACTION_OPEN_STATUSES,
            meeting__minutes_published_at__isnull=False,
        ).order_by("due_on", "pk")
    )
    next_meeting = (
        Meeting.objects.filter(community=community, scheduled_at__gte=now)
        .order_by("scheduled_at")
        .first()
    )
    polls = list(
        Poll.objects.filter(community=community, opens_at__lte=now, closes_at__gt=now).order_by(
            "closes_at"
        )
    )
    return AgreedPage(
        meetings=meetings, open_items=open_items, next_meeting=next_meeting, polls=polls
    )


def meetings_for_staff(community: Community) -> QuerySet[Meeting]:
    return (
        Meeting.objects.filter(community=community)
        .annotate(
            open_actions=Count(
                "actions", filter=Q(actions__status__in=ACTION_OPEN_STATUSES), distinct=True
            ),
            participant_count=Count("participants", distinct=True),
        )
        .order_by("-scheduled_at")
    )


@dataclass
class PollResult:
    poll: Poll
    support: int
    oppose: int
    no_opinion: int

    @property
    def total(self) -> int:
        return self.support + self.oppose + self.no_opinion


def poll_results(polls: QuerySet[Poll]) -> list[PollResult]:
    """Each poll with its counts, in one query."""
    rows = polls.select_related("resolution").annotate(
        **{
            c: Count("answers", filter=Q(answers__choice=c))
            for c in (PollChoice.SUPPORT, PollChoice.OPPOSE, PollChoice.NO_OPINION)
        }
    )
    return [
        PollResult(poll=p, support=p.support, oppose=p.oppose, no_opinion=p.no_opinion)
        for p in rows
    ]


def poll_answer_of(poll: Poll, **person: Any) -> str | None:
    answer = PollAnswer.objects.filter(poll=poll, **person).values_list("choice", flat=True).first()
    return answer


def snapshot_latest(community: Community) -> FriendlinessSnapshot | None:
    return FriendlinessSnapshot.objects.filter(community=community).order_by("-day").first()


def snapshot_as_index(snapshot: FriendlinessSnapshot) -> Friendliness:
    return friendliness_from_json(snapshot.community_id, snapshot.computed_at, snapshot.components)


def snapshots_trend(community: Community, *, days: int = 30) -> list[FriendlinessSnapshot]:
    since = timezone.localdate() - dt.timedelta(days=days)
    return list(
        FriendlinessSnapshot.objects.filter(community=community, day__gte=since)
        .only("day", "score")
        .order_by("day")
    )


@dataclass(frozen=True)
class Invitation:
    """A coordination meeting a rider of the community is invited to (the pass page)."""

    title: str
    when: dt.datetime
    place: str
    url: str


def rider_invitations(community_ids: list[int], *, days: int = 30) -> list[Invitation]:
    """The next meeting of each of these communities within `days` (one query): riders are
    one of the four sides, invited through their pass page (settings
    RIDERS_PASS_INVITATION_PROVIDERS)."""
    if not community_ids:
        return []
    now = timezone.now()
    meetings = (
        Meeting.objects.filter(
            community_id__in=community_ids,
            scheduled_at__gte=now,
            scheduled_at__lt=now + dt.timedelta(days=days),
        )
        .select_related("community")
        .order_by("community_id", "scheduled_at")
        .distinct("community_id")
    )
    return [
        Invitation(
            title=f"{m.community.name} · {m.title}",
            when=m.scheduled_at,
            place=m.place,
            url=reverse("coordination:agreed", args=[m.community.slug]),
        )
        for m in meetings
    ]


def snapshots_trends(
    community_ids: list[int], *, days: int = 30
) -> dict[int, list[FriendlinessSnapshot]]:
    """`snapshots_trend` for many communities in one query (the staff dashboard's cards)."""
    since = timezone.localdate() - dt.timedelta(days=days)
    trends: dict[int, list[FriendlinessSnapshot]] = {pk: [] for pk in community_ids}
    rows = (
        FriendlinessSnapshot.objects.filter(community_id__in=community_ids, day__gte=since)
        .only("community_id", "day", "score")
        .order_by("community_id", "day")
    )
    for row in rows:
        trends[row.community_id].append(row)
    return trends


def friendliness_ranking(
    communities: QuerySet[Community], *, offset: int = 0, limit: int | None = None
) -> list[dict[str, Any]]:
    """The communities ranked by their latest snapshot's score (unscored last), in one
    query: each community's latest snapshot joined as two subqueries. `offset`/`limit`
    page it."""
    latest = FriendlinessSnapshot.objects.filter(community=OuterRef("pk")).order_by("-day")
    rows = (
        communities.select_related("company")
        .annotate(
            latest_score=Subquery(latest.values("score")[:1]),
            latest_day=Subquery(latest.values("day")[:1]),
        )
        .order_by(F("latest_score").desc(nulls_last=True), "name")
    )
    rows = rows[offset : offset + limit] if limit is not None else rows[offset:]
    return [{"community": c, "score": c.latest_score, "day": c.latest_day} for c in rows]
