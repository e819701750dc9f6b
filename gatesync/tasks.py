"""Celery tasks of gate sync: thin, take ids, call push/outbox services; and enqueueing
them (`push_after_commit`, `enqueue_*`), which every writer of gate sync calls.

The database is the queue of record: a lost message, a killed worker or a Redis restart
only delays a push until `reconcile` (beat, every GATESYNC_RECONCILE_SECONDS) finds the
controller behind its community's head and enqueues it again.

Two queues: a change's pushes (and a heartbeat's, and staff's "Sync now") go to the
default queue; `reconcile`'s catch-up pushes go to CATCHUP_QUEUE. A fleet with thousands
of unreachable controllers — each push waiting out its HTTP timeout — then never holds up
the push of a change to the controllers that are online: run a worker for each queue
(docs/gate-sync.md). Catch-up is bounded too: at most GATESYNC_RECONCILE_MAX controllers
per run, those that have not failed first, and a controller that keeps failing is retried
less and less often (up to GATESYNC_RETRY_MAX_SECONDS); its next heartbeat brings it a
push at once.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import random
import threading
from queue import Empty, SimpleQueue

from celery import shared_task
from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import F, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from communities.models import GateController

from .drivers import DriverError
from .models import AccessListHead
from .outbox import changes_prune, expired_batches
from .push import LeaseBusy, controller_push

log = logging.getLogger("last100.gatesync")

# Below the broker's visibility timeout (CELERY_BROKER_TRANSPORT_OPTIONS), so a slow push
# is never handed to a second worker while the first still runs it.
SOFT_TIME_LIMIT = 60
TIME_LIMIT = 90
MAX_BACKOFF = 300


def backoff(retries: int) -> float:
    """Exponential backoff with full jitter: 1, 2, 4 … 300 s, times 0.5–1.5."""
    return min(MAX_BACKOFF, 2**retries) * random.uniform(0.5, 1.5)  # noqa: S311


@shared_task(
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    soft_time_limit=SOFT_TIME_LIMIT,
    time_limit=TIME_LIMIT,
    max_retries=8,
)
def push_controller(self, controller_id: int, snapshot: bool = False) -> str:
    """Bring one controller to its community's head (idempotent)."""
    _queued_clear(controller_id)  # from now on a new change enqueues a new push
    try:
        outcome = controller_push(controller_id, snapshot=snapshot)
    except LeaseBusy:
        return "busy"  # the holder looks at the head again when it is done
    except DriverError as error:
        # Called directly or eagerly (`manage.py sync_gates`, tests), nobody waits for a
        # retry; the next change, reconcile or `sync_gates` pushes again.
        if not error.retryable or self.request.called_directly or self.request.is_eager:
            return f"failed: {error}"
        raise self.retry(countdown=backoff(self.request.retries), exc=error) from error
    finally:
        _catchup_done(controller_id)
    return f"{outcome.kind} -> {outcome.version}"


QUEUED_TTL = 60
FANOUT_MIN = 8  # this many controllers or more are pushed by push_many
FANOUT_CHUNK = 50
FANOUT_THREADS = 16


CATCHUP_QUEUE = "gatesync-catchup"
# A catch-up push may wait behind many slow ones: its mark lives longer, so `reconcile`
# does not queue the same controller again every run.
CATCHUP_QUEUED_TTL = 600


def _queued_key(controller_id: int, queue: str | None = None) -> str:
    kind = "catchup" if queue == CATCHUP_QUEUE else "queued"
    return f"gatesync:{kind}:{controller_id}"


def _queued_mark(controller_id: int, queue: str | None = None) -> bool:
    """True if no push for this controller waits in `queue` yet (and now one does)."""
    ttl = CATCHUP_QUEUED_TTL if queue == CATCHUP_QUEUE else QUEUED_TTL
    try:
        return cache.add(_queued_key(controller_id, queue), 1, ttl)
    except Exception:  # noqa: BLE001 - the cache is down: enqueue anyway
        return True


