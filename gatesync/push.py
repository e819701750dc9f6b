"""Pushing to one controller what it lacks, and recording how it went.

One push at a time per controller: a lease (a conditional UPDATE on its sync row) is
claimed first; a second worker finding it taken leaves, and the holder looks at the head
again after releasing it, so a change committed meanwhile is never stranded. Every
outcome — success, a controller answering another version, an error — is written to
ControllerSync, which the admin, /staff/ and the reconcile job read.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from communities.models import GateController

from .documents import delta_document, digest_at, head_version, snapshot_document
from .drivers import DriverError, PushResult, VersionMismatch, driver_for
from .models import ControllerSync

log = logging.getLogger("last100.gatesync")


class LeaseBusy(Exception):
    """Another worker is pushing to this controller right now."""


@dataclass
class PushOutcome:
    controller_id: int
    kind: str  # "none", "delta", "snapshot"
    version: int
    bytes_sent: int = 0


def _timeout() -> float:
    return float(getattr(settings, "GATESYNC_HTTP_TIMEOUT_SECONDS", 10))


def _lease_seconds() -> int:
    return int(getattr(settings, "GATESYNC_LEASE_SECONDS", 120))


def _claim(controller_id: int) -> ControllerSync:
    now = timezone.now()
    free = Q(lease_until__isnull=True) | Q(lease_until__lt=now)
    lease = now + dt.timedelta(seconds=_lease_seconds())
    claimed = ControllerSync.objects.filter(free, controller_id=controller_id).update(
        lease_until=lease
    )
    if not claimed:
        _sync, created = ControllerSync.objects.get_or_create(controller_id=controller_id)
        if not created or not ControllerSync.objects.filter(
            free, controller_id=controller_id
        ).update(lease_until=lease):
            raise LeaseBusy(controller_id)
    return ControllerSync.objects.get(controller_id=controller_id)


def _release(controller_id: int) -> None:
    ControllerSync.objects.filter(controller_id=controller_id).update(lease_until=None)


def controller_push(controller_id: int, *, snapshot: bool = False) -> PushOutcome:
    """Bring one controller to its community's head. Raises DriverError when the
    controller cannot be reached or refuses (recorded first), LeaseBusy when another
    worker holds it. Running it again when nothing changed sends nothing."""
    controller = GateController.objects.select_related("gate").filter(pk=controller_id).first()
    if controller is None or not controller.enabled:
        return PushOutcome(controller_id, "none", 0)
    community_id = controller.gate.community_id
    outcome = PushOutcome(controller_id, "none", 0)
    for _round in range(5):
        sync = _claim(controller_id)
        try:
            outcome = _push_claimed(controller, sync, community_id, force=snapshot)
        finally:
            _release(controller_id)
        snapshot = False
        # A change committed while we held the lease found it taken and left: look again.
        if head_version(community_id) == outcome.version:
            break
    return outcome


def _push_claimed(
    controller: GateController, sync: ControllerSync, community_id: int, *, force: bool
) -> PushOutcome:
    driver = driver_for(controller, timeout=_timeout())
    held = sync.version_held
    want_snapshot = force or sync.needs_snapshot
    total_bytes = 0
    kind = "none"
    for _attempt in range(3):
        head = head_version(community_id)
        if not want_snapshot and held is not None and held == head:
            return PushOutcome(controller.pk, kind, head, total_bytes)
        doc = None
        if not want_snapshot and held is not None and held < head:
            doc = delta_document(
                controller_id=controller.pk, community_id=community_id, from_version=held
            )
        try:
            if doc is not None:
                kind = "delta"
                result = driver.push_delta(doc)
            else:
                kind = "snapshot"
                if (sync.failures or sync.confirmed_at is None) and total_bytes == 0:
                    # It failed last time, or has never answered: ask for its state (a few
                    # bytes) before building a list of up to 50,000 passes that an
                    # unreachable controller would only make us throw away.
                    driver.state()
                doc = snapshot_document(
                    controller_id=controller.pk,
                    community_id=community_id,
                    gate_id=controller.gate_id,
                )
                result = driver.push_snapshot(doc)
        except VersionMismatch as mismatch:
            log.info("controller %s holds %s, not %s", controller.pk, mismatch.held, held)
            held, want_snapshot = mismatch.held, True
            _record(sync, version_held=mismatch.held, needs_snapshot=True)
            if mismatch.rollback and hasattr(driver, "reset"):
                # It holds a newer list than ours (our database was restored): only an
                # explicit signed reset lets it go back (docs/gate-protocol.md §3).
                log.warning("controller %s holds %s, ahead of us: reset", controller.pk, held)
                try:
                    driver.reset()
                except DriverError as error:
                    _record_error(sync, error)
                    raise
            continue
        except DriverError as error:
            _record_error(sync, error)
            raise
        total_bytes += result.bytes_sent
        if _digest_checked(kind, result) and _digest_differs(community_id, result):
            # Never recorded as in sync: its list differs from ours at the same version.
            log.warning("controller %s: digest differs at %s", controller.pk, result.version)
            _record(sync, version_held=result.version, needs_snapshot=True)
            if kind == "snapshot":
                error = DriverError("the controller's list digest differs after a snapshot")
                _record_error(sync, error)
                raise error
            held, want_snapshot = result.version, True
            continue
        held, want_snapshot = result.version, False
        _record_success(sync, result.version, kind, result.bytes_sent)
    return PushOutcome(controller.pk, kind, held or 0, total_bytes)


def _digest_checked(kind: str, result: PushResult) -> bool:
    """Whether to compare this answer's digest now. Always after a snapshot; after a delta
    when the list is at most GATESYNC_DIGEST_CHECK_MAX_ENTRIES (default 10,000) long:
    reading a 50,000-pass list per change (about a second under load) would hold up the
    next change's push. Larger lists are compared by every heartbeat instead (§4)."""
    if result.digest is None:
        return False
    limit = int(getattr(settings, "GATESYNC_DIGEST_CHECK_MAX_ENTRIES", 10_000))
    return kind == "snapshot" or result.size is None or result.size <= limit


def _digest_differs(community_id: int, result: PushResult) -> bool:
    """Whether the controller's list differs from ours at the version it holds (None:
    our head has moved on, nothing to compare with; the next push compares)."""
    expected = digest_at(community_id, result.version)
    return expected is not None and expected != result.digest


def _record(sync: ControllerSync, **values: object) -> None:
    for field, value in values.items():
        setattr(sync, field, value)
    ControllerSync.objects.filter(pk=sync.pk).update(**values)


def _record_success(sync: ControllerSync, version: int, kind: str, size: int) -> None:
    now = timezone.now()
    _record(
        sync,
        version_held=version,
        needs_snapshot=False,
        confirmed_at=now,
        last_push_at=now,
        last_push_kind=kind,
        last_push_bytes=size,
        offline_since=None,
        failures=0,
        last_error="",
    )


def _record_error(sync: ControllerSync, error: DriverError) -> None:
    now = timezone.now()
    _record(
        sync,
        last_push_at=now,
        last_error=str(error)[:2000],
        last_error_at=now,
        offline_since=sync.offline_since or now,
        failures=sync.failures + 1,
    )
    log.warning("push to controller %s failed: %s", sync.pk, error)


def controller_resync_request(*, controller: GateController, full: bool) -> None:
    """Staff asked for "sync now" (full=False) or "full resync" (full=True)."""
    ControllerSync.objects.get_or_create(controller=controller)
    if full:
        ControllerSync.objects.filter(controller=controller).update(needs_snapshot=True)
