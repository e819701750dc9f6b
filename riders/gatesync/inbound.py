"""What controllers send the portal: heartbeats and batches of scans decided at the gate."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from typing import Any

from django.db.models import F, Q
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from communities.models import Gate, GateController

from ..models import AccessEvent, AccessGrant, Decision, Direction, EventSource, Reason
from .documents import digest_at, head_version
from .models import AccessListHead, ControllerSync

EVENTS_MAX_BATCH = 500
EVENTS_MAX_AGE_DAYS = 30


@dataclass
class HeartbeatAnswer:
    head: int
    action: str  # none | delta | snapshot
    refused: str = ""  # protocol v2: "stale_sequence" when its sequence is not above the last


def controller_heartbeat(
    *,
    controller: GateController,
    version: int,
    clock: int | None,
    firmware: str,
    digest: str = "",
    sequence: int | None = None,
) -> HeartbeatAnswer:
    """Record a heartbeat; a controller holding less than we last confirmed (a factory
    reset, a restored backup) is marked for a snapshot, and so is one whose list digest
    differs from ours at the same version. Enqueues a push if it is behind. With a
    `sequence` (protocol v2), one not above the last heartbeat's is refused unrecorded."""
    now = timezone.now()
    sync, _created = ControllerSync.objects.get_or_create(controller=controller)
    if sequence is not None:
        newer = Q(heartbeat_sequence__isnull=True) | Q(heartbeat_sequence__lt=sequence)
        if not ControllerSync.objects.filter(newer, pk=sync.pk).update(heartbeat_sequence=sequence):
            return HeartbeatAnswer(head=0, action="none", refused="stale_sequence")
    values: dict[str, Any] = {
        "last_heartbeat_at": now,
        "reported_version": version,
        "reported_digest": digest[:64],
        "firmware": firmware[:100],
        "clock_offset_seconds": None if clock is None else int(clock - now.timestamp()),
        "offline_since": None,
    }
    head = head_version(controller.gate.community_id)
    held = sync.version_held
    if held is not None and version < held and _sent_before_confirmation(sync, clock):
        # Written before our last push landed and delivered after it: the version it
        # reports is the one that push replaced, not a reset. Recorded, nothing resent.
        ControllerSync.objects.filter(pk=sync.pk).update(**values)
        action = "delta" if held < head else "none"
        if action != "none" and controller.enabled:
            from .tasks import enqueue_push

            enqueue_push(controller.pk)
        return HeartbeatAnswer(head=head, action=action)
    if version > head or (held is not None and version < held):
        # Lower than we last confirmed (a factory reset, a restored backup) or ahead of
        # us (our database was restored): believe neither, resend the whole list.
        values["version_held"] = version
        values["needs_snapshot"] = True
        if version > head:
            # A new epoch: a v2 controller takes our (lower) list as newer than its own.
            AccessListHead.objects.filter(community_id=controller.gate.community_id).update(
                epoch=F("epoch") + 1
            )
    elif held is None or version > held:
        values["version_held"] = version  # a confirmation we missed (e.g. a lost answer)
    if (
        digest
        and not values.get("needs_snapshot")
        and version == head
        and digest_at(controller.gate.community_id, version) not in (None, digest)
    ):
        # Same version, another list (a corrupted store, a bug): never "in sync".
        values["version_held"] = version
        values["needs_snapshot"] = True
    ControllerSync.objects.filter(pk=sync.pk).update(**values)
    if values.get("needs_snapshot") or sync.needs_snapshot or (version == 0 and head > 0):
        action = "snapshot"
    elif version < head:
        action = "delta"
    else:
        action = "none"
    if action != "none" and controller.enabled:
        from .tasks import enqueue_push

        enqueue_push(controller.pk)
    return HeartbeatAnswer(head=head, action=action)


def _sent_before_confirmation(sync: ControllerSync, clock: int | None) -> bool:
    """Whether a heartbeat stamped `clock` (the controller's Unix seconds) was written
    before our last confirmed push, on our clock: its own clock corrected by the offset its
    earlier heartbeats showed. Without a clock we cannot tell, and believe the version."""
    if clock is None or sync.confirmed_at is None:
        return False
    offset = sync.clock_offset_seconds or 0
    return clock - offset < sync.confirmed_at.timestamp()


@dataclass
class IngestResult:
    accepted: int = 0
    duplicates: int = 0
    rejected: list[dict[str, Any]] = field(default_factory=list)


def _gate_of(controller: GateController, value: Any, gates: dict[str, Gate]) -> Gate | None:
    if value in (None, ""):
        return controller.gate
    return gates.get(str(value))


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
    return {
        "event_id": event_id,
        "gate": gate,
        "grant_id": grant,
        "direction": direction,
        "decision": decision,
        "reason": reason,
        "occurred_at": occurred,
    }
