"""Measuring the rider-friendliness index of a community from what Last100 records.

`friendliness_compute(community)` reads everything with a fixed number of SQL
aggregates (seven, whatever the community's size: asserted in the tests) and returns
a `Friendliness` (`index.py`).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.cache import cache
from django.db.models import (
    Aggregate,
    CharField,
    Count,
    DurationField,
    ExpressionWrapper,
    F,
    FloatField,
    Func,
    OuterRef,
    Q,
    Subquery,
)
from django.db.models.functions import Cast
from django.utils import timezone

from communities.models import (
    Community,
    DeliveryFacility,
    DeliveryRules,
    EntryPolicy,
    Gate,
    ParkingZone,
    RestStation,
    Unit,
    time_in_window,
)
from core.models import AuditEntry
from gatesync.interface import controllers_in_sync_count
from governance.models import Feedback
from riders.models import AccessEvent, AccessGrant, Decision, Direction, GrantSource, Reason

from .index import (
    APPROVAL_FULL_MINUTES,
    APPROVAL_ZERO_MINUTES,
    COMPONENTS,
    DECISION_FULL_MS,
    DECISION_ZERO_MS,
    FEEDBACK_ANSWER_HOURS,
    NO_DATA,
    NOT_APPLICABLE,
    NOT_MEASURED,
    WEIGHTS,
    WINDOW_DAYS,
    Component,
    Friendliness,
)

CACHE_SECONDS = 300


class PercentileCont(Aggregate):
    """PostgreSQL's ``percentile_cont(f) WITHIN GROUP (ORDER BY expr)``."""

    function = "percentile_cont"
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()

    def __init__(self, expression: Any, fraction: float, **extra: Any) -> None:
        super().__init__(expression, fraction=float(fraction), **extra)


def _epoch(expression: Any) -> Any:
    """Seconds of a duration expression, as a float (PostgreSQL EXTRACT(EPOCH ...))."""
    return Func(
        expression, template="EXTRACT(EPOCH FROM %(expressions)s)", output_field=FloatField()
    )


def _clamp(value: float) -> float:
    return max(0.0, min(1.0, value))


# --- the components, each from its own aggregate ----------------------------------------


def _decision_score(milliseconds: float) -> float:
    return _clamp(1 - (milliseconds - DECISION_FULL_MS) / (DECISION_ZERO_MS - DECISION_FULL_MS))


def _scans(community: Community, since: dt.datetime) -> list[Component]:
    """One query: entry scans in the window, denied ones, denials by reason, and the
    median and p90 of the decision times reported (`AccessEvent.decision_ms`)."""
    denied_reasons = [r for r in Reason.values if r != Reason.OK]
    timed = Q(decision_ms__isnull=False)
    counts = {
        "total": Count("pk"),
        "denied": Count("pk", filter=Q(decision=Decision.DENY)),
        "timed": Count("pk", filter=timed),
    }
    counts |= {
        f"r_{r}": Count("pk", filter=Q(decision=Decision.DENY, reason=r)) for r in denied_reasons
    }
    row = AccessEvent.objects.filter(
        gate__community=community, direction=Direction.IN, occurred_at__gte=since
    ).aggregate(
        **counts,
        median_ms=PercentileCont(F("decision_ms"), 0.5, filter=timed),
        p90_ms=PercentileCont(F("decision_ms"), 0.9, filter=timed),
    )
    total, denied = row["total"], row["denied"]
    reasons = {r: row[f"r_{r}"] for r in denied_reasons if row[f"r_{r}"]}
    denied_component = Component(
        "denied_scans",
        WEIGHTS["denied_scans"],
        None if not total else 1 - denied / total,
        "" if total else NO_DATA,
        {"scans": total, "denied": denied, "reasons": reasons},
    )
    if not row["timed"]:
        # No scan reported how long it took (controllers that do not send decision_ms):
        # "not measured", never a guess.
        decision = Component(
            "decision_time",
            WEIGHTS["decision_time"],
            None,
            NOT_MEASURED if total else NO_DATA,
            {"scans": total, "timed": 0},
        )
    else:
        median, p90 = row["median_ms"], row["p90_ms"]
        decision = Component(
            "decision_time",
            WEIGHTS["decision_time"],
            (_decision_score(median) + _decision_score(p90)) / 2,
            "",
            {
                "scans": total,
                "timed": row["timed"],
                "median_ms": round(median),
                "p90_ms": round(p90),
            },
        )
    return [decision, denied_component]


