"""The documents of docs/gate-protocol.md, read from the change log and the list, the
policy object they carry, and the list digest both sides compute to prove they agree."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.cache import cache

from communities.models import Community, DeliveryRules, Gate
from communities.services import rules_current

from .cache import process_cache
from .models import AccessChange, AccessListEntry, AccessListHead, ChangeOp
from .providers import published_keys

PROTOCOL = 2


def delta_max_changes() -> int:
    """Above this many changes a snapshot is cheaper to send and to apply."""
    return getattr(settings, "GATESYNC_DELTA_MAX_CHANGES", 2000)


def list_digest(entries: Iterable[Iterable[Any]], policy: dict[str, Any] | None) -> str:
    """SHA-256 (hex) of the list as docs/gate-protocol.md §2 defines it."""
    digest = hashlib.sha256()
    for grant, rider, valid_from, valid_until in sorted(entries, key=lambda e: e[0]):
        until = "" if valid_until is None else valid_until
        digest.update(f"{grant},{rider},{valid_from},{until}\n".encode())
    policy = policy or {}
    hours = policy.get("rider_hours") or ["", ""]
    digest.update(f"policy:{policy.get('entry', '')},{hours[0]},{hours[1]}\n".encode())
    return digest.hexdigest()


def policy_for(rules: DeliveryRules | None) -> dict[str, Any]:
    """The protocol's policy object for a DeliveryRules row (or None: riders registered)."""
    if rules is None:
        return {"entry": "registered", "rider_hours": None}
    hours = None
    if rules.rider_hours_start is not None and rules.rider_hours_end is not None:
        hours = [rules.rider_hours_start.strftime("%H:%M"), rules.rider_hours_end.strftime("%H:%M")]
    return {"entry": rules.entry_policy, "rider_hours": hours}


def community_policy(community_id: int, rules: DeliveryRules | None) -> dict[str, Any]:
    """policy_for(rules) plus what a gate needs to decide alone (docs/gate-protocol.md §2):
    the community's time zone and, per gate id, whether it is open to riders and its
    hours (start inclusive, end exclusive, local time)."""
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


def current_policy(community_id: int) -> dict[str, Any]:
    """The policy of the community's current rules and gates, as it should be logged."""
    community = Community.objects.filter(pk=community_id).first()
    return community_policy(community_id, rules_current(community) if community else None)


def _head(community_id: int) -> tuple[int, dict[str, Any]]:
    row = AccessListHead.objects.filter(community_id=community_id).values_list("version", "policy")
    found = row.first()
    return (found[0], found[1] or current_policy(community_id)) if found else (0, {})


def head_version(community_id: int) -> int:
    return (
        AccessListHead.objects.filter(community_id=community_id)
        .values_list("version", flat=True)
        .first()
        or 0
    )


def head_epoch(community_id: int) -> int:
    found = AccessListHead.objects.filter(community_id=community_id).values_list("epoch").first()
    return found[0] if found else 1


def list_entries(community_id: int) -> list[list[Any]]:
    return [
        list(row)
        for row in AccessListEntry.objects.filter(community_id=community_id)
        .order_by("grant_id")
        .values_list("grant_id", "rider_id", "valid_from", "valid_until")
    ]


def _consistent_list(community_id: int) -> tuple[int, dict[str, Any], list[list[Any]]]:
    """(version, policy, entries) at one version. The head is read before and after the
    entries; if a writer committed in between (the head moved) it is read again, so the
    entries always match the version they are given with."""
    for _attempt in range(5):
        version, policy = _head(community_id)
        entries = list_entries(community_id)
        if _head(community_id)[0] == version:
            break
    return version, policy or current_policy(community_id), entries


def snapshot_document(
    *, controller_id: int, community_id: int, gate_id: int | None = None
) -> dict[str, Any]:
    """The whole list at one version (`gate`: the controller's gate, whose rules in
    policy["gates"] it applies)."""
    version, policy, entries = _consistent_list(community_id)
    return {
        "protocol": PROTOCOL,
        "type": "snapshot",
        "controller": controller_id,
        "community": community_id,
        "gate": gate_id,
        "epoch": head_epoch(community_id),
        "version": version,
        "policy": policy,
        "keys": published_keys(),
        "entries": entries,
    }


def delta_document(
    *, controller_id: int, community_id: int, from_version: int, to_version: int | None = None
) -> dict[str, Any] | None:
    """The changes after `from_version` up to the head, each grant once with its last
    state; None when a delta cannot be made (log rows missing, or too many changes)."""
    to_version = head_version(community_id) if to_version is None else to_version
    if from_version <= 0 or from_version > to_version:
        return None
    # Log rows never change once written, so the changes between two versions are the
    # same for every controller of the community: a fleet behind one change reads them once.
    key = (community_id, from_version, to_version)
    cached = process_cache.deltas.get(key)
    if cached is not None:
        return {**cached, "controller": controller_id}
    doc = _delta_read(community_id, from_version, to_version)
    if doc is not None:
        process_cache.delta_put(key, doc)
        return {**doc, "controller": controller_id}
    return None


def _delta_read(community_id: int, from_version: int, to_version: int) -> dict[str, Any] | None:
    count = to_version - from_version
    if count > delta_max_changes():
        return None
    rows = list(
        AccessChange.objects.filter(
            community_id=community_id, version__gt=from_version, version__lte=to_version
        )
        .order_by("version")
        .values_list("version", "op", "grant_id", "payload")
    )
    if len(rows) != count:
        return None  # pruned or not yet committed: only a snapshot is safe
    last: dict[tuple[str, Any], dict[str, Any]] = {}
    for version, op, grant_id, payload in rows:
        if op in (ChangeOp.PUT, ChangeOp.DEL):
            key = ("grant", grant_id)
            change = (
                {"v": version, "op": "put", "entry": payload["entry"]}
                if op == ChangeOp.PUT
                else {"v": version, "op": "del", "grant": grant_id}
            )
        elif op == ChangeOp.POLICY:
            key, change = ("policy", None), {"v": version, "op": "policy", **payload}
        else:
            key, change = ("keys", None), {"v": version, "op": "keys", **payload}
        last.pop(key, None)  # re-insert so the dict keeps the order of last changes
        last[key] = change
    return {
        "protocol": PROTOCOL,
        "type": "delta",
        "controller": None,
        "community": community_id,
        "from_version": from_version,
        "version": to_version,
        "changes": list(last.values()),
    }


def portal_digest(community_id: int) -> tuple[int, str, int]:
    """(version, digest, size) of the portal's list for the community."""
    version, policy, entries = _consistent_list(community_id)
    return version, list_digest(entries, policy), len(entries)


def digest_at(community_id: int, version: int) -> str | None:
    """The portal's list digest at `version`, or None when the head has moved past it
    (nothing to compare with). Cached per version: a fleet confirming one change reads
    the list once, not once per controller."""
    # The epoch is part of the key: after a database restore a version number can come
    # back with another list.
    prefix = f"gatesync:digest:{community_id}:{head_epoch(community_id)}"
    found = cache.get(f"{prefix}:{version}")
    if found is not None:
        return found
    head, digest, _size = portal_digest(community_id)
    cache.set(f"{prefix}:{head}", digest, timeout=600)
    return digest if head == version else None
