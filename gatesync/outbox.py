"""The access change log: every change to who may pass a community's gates becomes a
numbered row here, in the caller's transaction, and the community's materialised access
list (AccessListEntry) is updated with it. This module only records: each function says
which communities (and, when it has read them, which controllers) need a push, and the
caller (gatesync.interface, gatesync.tasks) enqueues it after commit. A change that alters
nothing writes nothing (so a task or a service run twice leaves the log as it was).

Versions: AccessListHead.version is bumped with one `UPDATE ... RETURNING` under the row's
lock, so concurrent writers of one community serialise there and versions never repeat or
go back. The lock is held until COMMIT (that is what makes versions commit in order), so
a grant's change takes it as late as it can: on PostgreSQL the bump, the list entry and
the change row are one statement (a data-modifying CTE), the last of the caller's
transaction before COMMIT — no Python round trip, and no waiting for the GIL of a busy
web worker, happens while other writers of the community queue on the head.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from communities.models import Gate, GateController

from .documents import current_policy, delta_max_changes
from .models import AccessChange, AccessListEntry, AccessListHead, ChangeOp

Entry = list[int | None]  # [grant, rider, valid_from, valid_until] as in the protocol


@dataclass(frozen=True)
class Access:
    """One grant's rider may pass the community's gates from `valid_from` until
    `valid_until` (None: no end). Whoever decided it, and how, is not gate sync's business."""

    rider_id: int
    valid_from: dt.datetime
    valid_until: dt.datetime | None


def _ts(value: dt.datetime | None) -> int | None:
    return None if value is None else int(value.timestamp())


def entry_of(
    grant_id: int, access: Access | None, *, now: dt.datetime | None = None
) -> Entry | None:
    """The list entry a grant with `access` deserves now, or None when it must not be on
    the list (no access, or its validity has ended)."""
    now = now or timezone.now()
    if access is None:
        return None
    if access.valid_until is not None and access.valid_until <= now:
        return None
    return [grant_id, access.rider_id, _ts(access.valid_from), _ts(access.valid_until)]


def _bump(community_id: int, count: int = 1) -> int:
    """Reserve `count` versions for `community_id`; returns the last one."""
    table = AccessListHead._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET version = version + %s, updated_at = %s "  # noqa: S608
            "WHERE community_id = %s RETURNING version",
            [count, timezone.now(), community_id],
        )
        row = cursor.fetchone()
    if row is not None:
        return row[0]
    _head_create(community_id)
    return _bump(community_id, count)


def _head_create(community_id: int) -> None:
    """First change of this community: create its head (a concurrent creator makes the
    insert fail inside the savepoint; then the caller's UPDATE finds the row)."""
    try:
        with transaction.atomic():
            AccessListHead.objects.create(
                community_id=community_id, version=0, policy=current_policy(community_id)
            )
    except IntegrityError:  # a concurrent first change created it
        pass


def grant_log(
    *, community_id: int, grant_id: int, access: Access | None, cause: str, new: bool = False
) -> tuple[int, list[int]] | None:
    """Bring the community's list in line with the grant's `access`; returns the new
    version and the community's enabled controllers, or None if the list already agreed.
    Must run inside the transaction that changed the grant (`new`: the grant was inserted
    by it, so it cannot be listed yet)."""
    want = entry_of(grant_id, access)
    if new and want is None:
        return None
    current = (
        None
        if new
        else AccessListEntry.objects.filter(grant_id=grant_id)
        .values_list("grant_id", "rider_id", "valid_from", "valid_until")
        .first()
    )
    if want == (list(current) if current else None):
        return None
    return _log_in_one_statement(
        community_id, grant_id, want=want, listed=current is not None, cause=cause
    )


