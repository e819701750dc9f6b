"""The access change log: every change to who may pass a community's gates becomes a
numbered row here, in the caller's transaction, and the community's materialised access
list (AccessListEntry) is updated with it. After commit, the community's controllers are
enqueued for a push. A change that alters nothing writes nothing (so a task or a service
run twice leaves the log as it was).

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
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from ..models import AccessGrant, GrantStatus
from .models import AccessChange, AccessListEntry, AccessListHead, ChangeOp

Entry = list[int | None]  # [grant, rider, valid_from, valid_until] as in the protocol


def _ts(value: dt.datetime | None) -> int | None:
    return None if value is None else int(value.timestamp())


def entry_for(grant: AccessGrant, *, now: dt.datetime | None = None) -> Entry | None:
    """The list entry `grant` deserves now, or None when it must not be on the list."""
    now = now or timezone.now()
    if grant.status != GrantStatus.ACTIVE:
        return None
    if grant.valid_until is not None and grant.valid_until <= now:
        return None
    if not _rider_active(grant):
        return None
    return [grant.pk, grant.rider_id, _ts(grant.valid_from), _ts(grant.valid_until)]


def _rider_active(grant: AccessGrant) -> bool:
    """The rider is active at a platform that is itself active (an inactive platform's
    riders leave the lists as if each were deactivated)."""
    rider = grant._state.fields_cache.get("rider")
    if rider is not None and "platform" in rider._state.fields_cache:
        return rider.platform_active and rider.platform.active
    from ..models import Rider

    return Rider.objects.filter(
        pk=grant.rider_id, platform_active=True, platform__active=True
    ).exists()


def policy_for(rules: Any) -> dict[str, Any]:
    """The protocol's policy object for a DeliveryRules row (or None: riders registered)."""
    if rules is None:
        return {"entry": "registered", "rider_hours": None}
    hours = None
    if rules.rider_hours_start is not None and rules.rider_hours_end is not None:
        hours = [rules.rider_hours_start.strftime("%H:%M"), rules.rider_hours_end.strftime("%H:%M")]
    return {"entry": rules.entry_policy, "rider_hours": hours}


def community_policy(community_id: int, rules: Any) -> dict[str, Any]:
    """policy_for(rules) plus what a gate needs to decide alone (docs/gate-protocol.md §2):
    the community's time zone and, per gate id, whether it is open to riders and its
    hours (start inclusive, end exclusive, local time)."""
    from django.conf import settings

    from communities.models import Gate

    policy = policy_for(rules)
    policy["tz"] = settings.TIME_ZONE
    gates = Gate.objects.filter(community_id=community_id).order_by("pk")
    policy["gates"] = {
        str(pk): {
            "riders": riders,
            "hours": None if opens is None or closes is None else [_hhmm(opens), _hhmm(closes)],
        }
        for pk, riders, opens, closes in gates.values_list(
            "pk", "open_to_riders", "opens_at", "closes_at"
        )
    }
    return policy


def _hhmm(moment: Any) -> str:
    return moment.strftime("%H:%M")


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
            from .documents import _default_policy

            AccessListHead.objects.create(
                community_id=community_id, version=0, policy=_default_policy(community_id)
            )
    except IntegrityError:  # a concurrent first change created it
        pass


def grant_changed(grant: AccessGrant, *, cause: str, new: bool = False) -> int | None:
    """Bring the community's list in line with `grant`; returns the new version, or None
    if the list already agreed. Must run inside the transaction that changed the grant
    (`new`: the grant was inserted by it, so it cannot be listed yet)."""
    want = entry_for(grant)
    if new and want is None:
        return None
    current = (
        None
        if new
        else AccessListEntry.objects.filter(grant_id=grant.pk)
        .values_list("grant_id", "rider_id", "valid_from", "valid_until")
        .first()
    )
    if want == (list(current) if current else None):
        return None
    version, controller_ids = _log_in_one_statement(
        grant, want=want, listed=current is not None, cause=cause
    )
    push_after_commit(grant.community_id, controller_ids=controller_ids)
    return version