def _registrations(community: Community, since: dt.datetime) -> list[Component]:
    """One query: grants asked for in the window by source, and how long staff took to
    approve the hand-made ones (approval sets valid_from to the moment of approval)."""
    approved_by_hand = Q(source=GrantSource.MANUAL, approved_by__isnull=False)
    grants = AccessGrant.objects.filter(community=community, created_at__gte=since)
    counts = {
        "one_click": Count("pk", filter=Q(source=GrantSource.PLATFORM)),
        "by_hand": Count("pk", filter=Q(source=GrantSource.MANUAL)),
        "approved": Count("pk", filter=approved_by_hand),
    }
    wait = _epoch(
        ExpressionWrapper(F("valid_from") - F("created_at"), output_field=DurationField())
    )
    row = grants.aggregate(
        **counts,
        median=PercentileCont(wait, 0.5, filter=approved_by_hand),
        p90=PercentileCont(wait, 0.9, filter=approved_by_hand),
    )
    total = row["one_click"] + row["by_hand"]
    one_click = Component(
        "one_click",
        WEIGHTS["one_click"],
        row["one_click"] / total if total else None,
        "" if total else NO_DATA,
        {"one_click": row["one_click"], "by_hand": row["by_hand"]},
    )
    median = row["median"]
    if median is None:
        approval = Component("approval_time", WEIGHTS["approval_time"], None, NO_DATA, {})
    else:
        minutes = max(median, 0) / 60
        score = 1 - (minutes - APPROVAL_FULL_MINUTES) / (
            APPROVAL_ZERO_MINUTES - APPROVAL_FULL_MINUTES
        )
        approval = Component(
            "approval_time",
            WEIGHTS["approval_time"],
            _clamp(score),
            "",
            {
                "approved": row["approved"],
                "median_minutes": round(minutes, 1),
                "p90_minutes": round(max(row["p90"], 0) / 60, 1),
            },
        )
    return [one_click, approval]


