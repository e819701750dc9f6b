"""Counts of scans over hours and over recent windows, for any number of communities in
a number of queries that does not depend on how many there are, and work that does not
depend on how much history there is.

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
from django.db.models import Count, Sum
from django.db.models.functions import TruncHour

from communities.models import Gate
from riders.models import AccessEvent, Decision, Direction

from ..models import HourlyEventCount, RollupMark

#: Upper bounds (seconds) of the time-inside histogram's buckets; the last is open.
STAY_BUCKETS = (120, 300, 600, 900, 1800, 3600)


def rollup_mark() -> int:
    """Events with an id up to this are counted in `HourlyEventCount`."""
    return RollupMark.objects.values_list("last_event_id", flat=True).first() or 0


def gates_by_community(community_ids: Iterable[int]) -> dict[int, list[Gate]]:
    gates: dict[int, list[Gate]] = defaultdict(list)
    for gate in Gate.objects.filter(community_id__in=list(community_ids)).order_by("name", "pk"):
        gates[gate.community_id].append(gate)
    return gates


def hour_floor(moment: dt.datetime) -> dt.datetime:
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
        HourlyEventCount.objects.filter(gate_id__in=gate_ids, hour__gte=hour_floor(since))
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
