"""A community's events (filtered, newest first) and a rider's visits."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from django.db.models import Q

from communities.models import Community, Gate
from riders.models import AccessEvent, Decision, Direction, Rider

EVENTS_SHOWN = 200


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