def _log_in_one_statement(
    community_id: int, grant_id: int, *, want: Entry | None, listed: bool, cause: str
) -> tuple[int, list[int]]:
    """Bump the head, put/update/delete the grant's list entry and write the change row in
    one statement. Returns the new version and the community's enabled
    controllers, read by the same statement so the push after commit needs no query of
    its own (a controller enabled meanwhile is caught by its own sync and by reconcile)."""
    quote = connection.ops.quote_name
    head = quote(AccessListHead._meta.db_table)
    entries = quote(AccessListEntry._meta.db_table)
    changes = quote(AccessChange._meta.db_table)
    controllers = quote(GateController._meta.db_table)
    gates = quote(Gate._meta.db_table)
    now = timezone.now()
    if want is None:
        op, payload = ChangeOp.DEL, {}
        entry_sql = f"DELETE FROM {entries} WHERE grant_id = %s AND EXISTS (SELECT FROM head)"  # noqa: S608
        entry_params: list[Any] = [grant_id]
    elif listed:
        op, payload = ChangeOp.PUT, {"entry": want}
        entry_sql = (
            f"UPDATE {entries} SET community_id = %s, rider_id = %s, valid_from = %s, "  # noqa: S608
            "valid_until = %s, version = head.version FROM head WHERE grant_id = %s"
        )
        entry_params = [community_id, want[1], want[2], want[3], grant_id]
    else:
        op, payload = ChangeOp.PUT, {"entry": want}
        entry_sql = (
            f"INSERT INTO {entries} (community_id, grant_id, rider_id, valid_from, "  # noqa: S608
            "valid_until, version) SELECT %s, %s, %s, %s, %s, version FROM head"
        )
        entry_params = [community_id, grant_id, want[1], want[2], want[3]]
    sql = (
        f"WITH head AS (UPDATE {head} SET version = version + 1, updated_at = %s "  # noqa: S608
        "WHERE community_id = %s RETURNING version), "
        f"entry AS ({entry_sql}), "
        f"change AS (INSERT INTO {changes} (community_id, version, op, grant_id, payload, "
        "cause, created_at) SELECT %s, version, %s, %s, %s::jsonb, %s, %s FROM head "
        "RETURNING version) "
        f"SELECT version, ARRAY(SELECT c.id FROM {controllers} c JOIN {gates} g "
        "ON g.id = c.gate_id WHERE g.community_id = %s AND c.enabled ORDER BY c.id) "
        "FROM change"
    )
    params = [
        now,
        community_id,
        *entry_params,
        community_id,
        op.value,
        grant_id,
        json.dumps(payload),
        cause,
        now,
        community_id,
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is not None:
        return row[0], list(row[1])
    # No head yet (the community's first change): nothing was written; create it as
    # `_bump` does and run the statement again.
    _head_create(community_id)
    return _log_in_one_statement(community_id, grant_id, want=want, listed=listed, cause=cause)


def policy_log(community_id: int, policy: dict[str, Any], *, cause: str) -> int | None:
    """Log the community's entry policy / riders' hours if they differ from the logged;
    returns the new version, or None if they did not."""
    head = AccessListHead.objects.filter(community_id=community_id).values_list("policy").first()
    if head is not None and head[0] == policy:
        return None
    version = _bump(community_id)
    AccessListHead.objects.filter(community_id=community_id).update(policy=policy)
    AccessChange.objects.create(
        community_id=community_id,
        version=version,
        op=ChangeOp.POLICY,
        payload={"policy": policy},
        cause=cause,
    )
    return version


def keys_log(keys: list[dict[str, Any]], *, cause: str) -> list[int]:
    """Log new pass-signing keys for every community that has controllers or a list;
    returns those communities."""
    community_ids = set(AccessListHead.objects.values_list("community_id", flat=True)) | set(
        GateController.objects.values_list("gate__community_id", flat=True)
    )
    for community_id in sorted(community_ids):
        version = _bump(community_id)
        AccessChange.objects.create(
            community_id=community_id,
            version=version,
            op=ChangeOp.KEYS,
            payload={"keys": keys},
            cause=cause,
        )
    return sorted(community_ids)


def expired_batches(*, now: dt.datetime, batch: int) -> Iterator[tuple[int, list[int]]]:
    """Turn entries whose validity has ended into removals, `batch` rows per transaction;
    yields, after each, the rows removed and their communities. Idempotent."""
    while True:
        with transaction.atomic():
            rows = list(
                AccessListEntry.objects.select_for_update(skip_locked=True)
                .filter(valid_until__lte=int(now.timestamp()))
                .order_by("community_id", "grant_id")
                .values_list("community_id", "grant_id")[:batch]
            )
            if not rows:
                return
            by_community: dict[int, list[int]] = {}
            for community_id, grant_id in rows:
                by_community.setdefault(community_id, []).append(grant_id)
            for community_id, grant_ids in by_community.items():
                last = _bump(community_id, len(grant_ids))
                first = last - len(grant_ids) + 1
                AccessListEntry.objects.filter(grant_id__in=grant_ids).delete()
                AccessChange.objects.bulk_create(
                    AccessChange(
                        community_id=community_id,
                        version=first + i,
                        op=ChangeOp.DEL,
                        grant_id=grant_id,
                        cause="expired",
                    )
                    for i, grant_id in enumerate(grant_ids)
                )
        yield len(rows), sorted(by_community)


def listed_grant_ids(community_id: int) -> set[int]:
    """The grants on the community's list now."""
    return set(
        AccessListEntry.objects.filter(community_id=community_id).values_list("grant_id", flat=True)
    )


def changes_prune(*, now: dt.datetime | None = None, batch: int = 5000) -> int:
    """Delete change-log rows no delta can use any more (beat job, docs/gate-sync.md):

    * more than GATESYNC_DELTA_MAX_CHANGES behind their community's head — a controller
      that far behind is sent a snapshot anyway;
    * older than GATESYNC_CHANGE_RETENTION_DAYS — a controller offline that long is sent a
      snapshot (`documents._delta_read` finds the gap and refuses the delta).

    Without it the log grows by every change forever (tens of millions of rows a year at
    2,000,000 riders). Batches of `batch` rows, each in its own short transaction, so a
    change being logged never waits long. Returns the rows deleted."""
    now = now or timezone.now()
    cutoff = now - dt.timedelta(days=settings.GATESYNC_CHANGE_RETENTION_DAYS)
    keep = delta_max_changes()
    quote = connection.ops.quote_name
    changes = quote(AccessChange._meta.db_table)
    heads = quote(AccessListHead._meta.db_table)
    rules = (
        # By the (community, version) unique index, for the busy communities only.
        (
            f"DELETE FROM {changes} WHERE id IN (SELECT c.id FROM {heads} h "  # noqa: S608 - names from the models, values bound
            f"JOIN {changes} c ON c.community_id = h.community_id AND c.version <= h.version - %s "
            "WHERE h.version > %s LIMIT %s)",
            [keep, keep, batch],
        ),
        # By the BRIN index on created_at (riders migration 0005).
        (
            f"DELETE FROM {changes} WHERE id IN "  # noqa: S608 - names from the models, values bound
            f"(SELECT id FROM {changes} WHERE created_at < %s LIMIT %s)",
            [cutoff, batch],
        ),
    )
    deleted = 0
    for sql, params in rules:
        while True:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(sql, params)
                count = cursor.rowcount
            deleted += count
            if count < batch:
                break
    return deleted