def _queued_clear(controller_id: int, queue: str | None = None) -> None:
    with contextlib.suppress(Exception):  # the cache is down: the mark expires by itself
        cache.delete(_queued_key(controller_id, queue))


def _catchup_done(controller_id: int) -> None:
    """A push has ended, done or failed: `reconcile` may queue the controller again if it
    is still behind (a failed one only after its backoff). Cleared at the end, not at the
    start as the default queue's mark is: while a catch-up push waits or runs, `reconcile`
    must not queue the same controller again (on a fresh fleet of thousands of never-reached
    controllers it queued the same first ones every run, and the rest waited)."""
    _queued_clear(controller_id, CATCHUP_QUEUE)


def enqueue_push(controller_id: int, *, snapshot: bool = False, queue: str | None = None) -> bool:
    """Enqueue a push, unless one for this controller already waits in the queue (it
    reads the head when it runs, so it carries this change too; the mark expires after
    QUEUED_TTL in case its message was lost). False (logged) when the broker cannot be
    reached: the change is in the database already and `reconcile` pushes it once the
    broker is back — a request that changed something must not fail because Redis is
    down."""
    if not snapshot and not _queued_mark(controller_id, queue):
        return True
    try:
        push_controller.apply_async((controller_id,), {"snapshot": snapshot}, queue=queue)
    except Exception as error:  # noqa: BLE001 - kombu/redis errors of every kind
        _queued_clear(controller_id, queue)
        log.warning(
            "push for controller %s not enqueued (%s); reconcile will", controller_id, error
        )
        return False
    return True


def enqueue_many(controller_ids: list[int], *, queue: str | None = None) -> int:
    """Enqueue pushes to these controllers: one task each when they are few, else tasks
    of FANOUT_CHUNK controllers pushed in parallel threads (`push_many`), so a community
    with hundreds of controllers does not wait for hundreds of tasks in a row. Those
    already queued are left out. Returns how many were enqueued."""
    if len(controller_ids) < FANOUT_MIN:
        done = 0
        for controller_id in controller_ids:
            if not enqueue_push(controller_id, queue=queue):
                break  # the broker is down: the rest would fail the same way
            done += 1
        return done
    fresh = [pk for pk in controller_ids if _queued_mark(pk, queue)]
    for start in range(0, len(fresh), FANOUT_CHUNK):
        chunk = fresh[start : start + FANOUT_CHUNK]
        try:
            push_many.apply_async((chunk,), queue=queue)
        except Exception as error:  # noqa: BLE001 - kombu/redis errors of every kind
            for controller_id in fresh[start:]:
                _queued_clear(controller_id, queue)
            log.warning("pushes not enqueued (%s); reconcile will", error)
            return start
    return len(fresh)


def push_after_commit(community_id: int, *, controller_ids: list[int] | None = None) -> None:
    """Enqueue a push to each controller of the community once the transaction commits
    (once per community per transaction, however many changes it made; nothing if it rolls
    back). `controller_ids`: the community's enabled controllers as the caller has just
    read them; otherwise they are queried after commit."""
    for _sids, func, _robust in connection.run_on_commit:
        if getattr(func, "gatesync_community", None) == community_id:
            return

    def run() -> None:
        if controller_ids is None:
            enqueue_community(community_id)
        elif controller_ids:
            enqueue_many(controller_ids)

    run.gatesync_community = community_id  # type: ignore[attr-defined]
    transaction.on_commit(run, robust=True)


def expired_sweep(*, now: dt.datetime | None = None, batch: int = 1000) -> int:
    """Turn list entries whose validity has ended into logged removals, `batch` rows per
    transaction, and push each batch's communities after it commits. Idempotent."""
    removed = 0
    for count, community_ids in expired_batches(now=now or timezone.now(), batch=batch):
        for community_id in community_ids:
            push_after_commit(community_id)
        removed += count
    return removed


def enqueue_community(community_id: int) -> int:
    """Enqueue a push for every enabled controller of the community."""
    ids = list(
        GateController.objects.filter(gate__community_id=community_id, enabled=True).values_list(
            "pk", flat=True
        )
    )
    return enqueue_many(ids)


