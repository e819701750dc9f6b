"""Writes of the dashboard: rolling access events up into hourly counts, and deleting
raw events past the retention period (whereabouts are personal data).

Both are idempotent and work in batches, each batch its own transaction:

* `events_roll_up` reads events after the roll-up mark in id order, adds their counts to
  `HourlyEventCount` (an upsert that increments) and moves the mark, in one transaction
  under a row lock on the mark. Run twice, the second run finds nothing after the mark.
  Events recorded less than `DASHBOARD_ROLLUP_SETTLE_SECONDS` ago wait for the next run,
  so a scan still being written under a lower id is not stepped over.
* `events_expire` deletes events older than the retention period that are already
  counted (id up to the mark), so the charts' totals do not change.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count
from django.db.models.functions import TruncHour
from django.utils import timezone

from communities.models import Gate
from riders.models import AccessEvent

from .models import HourlyEventCount, RollupMark

GATES_PER_EXPIRY_QUERY = 1000


@dataclass
class RollupResult:
    events: int = 0
    rows: int = 0
    batches: int = 0
    last_event_id: int = 0


def _mark_locked() -> RollupMark:
    mark = RollupMark.objects.select_for_update().order_by("pk").first()
    if mark is None:
        RollupMark.objects.get_or_create(pk=1)
        mark = RollupMark.objects.select_for_update().get(pk=1)
    return mark


def _upsert_counts(rows: list[tuple]) -> None:
    table = HourlyEventCount._meta.db_table
    sql = (
        f"INSERT INTO {table} (community_id, gate_id, hour, direction, decision, reason, count) "  # noqa: S608 - names from the models, values bound
        "VALUES (%s, %s, %s, %s, %s, %s, %s) "
        "ON CONFLICT (gate_id, hour, direction, decision, reason) "
        f"DO UPDATE SET count = {table}.count + EXCLUDED.count"
    )
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


def _roll_up_batch(*, batch_size: int, settled_before: dt.datetime) -> tuple[int, int, int]:
    """One batch: (events counted, roll-up rows touched, new mark); (0, 0, mark) if none."""
    with transaction.atomic():
        mark = _mark_locked()
        candidates = list(
            AccessEvent.objects.filter(id__gt=mark.last_event_id)
            .order_by("id")
            .values_list("id", "recorded_at")[:batch_size]
        )
        upper = mark.last_event_id
        for event_id, recorded_at in candidates:
            if recorded_at >= settled_before:
                break
            upper = event_id
        if upper == mark.last_event_id:
            return 0, 0, upper
        groups = (
            AccessEvent.objects.filter(id__gt=mark.last_event_id, id__lte=upper)
            .annotate(hour=TruncHour("occurred_at", tzinfo=dt.UTC))
            .order_by()
            .values("gate__community_id", "gate_id", "hour", "direction", "decision", "reason")
            .annotate(n=Count("id"))
        )
        rows = [
            (
                g["gate__community_id"],
                g["gate_id"],
                connection.ops.adapt_datetimefield_value(g["hour"]),
                g["direction"],
                g["decision"],
                g["reason"],
                g["n"],
            )
            for g in groups
        ]
        _upsert_counts(rows)
        counted = sum(row[-1] for row in rows)
        mark.last_event_id = upper
        mark.save(update_fields=["last_event_id", "updated_at"])
        return counted, len(rows), upper


def events_roll_up(
    *, batch_size: int | None = None, max_batches: int | None = None, now: dt.datetime | None = None
) -> RollupResult:
    """Count every settled event after the mark into `HourlyEventCount`."""
    batch_size = batch_size or settings.DASHBOARD_ROLLUP_BATCH
    settled_before = (now or timezone.now()) - dt.timedelta(
        seconds=settings.DASHBOARD_ROLLUP_SETTLE_SECONDS
    )
    result = RollupResult()
    while max_batches is None or result.batches < max_batches:
        events, rows, upper = _roll_up_batch(batch_size=batch_size, settled_before=settled_before)
        result.last_event_id = upper
        if not events:
            break
        result.events += events
        result.rows += rows
        result.batches += 1
    return result


def events_expire(
    *, batch_size: int | None = None, max_batches: int | None = None, now: dt.datetime | None = None
) -> int:
    """Delete events older than `DASHBOARD_EVENT_RETENTION_DAYS` that the roll-up has
    counted. Returns how many were deleted."""
    batch_size = batch_size or settings.DASHBOARD_ROLLUP_BATCH
    cutoff = (now or timezone.now()) - dt.timedelta(days=settings.DASHBOARD_EVENT_RETENTION_DAYS)
    mark = RollupMark.objects.values_list("last_event_id", flat=True).first() or 0
    deleted = batches = 0
    gate_ids = list(Gate.objects.order_by("pk").values_list("pk", flat=True))
    # By groups of gates through the (gate, -occurred_at) index: only old rows are read.
    # (Walking the primary key instead reads the whole table when nothing is old.)
    for start in range(0, len(gate_ids), GATES_PER_EXPIRY_QUERY):
        group = gate_ids[start : start + GATES_PER_EXPIRY_QUERY]
        while max_batches is None or batches < max_batches:
            ids = list(
                AccessEvent.objects.filter(gate_id__in=group, occurred_at__lt=cutoff, id__lte=mark)
                .order_by()
                .values_list("id", flat=True)[:batch_size]
            )
            if not ids:
                break
            # One DELETE that sends no signals: nothing references an event, and a
            # post_delete receiver of AccessEvent (or of every sender) would make
            # Django's delete() load every row before deleting it.
            deleted += AccessEvent.objects.filter(id__in=ids)._raw_delete(AccessEvent.objects.db)
            batches += 1
    return deleted


def events_retain(
    *, max_batches: int | None = None, now: dt.datetime | None = None
) -> tuple[RollupResult, int]:
    """The beat job: roll up what is new, then delete what is past retention. With
    `max_batches`, a large backlog is worked through over several runs."""
    rolled = events_roll_up(max_batches=max_batches, now=now)
    return rolled, events_expire(max_batches=max_batches, now=now)
