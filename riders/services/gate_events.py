"""Scans decided at the gate, sent by controllers in batches (POST /api/v1/gates/events,
docs/gate-protocol.md §4): stored as riders' access events beside online and guard scans.
Moved here from gate sync, which sits below riders and holds no rider records."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone
from django.utils.dateparse import parse_datetime

from communities.models import Gate, GateController

from ..models import AccessEvent, AccessGrant, Decision, Direction, EventSource, Reason

EVENTS_MAX_BATCH = 500
EVENTS_MAX_AGE_DAYS = 30
#: An offline decision slower than a minute is a broken clock, not a slow gate.
DECISION_MS_MAX = 60_000
DECISION_MS_RULE = f"an integer from 0 to {DECISION_MS_MAX} (milliseconds), or absent"


@dataclass
class IngestResult:
    accepted: int = 0
    duplicates: int = 0
    rejected: list[dict[str, Any]] = field(default_factory=list)


def _gate_of(controller: GateController, value: Any, gates: dict[str, Gate]) -> Gate | None:
    if value in (None, ""):
        return controller.gate
    return gates.get(str(value))


def decision_ms_errors(events: list[Any]) -> dict[str, list[str]]:
    """The optional `decision_ms` of each event that is not a whole number of milliseconds
    in 0..DECISION_MS_MAX, by field name (`events[3].decision_ms`): the API refuses the
    batch with 400 naming them, so a controller learns at once that it sends garbage."""
    errors: dict[str, list[str]] = {}
    for index, raw in enumerate(events):
        if isinstance(raw, dict) and decision_ms_parse(raw.get("decision_ms")) is _INVALID:
            errors[f"events[{index}].decision_ms"] = [DECISION_MS_RULE]
    return errors


_INVALID = object()


def decision_ms_parse(value: Any) -> int | None | object:
    """`value` as milliseconds (None: not reported), or `_INVALID`. An integral float
    (`120.0`, as some JSON encoders write it) is accepted; booleans, text, fractions,
    negatives and anything above DECISION_MS_MAX are not."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        return _INVALID
    if isinstance(value, float) and not value.is_integer():
        return _INVALID
    if not 0 <= value <= DECISION_MS_MAX:
        return _INVALID
    return int(value)


def events_ingest(*, controller: GateController, events: list[Any]) -> IngestResult:
    """Store a batch of scans (idempotent by event_id): what is new is inserted, what we
    have is counted as a duplicate, what cannot be stored is listed with its index."""
    result = IngestResult()
    community_id = controller.gate.community_id
    gates: dict[str, Gate] = {}
    for gate in Gate.objects.filter(community_id=community_id):
        gates[str(gate.pk)] = gate
        gates[gate.entry_code] = gate
    parsed: list[tuple[int, dict[str, Any]]] = []
    for index, raw in enumerate(events):
        try:
            parsed.append((index, _parse_event(raw, controller, gates)))
        except ValueError as error:
            result.rejected.append({"index": index, "error": str(error)})
    grant_ids = {e["grant_id"] for _i, e in parsed if e["grant_id"]}
    grants = dict(
        AccessGrant.objects.filter(pk__in=grant_ids, community_id=community_id).values_list(
            "pk", "rider_id"
        )
    )
    ids = [e["event_id"] for _i, e in parsed]
    known = set(AccessEvent.objects.filter(event_id__in=ids).values_list("event_id", flat=True))
    fresh: list[AccessEvent] = []
    seen: set[uuid.UUID] = set()
    for _index, event in parsed:
        if event["event_id"] in known or event["event_id"] in seen:
            result.duplicates += 1
            continue
        seen.add(event["event_id"])
        grant_id = event["grant_id"] if event["grant_id"] in grants else None
        rider_id = grants.get(grant_id) if grant_id else None
        fresh.append(
            AccessEvent(
                event_id=event["event_id"],
                gate=event["gate"],
                grant_id=grant_id,
                rider_id=rider_id,
                direction=event["direction"],
                decision=event["decision"],
                reason=event["reason"],
                source=EventSource.CONTROLLER,
                occurred_at=event["occurred_at"],
                decision_ms=event["decision_ms"],
            )
        )
    if fresh:
        # A concurrent delivery of the same batch may insert first: ignore_conflicts keeps
        # it idempotent; count what this call actually stored.
        AccessEvent.objects.bulk_create(fresh, ignore_conflicts=True)
        stored = AccessEvent.objects.filter(event_id__in=[e.event_id for e in fresh]).count()
        result.accepted = min(stored, len(fresh))
        result.duplicates += len(fresh) - result.accepted
    return result


def _parse_event(raw: Any, controller: GateController, gates: dict[str, Gate]) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise ValueError("not an object")
    try:
        event_id = uuid.UUID(str(raw.get("event_id", "")))
    except ValueError:
        raise ValueError("event_id is not a UUID") from None
    direction, decision, reason = raw.get("direction"), raw.get("decision"), raw.get("reason")
    if direction not in Direction.values:
        raise ValueError("direction must be in or out")
    if decision not in Decision.values:
        raise ValueError("decision must be open or deny")
    if reason not in Reason.values:
        raise ValueError("unknown reason")
    occurred = parse_datetime(str(raw.get("occurred_at", ""))) if raw.get("occurred_at") else None
    if occurred is None or timezone.is_naive(occurred):
        raise ValueError("occurred_at must be an ISO 8601 time with its offset")
    if occurred > timezone.now() + dt.timedelta(days=1):
        raise ValueError("occurred_at is in the future")
    if occurred < timezone.now() - dt.timedelta(days=EVENTS_MAX_AGE_DAYS):
        # A clock reset to year 1 (seen) would file scans where no one looks for them.
        raise ValueError(f"occurred_at is more than {EVENTS_MAX_AGE_DAYS} days old")
    gate = _gate_of(controller, raw.get("gate"), gates)
    if gate is None:
        raise ValueError("no such gate in this community")
    grant = raw.get("grant")
    if grant is not None and (not isinstance(grant, int) or isinstance(grant, bool)):
        raise ValueError("grant must be an integer or null")
    decision_ms = decision_ms_parse(raw.get("decision_ms"))
    if decision_ms is _INVALID:
        # The API refuses such a batch first (decision_ms_errors); other callers get the
        # event rejected, never a half-read time.
        raise ValueError(f"decision_ms must be {DECISION_MS_RULE}")
    return {
        "event_id": event_id,
        "gate": gate,
        "grant_id": grant,
        "direction": direction,
        "decision": decision,
        "reason": reason,
        "occurred_at": occurred,
        "decision_ms": decision_ms,
    }