def _log_in_one_statement(
    grant: AccessGrant, *, want: Entry | None, listed: bool, cause: str
) -> tuple[int, list[int]]:
    """Bump the head, put/update/delete the grant's list entry and write the change row in
    one statement. Returns the new version and the community's enabled
    controllers, read by the same statement so the push after commit needs no query of
    its own (a controller enabled meanwhile is caught by its own sync and by reconcile)."""
    from communities.models import Gate, GateController

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
        entry_params: list[Any] = [grant.pk]
    elif listed:
        op, payload = ChangeOp.PUT, {"entry": want}
        entry_sql = (
            f"UPDATE {entries} SET community_id = %s, rider_id = %s, valid_from = %s, "  # noqa: S608
            "valid_until = %s, version = head.version FROM head WHERE grant_id = %s"
        )
        entry_params = [grant.community_id, want[1], want[2], want[3], grant.pk]
    else:
        op, payload = ChangeOp.PUT, {"entry": want}
        entry_sql = (
            f"INSERT INTO {entries} (community_id, grant_id, rider_id, valid_from, "  # noqa: S608
            "valid_until, version) SELECT %s, %s, %s, %s, %s, version FROM head"
        )
        entry_params = [grant.community_id, grant.pk, want[1], want[2], want[3]]
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
        grant.community_id,
        *entry_params,
        grant.community_id,
        op.value,
        grant.pk,
        json.dumps(payload),
        cause,
        now,
        grant.community_id,
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is not None:
        return row[0], list(row[1])
    # No head yet (the community's first change): nothing was written; create it as
    # `_bump` does and run the statement again.
    _head_create(grant.community_id)
    return _log_in_one_statement(grant, want=want, listed=listed, cause=cause)


def policy_changed(community_id: int, policy: dict[str, Any], *, cause: str) -> int | None:
    """Log the community's entry policy / riders' hours if they differ from the logged."""
    version = None
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
    push_after_commit(community_id)
    return version


def keys_changed(keys: list[dict[str, Any]], *, cause: str = "key_rotate") -> int:
    """Log new pass-signing keys for every community that has controllers or a list."""
    from communities.models import GateController

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
        push_after_commit(community_id)
    return len(community_ids)


def expired_sweep(*, now: dt.datetime | None = None, batch: int = 1000) -> int:
    """Turn entries whose validity has ended into removals (beat job). Idempotent."""
    now = now or timezone.now()
    removed = 0
    while True:
        with transaction.atomic():
            rows = list(
                AccessListEntry.objects.select_for_update(skip_locked=True)
                .filter(valid_until__lte=int(now.timestamp()))
                .order_by("community_id", "grant_id")
                .values_list("community_id", "grant_id")[:batch]
            )
            if not rows:
                return removed
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
                push_after_commit(community_id)
            removed += len(rows)


def community_rebuild(community_id: int, *, cause: str = "rebuild") -> int:
    """Recompute a community's whole list from its grants (repair tool; idempotent)."""
    changed = 0
    grants = AccessGrant.objects.select_related("rider__platform").filter(community_id=community_id)
    listed = set(
        AccessListEntry.objects.filter(community_id=community_id).values_list("grant_id", flat=True)
    )
    for grant in grants.filter(status=GrantStatus.ACTIVE) | grants.filter(pk__in=listed):
        if grant_changed(grant, cause=cause) is not None:
            changed += 1
    return changed


# --- after commit: wake the pushers ---------------------------------------------------


def push_after_commit(community_id: int, *, controller_ids: list[int] | None = None) -> None:
    """Enqueue a push to each controller of the community once the transaction commits
    (once per community per transaction, however many changes it made; nothing if it rolls
    back). `controller_ids`: the community's enabled controllers as the caller has just
    read them; otherwise they are queried after commit."""
    for _sids, func, _robust in connection.run_on_commit:
        if getattr(func, "gatesync_community", None) == community_id:
            return

    def run() -> None:
        from .tasks import enqueue_community, enqueue_many

        if controller_ids is None:
            enqueue_community(community_id)
        elif controller_ids:
            enqueue_many(controller_ids)

    run.gatesync_community = community_id  # type: ignore[attr-defined]
    transaction.on_commit(run, robust=True)


def changes_prune(*, now: dt.datetime | None = None, batch: int = 5000) -> int:
    """Delete change-log rows no delta can use any more (beat job, docs/gate-sync.md):

    * more than GATESYNC_DELTA_MAX_CHANGES behind their community's head — a controller
      that far behind is sent a snapshot anyway;
    * older than GATESYNC_CHANGE_RETENTION_DAYS — a controller offline that long is sent a
      snapshot (`documents._delta_read` finds the gap and refuses the delta).

    Without it the log grows by every change forever (tens of millions of rows a year at
    2,000,000 riders). Batches of `batch` rows, each in its own short transaction, so a
    change being logged never waits long. Returns the rows deleted."""
    from django.conf import settings

    from .documents import delta_max_changes

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