def _rider_minutes(gates: list[dict[str, Any]], rules: DeliveryRules | None) -> int:
    """Minutes of the day at least one gate admits riders: a gate open to riders in its
    hours, inside the rules' riders' hours. Minute by minute: 1,440 checks per gate."""
    if rules is not None and rules.entry_policy == EntryPolicy.NO_ENTRY:
        return 0
    start = rules.rider_hours_start if rules else None
    end = rules.rider_hours_end if rules else None
    open_gates = [g for g in gates if g["open_to_riders"]]
    minutes = 0
    for m in range(24 * 60):
        moment = dt.time(m // 60, m % 60)
        if not time_in_window(start, end, moment):
            continue
        if any(time_in_window(g["opens_at"], g["closes_at"], moment) for g in open_gates):
            minutes += 1
    return minutes


def _place(community: Community, rules: DeliveryRules | None) -> list[Component]:
    """Two queries: the gates (few per community), and one row of counts of parking,
    rest stations, facilities in service and units (with those the finder can show)."""
    gates = list(
        Gate.objects.filter(community=community).values("open_to_riders", "opens_at", "closes_at")
    )
    minutes = _rider_minutes(gates, rules)
    gate_hours = Component(
        "gate_hours",
        WEIGHTS["gate_hours"],
        minutes / (24 * 60),
        "",
        {
            "gates": len(gates),
            "open_to_riders": sum(1 for g in gates if g["open_to_riders"]),
            "rider_hours_per_day": round(minutes / 60, 1),
        },
    )

    def count(queryset: Any) -> Subquery:
        return Subquery(
            queryset.order_by().values("community").annotate(n=Count("pk")).values("n")[:1]
        )

    active = DeliveryFacility.objects.filter(
        community=OuterRef("pk"), status=DeliveryFacility.Status.ACTIVE
    )
    units = Unit.objects.filter(building__community=OuterRef("pk")).values("building__community")
    counts = (
        Community.objects.filter(pk=community.pk)
        .annotate(
            parking=count(ParkingZone.objects.filter(community=OuterRef("pk"))),
            rest=count(RestStation.objects.filter(community=OuterRef("pk"))),
            cabinets=count(
                active.filter(
                    kind__in=[
                        DeliveryFacility.Kind.FOOD_CABINET,
                        DeliveryFacility.Kind.PARCEL_LOCKER,
                    ]
                )
            ),
            robots=count(active.filter(kind=DeliveryFacility.Kind.ROBOT_PICKUP)),
            units_total=Subquery(units.annotate(n=Count("pk")).values("n")[:1]),
            units_shown=Subquery(
                units.filter(building__x_pct__isnull=False, building__y_pct__isnull=False)
                .annotate(n=Count("pk"))
                .values("n")[:1]
            ),
        )
        .values("parking", "rest", "cabinets", "robots", "units_total", "units_shown")
        .get()
    )
    counts = {k: v or 0 for k, v in counts.items()}
    # Parking matters most (riders must leave the e-bike somewhere), then a place to rest,
    # then somewhere to leave food without walking in, then robots.
    score = (
        0.4 * bool(counts["parking"])
        + 0.3 * bool(counts["rest"])
        + 0.2 * bool(counts["cabinets"])
        + 0.1 * bool(counts["robots"])
    )
    facilities = Component(
        "facilities",
        WEIGHTS["facilities"],
        score,
        "",
        {k: counts[k] for k in ("parking", "rest", "cabinets", "robots")},
    )
    total, shown = counts["units_total"], counts["units_shown"]
    house_numbers = Component(
        "house_numbers",
        WEIGHTS["house_numbers"],
        shown / total if total else None,
        "" if total else NO_DATA,
        {"units": total, "shown": shown},
    )
    if rules is None or rules.entry_policy != EntryPolicy.NO_ENTRY:
        handoff = Component("handoff", WEIGHTS["handoff"], None, NOT_APPLICABLE, {})
    else:
        # The rules cannot be published without a hand-off point (a check constraint);
        # full marks when it is also on the site map, so the rider can find it.
        on_map = rules.x_pct is not None and rules.y_pct is not None
        handoff = Component(
            "handoff",
            WEIGHTS["handoff"],
            1.0 if on_map else 0.5,
            "",
            {"handoff_point": rules.handoff_point, "on_map": on_map},
        )
    return [gate_hours, facilities, house_numbers, handoff]


def _feedback(community: Community, since: dt.datetime, now: dt.datetime) -> Component:
    """One query: feedback sent in the window and at least 48 h ago, and how much of it
    staff first answered (triaged: feedback_triage in the audit log) within 48 h."""
    first_answer = Subquery(
        AuditEntry.objects.filter(
            object_type=Feedback._meta.label_lower,
            object_id=Cast(OuterRef("pk"), CharField()),
            action="feedback_triage",
        )
        .order_by("at")
        .values("at")[:1]
    )
    limit = dt.timedelta(hours=FEEDBACK_ANSWER_HOURS)
    row = (
        Feedback.objects.filter(
            community=community, created_at__gte=since, created_at__lte=now - limit
        )
        .annotate(first_answer=first_answer)
        .aggregate(
            due=Count("pk"),
            answered=Count(
                "pk",
                filter=Q(first_answer__isnull=False) & Q(first_answer__lte=F("created_at") + limit),
            ),
        )
    )
    due = row["due"]
    return Component(
        "feedback",
        WEIGHTS["feedback"],
        row["answered"] / due if due else None,
        "" if due else NO_DATA,
        {"due": due, "answered_in_time": row["answered"]},
    )


def _controllers(community: Community) -> Component:
    """One query: enabled controllers, and those holding the community's current list."""
    total, in_sync = controllers_in_sync_count(community.pk)
    return Component(
        "controllers",
        WEIGHTS["controllers"],
        in_sync / total if total else None,
        "" if total else NO_DATA,
        {"controllers": total, "in_sync": in_sync},
    )


def friendliness_compute(community: Community, *, now: dt.datetime | None = None) -> Friendliness:
    """The index of `community` now, in seven queries whatever its size."""
    now = now or timezone.now()
    since = now - dt.timedelta(days=WINDOW_DAYS)
    rules = DeliveryRules.objects.current_of(community)
    parts = [
        *_scans(community, since),
        *_registrations(community, since),
        *_place(community, rules),
        _feedback(community, since, now),
        _controllers(community),
    ]
    order = {key: i for i, (key, _w, _l) in enumerate(COMPONENTS)}
    parts.sort(key=lambda c: order[c.key])
    return Friendliness(community_id=community.pk, computed_at=now, components=parts)


def _cache_key(community_id: int) -> str:
    return f"coordination:friendliness:{community_id}"


def friendliness_cached(community: Community) -> Friendliness:
    """The index, computed at most every CACHE_SECONDS per community (shared cache)."""
    hit = cache.get(_cache_key(community.pk))
    if isinstance(hit, Friendliness):
        return hit
    value = friendliness_compute(community)
    cache.set(_cache_key(community.pk), value, CACHE_SECONDS)
    return value