@shared_task(
    acks_late=True,
    reject_on_worker_lost=True,
    soft_time_limit=2 * SOFT_TIME_LIMIT,
    time_limit=2 * TIME_LIMIT,
)
def push_many(controller_ids: list[int]) -> dict[str, int]:
    """Push to several controllers at once, FANOUT_THREADS at a time (idempotent; a
    failure is recorded per controller and retried by `reconcile` after its backoff)."""
    for controller_id in controller_ids:
        _queued_clear(controller_id)

    work: SimpleQueue[int] = SimpleQueue()
    for controller_id in controller_ids:
        work.put(controller_id)
    counts: dict[str, int] = {}
    lock = threading.Lock()

    def drain() -> None:
        # One database connection per thread for all its pushes, closed when done.
        try:
            while True:
                try:
                    controller_id = work.get_nowait()
                except Empty:
                    return
                try:
                    kind = controller_push(controller_id).kind
                except LeaseBusy:
                    kind = "busy"
                except DriverError:
                    kind = "failed"
                finally:
                    _catchup_done(controller_id)
                with lock:
                    counts[kind] = counts.get(kind, 0) + 1
        finally:
            connection.close()

    threads = [
        threading.Thread(target=drain, daemon=True)
        for _ in range(min(FANOUT_THREADS, len(controller_ids)))
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return counts


def retry_wait(failures: int) -> float:
    """Seconds `reconcile` leaves a controller alone after its `failures`-th failure in a
    row: 2, 4, 8 … up to GATESYNC_RETRY_MAX_SECONDS (an hour by default)."""
    return float(min(settings.GATESYNC_RETRY_MAX_SECONDS, 2 ** min(failures, 20)))


def controllers_behind(*, now: dt.datetime | None = None, limit: int | None = None) -> list[int]:
    """Enabled controllers that lack their community's head (or never synced, or were
    asked for a full resync), leaving out those still waiting out a failure's backoff;
    those that have not failed first, then the longest-failed-ago; at most `limit`."""
    now = now or timezone.now()
    head = Subquery(
        AccessListHead.objects.filter(community_id=OuterRef("gate__community_id")).values(
            "version"
        )[:1]
    )
    rows = (
        GateController.objects.filter(enabled=True)
        .annotate(head=Coalesce(head, Value(0)))
        .filter(
            Q(sync__isnull=True)
            | Q(sync__version_held__isnull=True)
            | Q(sync__needs_snapshot=True)
            | ~Q(sync__version_held=F("head"))
        )
        .order_by(
            F("sync__failures").asc(nulls_first=True),
            F("sync__last_error_at").asc(nulls_first=True),
            "pk",
        )
        .values_list("pk", "sync__failures", "sync__last_error_at")
    )
    due: list[int] = []
    for controller_id, failures, last_error_at in rows.iterator(chunk_size=2000):
        waiting = dt.timedelta(seconds=retry_wait(failures or 0))
        if failures and last_error_at and last_error_at > now - waiting:
            continue
        due.append(controller_id)
        if limit is not None and len(due) >= limit:
            break
    return due


@shared_task(acks_late=True, soft_time_limit=SOFT_TIME_LIMIT, time_limit=TIME_LIMIT)
def reconcile() -> int:
    """Beat: enqueue controllers behind their community's head, on the catch-up queue."""
    due = controllers_behind(limit=settings.GATESYNC_RECONCILE_MAX)
    return enqueue_many(due, queue=CATCHUP_QUEUE)


@shared_task(acks_late=True, soft_time_limit=SOFT_TIME_LIMIT, time_limit=TIME_LIMIT)
def sweep_expired() -> int:
    """Beat: grants whose validity ended leave the lists (as logged removals)."""
    return expired_sweep()


@shared_task(acks_late=True, soft_time_limit=10 * SOFT_TIME_LIMIT, time_limit=10 * TIME_LIMIT)
def prune_changes() -> int:
    """Beat: change-log rows no delta can use any more are deleted."""
    return changes_prune()
