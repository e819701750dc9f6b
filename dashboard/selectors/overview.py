"""`/staff/` and a community's page: a card per community (the scan counts of
`counts.py`, approvals waiting, open feedback, open votes, controllers' health) and the
charts' figures, in a number of queries that does not depend on how many communities."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Count, IntegerField, OuterRef, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from communities.models import Community, Gate
from gatesync.interface import ControllerHealth, controllers_health
from governance.models import Ballot, Feedback, Resolution, RollEntry
from governance.tally import ballot_voter_area
from riders.models import AccessGrant, Decision, Direction, GrantStatus

from .counts import (
    Inside,
    Stays,
    event_counts,
    gates_by_community,
    hour_floor,
    riders_inside,
    rollup_mark,
    stays,
    stays_total,
)

OPEN_FEEDBACK = (Feedback.Status.NEW, Feedback.Status.IN_PROGRESS)


# --- other counts, one query each for any number of communities -------------------------


def pending_approvals(community_ids: Sequence[int]) -> dict[int, int]:
    return dict(
        AccessGrant.objects.filter(community_id__in=community_ids, status=GrantStatus.PENDING)
        .order_by()
        .values("community_id")
        .annotate(n=Count("id"))
        .values_list("community_id", "n")
    )


def open_feedback(community_ids: Sequence[int]) -> dict[int, int]:
    return dict(
        Feedback.objects.filter(community_id__in=community_ids, status__in=OPEN_FEEDBACK)
        .order_by()
        .values("community_id")
        .annotate(n=Count("id"))
        .values_list("community_id", "n")
    )


def _sum_of(model, field_expr: str, **filters) -> Subquery:
    inner = (
        model.objects.filter(resolution=OuterRef("pk"), **filters)
        .order_by()
        .values("resolution")
        .annotate(v=field_expr)
        .values("v")
    )
    return Coalesce(Subquery(inner, output_field=IntegerField()), 0)


def open_votes(community_ids: Sequence[int]) -> dict[int, list[Resolution]]:
    """Open resolutions with their participation (voters and area): one query."""
    votes: dict[int, list[Resolution]] = defaultdict(list)
    rows = (
        Resolution.objects.filter(community_id__in=community_ids, state=Resolution.State.OPEN)
        .annotate(
            total_voters=_sum_of(RollEntry, Count("id")),
            total_area=_sum_of(RollEntry, Sum("area_hundredths")),
            voted=_sum_of(Ballot, Count("id")),
            voted_area=_sum_of(Ballot, Sum(ballot_voter_area())),
        )
        .order_by("closes_at", "pk")
    )
    for resolution in rows:
        resolution.voters_percent = _percent(resolution.voted, resolution.total_voters)
        resolution.area_percent = _percent(resolution.voted_area, resolution.total_area)
        votes[resolution.community_id].append(resolution)
    return votes


def _percent(part: int, whole: int) -> int:
    return (100 * part // whole) if whole else 0


# --- the pages -------------------------------------------------------------------------


@dataclass
class Card:
    community: Community
    gates: list[Gate]
    inside: int = 0
    entries_today: int = 0
    stays: Stays = field(default_factory=Stays)
    denied: list[tuple[str, int]] = field(default_factory=list)
    pending: int = 0
    unhealthy: list[ControllerHealth] = field(default_factory=list)
    votes: list[Resolution] = field(default_factory=list)
    feedback: int = 0
    #: Rider-friendliness (coordination's daily snapshots): the latest score, a 30-day chart.
    friendliness: int | None = None
    friendliness_chart: str = ""

    @property
    def denied_total(self) -> int:
        return sum(n for _, n in self.denied)


@dataclass
class Overview:
    cards: list[Card]
    hourly: list[tuple[dt.datetime, int]]  # entries per hour, oldest first (local time)
    stay_buckets: list[int]
    denied: list[tuple[str, int]]  # reason, count over the chart period
    health: list[ControllerHealth]
    inside: list[Inside]  # newest entry first
    since: dt.datetime
    today: dt.datetime
    now: dt.datetime


def day_start(now: dt.datetime) -> dt.datetime:
    return timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)


def overview(communities: Sequence[Community], *, now: dt.datetime | None = None) -> Overview:
    """Everything `/staff/` and a community's page show for these communities, in a number
    of queries that does not depend on how many there are."""
    now = now or timezone.now()
    ids = [c.pk for c in communities]
    gates = gates_by_community(ids)
    gate_ids = [g.pk for gs in gates.values() for g in gs]
    community_of = {g.pk: g.community_id for gs in gates.values() for g in gs}
    mark = rollup_mark()
    today = day_start(now)
    since = (
        hour_floor(now) - dt.timedelta(days=settings.DASHBOARD_CHART_DAYS) + dt.timedelta(hours=1)
    )

    cards = {c.pk: Card(community=c, gates=gates.get(c.pk, [])) for c in communities}
    denied_by_reason: dict[int, Counter[str]] = defaultdict(Counter)
    for (gate_id, direction, decision, reason), n in event_counts(
        gate_ids, since=today, by=("gate_id", "direction", "decision", "reason"), mark=mark
    ).items():
        card = cards[community_of[gate_id]]
        if decision == Decision.OPEN and direction == Direction.IN:
            card.entries_today += n
        elif decision == Decision.DENY:
            denied_by_reason[card.community.pk][reason] += n
    for community_id, reasons in denied_by_reason.items():
        cards[community_id].denied = reasons.most_common()

    inside = riders_inside(gate_ids, now=now)
    for item in inside:
        cards[item.community_id].inside += 1
    stay_map = stays(gate_ids, now=now)
    for community_id, item in stay_map.items():
        cards[community_id].stays = item
    for community_id, n in pending_approvals(ids).items():
        cards[community_id].pending = n
    for community_id, n in open_feedback(ids).items():
        cards[community_id].feedback = n
    for community_id, votes in open_votes(ids).items():
        cards[community_id].votes = votes
    health = controllers_health(community_ids=ids)
    for item in health:
        if not item.ok:
            cards[item.controller.gate.community_id].unhealthy.append(item)

    hourly: Counter[dt.datetime] = Counter()
    denied: Counter[str] = Counter()
    for (hour, direction, decision, reason), n in event_counts(
        gate_ids, since=since, by=("hour", "direction", "decision", "reason"), mark=mark
    ).items():
        if decision == Decision.OPEN and direction == Direction.IN:
            hourly[hour] += n
        elif decision == Decision.DENY:
            denied[reason] += n
    hours = [since + dt.timedelta(hours=i) for i in range(settings.DASHBOARD_CHART_DAYS * 24)]
    return Overview(
        cards=[cards[c.pk] for c in communities],
        hourly=[(timezone.localtime(h), hourly.get(h, 0)) for h in hours],
        stay_buckets=stays_total(stay_map),
        denied=denied.most_common(),
        health=health,
        inside=inside,
        since=since,
        today=today,
        now=now,
    )
