"""What controllers tell the portal about themselves: heartbeats. (The scans they send
are riders' records: riders.services.gate_events.)"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import F, Q
from django.utils import timezone

from communities.models import GateController

from .documents import digest_at, head_version
from .models import AccessListHead, ControllerSync
from .tasks import enqueue_push


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
