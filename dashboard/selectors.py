"""Reads for the staff dashboard, shaped so that the number of queries does not depend on
the number of communities and the work does not depend on how much history there is.

* Counts over hours (entries, denials, the 7-day chart) come from `HourlyEventCount` for
  events up to the roll-up mark and from raw events after it (a short tail, found by the
  primary key).
* Riders inside and time inside read raw events of a bounded recent window
  (`DASHBOARD_INSIDE_MAX_HOURS`, `DASHBOARD_STAY_WINDOW_HOURS`) through the
  (gate, -occurred_at) index, with one window-function query for all communities.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection
from django.db.models import Count, IntegerField, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Coalesce, TruncHour
from django.utils import timezone

from communities.models import Community, Gate
from gatesync.interface import ControllerHealth, controllers_health
from governance.models import Ballot, Feedback, Resolution, RollEntry
from governance.tally import ballot_voter_area
from riders.models import AccessEvent, AccessGrant, Decision, Direction, GrantStatus, Rider

from .models import HourlyEventCount, RollupMark

#: Upper bounds (seconds) of the time-inside histogram's buckets; the last is open.
STAY_BUCKETS = (120, 300, 600, 900, 1800, 3600)
EVENTS_SHOWN = 200
OPEN_FEEDBACK = (Feedback.Status.NEW, Feedback.Status.IN_PROGRESS)


def rollup_mark() -> int:
    """Events with an id up to this are counted in `HourlyEventCount`."""
    return RollupMark.objects.values_list("last_event_id", flat=True).first() or 0


def gates_by_community(community_ids: Iterable[int]) -> dict[int, list[Gate]]:
    gates: dict[int, list[Gate]] = defaultdict(list)
    for gate in Gate.objects.filter(community_id__in=list(community_ids)).order_by("name", "pk"):
        gates[gate.community_id].append(gate)
    return gates


def _hour_floor(moment: dt.datetime) -> dt.datetime:
    return moment.astimezone(dt.UTC).replace(minute=0, second=0, microsecond=0)


def event_counts(
    gate_ids: Sequence[int], *, since: dt.datetime, by: Sequence[str], mark: int
) -> Counter[tuple]:
    """Events at `gate_ids` from `since` (an hour boundary) on, counted by the fields in
    `by` (any of gate_id, hour, direction, decision, reason): roll-ups up to `mark`,
    raw events after it. Two queries."""
    counts: Counter[tuple] = Counter()
    if not gate_ids:
        return counts
    fields = list(by)
    rolled = (
        HourlyEventCount.objects.filter(gate_id__in=gate_ids, hour__gte=_hour_floor(since))
        .order_by()
        .values(*fields)
        .annotate(n=Sum("count"))
    )
    for row in rolled:
        counts[tuple(row[f] for f in fields)] += row["n"]
    raw = AccessEvent.objects.filter(id__gt=mark, gate_id__in=gate_ids, occurred_at__gte=since)
    if "hour" in fields:
        raw = raw.annotate(hour=TruncHour("occurred_at", tzinfo=dt.UTC))
    raw = raw.order_by().values(*fields).annotate(n=Count("id"))
    for row in raw:
        counts[tuple(row[f] for f in fields)] += row["n"]
    return counts


# --- raw-event window queries ----------------------------------------------------------


def _in_list(values: Sequence[int]) -> str:
    return ", ".join(["%s"] * len(values))


def _opened_events_sql(gate_ids: Sequence[int]) -> str:
    """Opened scans by known riders at these gates since a moment, with their community.
    Its parameters: `_opened_events_params`. The gates are named on both sides of the join:
    PostgreSQL does not carry an IN list across `g.id = e.gate_id`, and hashed every gate
    of the data set (23,000 on the large one) to find the community of a few."""
    event, gate = AccessEvent._meta.db_table, Gate._meta.db_table
    return (
        f"SELECT g.community_id AS community_id, e.id AS id, e.rider_id AS rider_id, "  # noqa: S608 - names from the models, values bound
        f"e.gate_id AS gate_id, e.direction AS direction, e.occurred_at AS occurred_at "
        f"FROM {event} e JOIN {gate} g ON g.id = e.gate_id "
        f"WHERE e.gate_id IN ({_in_list(gate_ids)}) AND g.id IN ({_in_list(gate_ids)}) "
        f"AND e.decision = %s AND e.rider_id IS NOT NULL AND e.occurred_at >= %s"
    )


def _opened_events_params(gate_ids: Sequence[int], since: dt.datetime) -> list:
    return [*gate_ids, *gate_ids, Decision.OPEN, _db_time(since)]


def _db_time(moment: dt.datetime):
    return connection.ops.adapt_datetimefield_value(moment)


@dataclass
class Inside:
    community_id: int
    rider_id: int
    gate_id: int
    entered_at: dt.datetime


def riders_inside(gate_ids: Sequence[int], *, now: dt.datetime) -> list[Inside]:
    """Riders whose last opened scan at a community's gates within
    `DASHBOARD_INSIDE_MAX_HOURS` was an entry. One query."""
    if not gate_ids:
        return []
    since = now - dt.timedelta(hours=settings.DASHBOARD_INSIDE_MAX_HOURS)
    sql = (
        "SELECT community_id, rider_id, gate_id, occurred_at FROM ("  # noqa: S608 - names from the models, values bound
        "SELECT t.*, ROW_NUMBER() OVER (PARTITION BY community_id, rider_id "
        "ORDER BY occurred_at DESC, id DESC) AS rn FROM ("
        + _opened_events_sql(gate_ids)
        + ") t) last_scan WHERE rn = 1 AND direction = %s ORDER BY occurred_at DESC"
    )
    params = [*_opened_events_params(gate_ids, since), Direction.IN]
    out = []
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for community_id, rider_id, gate_id, occurred_at in cursor.fetchall():
            out.append(Inside(community_id, rider_id, gate_id, occurred_at))
    return out


@dataclass
class Stays:
    """Entry-to-exit durations (seconds) at one community."""

    count: int = 0
    median_seconds: float | None = None
    buckets: list[int] = field(default_factory=lambda: [0] * (len(STAY_BUCKETS) + 1))


def stays(gate_ids: Sequence[int], *, now: dt.datetime) -> dict[int, Stays]:
    """Per community: each opened entry paired with the same rider's next opened scan at
    that community when it is an exit, within `DASHBOARD_STAY_WINDOW_HOURS`. Median and
    histogram in one query (percentile_cont)."""
    if not gate_ids:
        return {}
    since = now - dt.timedelta(hours=settings.DASHBOARD_STAY_WINDOW_HOURS)
    pairs = (
        "SELECT community_id, EXTRACT(EPOCH FROM (next_at - occurred_at)) AS secs FROM ("  # noqa: S608 - names from the models, values bound
        "SELECT t.community_id, t.direction, t.occurred_at, "
        "LEAD(t.direction) OVER w AS next_dir, LEAD(t.occurred_at) OVER w AS next_at FROM ("
        + _opened_events_sql(gate_ids)
        + ") t WINDOW w AS (PARTITION BY community_id, rider_id ORDER BY occurred_at, id)"
        ") paired WHERE direction = %s AND next_dir = %s"
    )
    params = [*_opened_events_params(gate_ids, since), Direction.IN, Direction.OUT]
    result: dict[int, Stays] = {}
    bucket_sql = ", ".join(
        f"COUNT(*) FILTER (WHERE secs >= {lo} AND secs < {hi})"
        for lo, hi in zip((0, *STAY_BUCKETS), (*STAY_BUCKETS, 10**12), strict=True)
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT community_id, COUNT(*), "  # noqa: S608 - names from the models, values bound
            "percentile_cont(0.5) WITHIN GROUP (ORDER BY secs), "
            + bucket_sql
            + " FROM ("
            + pairs
            + ") s GROUP BY community_id",
            params,
        )
        for community_id, count, median, *buckets in cursor.fetchall():
            result[community_id] = Stays(count, float(median), list(buckets))
    return result


def stays_total(per_community: dict[int, Stays]) -> list[int]:
    total = [0] * (len(STAY_BUCKETS) + 1)
    for item in per_community.values():
        total = [a + b for a, b in zip(total, item.buckets, strict=True)]
    return total


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
        _hour_floor(now) - dt.timedelta(days=settings.DASHBOARD_CHART_DAYS) + dt.timedelta(hours=1)
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


# --- a community's events --------------------------------------------------------------


@dataclass(frozen=True)
class EventFilter:
    gate_id: int | None = None
    decision: str = ""
    rider: str = ""  # rider's platform id or name (exact)
    start: dt.datetime | None = None
    end: dt.datetime | None = None


def community_events(community: Community, gates: Sequence[Gate], flt: EventFilter):
    """A community's events matching `flt`, newest first (a queryset to slice)."""
    gate_ids = [g.pk for g in gates]
    if flt.gate_id is not None:
        gate_ids = [g for g in gate_ids if g == flt.gate_id]
    events = AccessEvent.objects.filter(gate_id__in=gate_ids)
    if flt.decision:
        events = events.filter(decision=flt.decision)
    if flt.rider:
        riders = Rider.objects.filter(Q(platform_rider_id=flt.rider) | Q(name=flt.rider))
        events = events.filter(rider__in=riders)
    if flt.start:
        events = events.filter(occurred_at__gte=flt.start)
    if flt.end:
        events = events.filter(occurred_at__lt=flt.end)
    return events


def last_events(community: Community, gates: Sequence[Gate], flt: EventFilter) -> list:
    """The newest `EVENTS_SHOWN` matching events: one index scan per gate (UNION ALL of
    per-gate top-N); a single ORDER BY over several gates would read every event of the
    community to sort them."""
    base = community_events(community, gates, flt).select_related("gate", "rider")
    order = ("-occurred_at", "-id")
    selected = [g for g in gates if flt.gate_id is None or g.pk == flt.gate_id]
    if len(selected) <= 1:
        return list(base.order_by(*order)[:EVENTS_SHOWN])
    parts = [
        community_events(community, gates, flt).filter(gate=g).order_by(*order)[:EVENTS_SHOWN]
        for g in selected
    ]
    ids = (
        parts[0]
        .values_list("id", flat=True)
        .union(*[p.values_list("id", flat=True) for p in parts[1:]], all=True)
    )
    return list(
        AccessEvent.objects.filter(id__in=list(ids))
        .select_related("gate", "rider")
        .order_by(*order)[:EVENTS_SHOWN]
    )


@dataclass
class Visit:
    community_id: int
    entered_at: dt.datetime | None
    entry_gate: Gate | None
    left_at: dt.datetime | None
    exit_gate: Gate | None

    @property
    def duration(self) -> dt.timedelta | None:
        if self.entered_at and self.left_at:
            return self.left_at - self.entered_at
        return None


def rider_visits(rider: Rider, community_ids: Sequence[int], *, limit: int = 500) -> list[Visit]:
    """A rider's entries and exits (opened scans) at these communities, paired into visits,
    newest first. An entry without a following exit, or an exit without an entry before
    it, is a visit with one end missing."""
    events = list(
        AccessEvent.objects.filter(
            rider=rider, gate__community_id__in=community_ids, decision=Decision.OPEN
        )
        .select_related("gate")
        .order_by("-occurred_at", "-id")[:limit]
    )
    events.reverse()
    visits: list[Visit] = []
    open_visit: dict[int, Visit] = {}
    for event in events:
        community_id = event.gate.community_id
        if event.direction == Direction.IN:
            if community_id in open_visit:
                visits.append(open_visit.pop(community_id))
            open_visit[community_id] = Visit(
                community_id, event.occurred_at, event.gate, None, None
            )
        else:
            visit = open_visit.pop(community_id, None)
            if visit is None:
                visit = Visit(community_id, None, None, None, None)
            visit.left_at, visit.exit_gate = event.occurred_at, event.gate
            visits.append(visit)
    visits.extend(open_visit.values())
    visits.sort(key=lambda v: v.entered_at or v.left_at, reverse=True)
    return visits
