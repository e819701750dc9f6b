"""One virtual gate controller: its access list (kept in a file), pushes applied per
docs/gate-protocol.md §3, scans decided offline per §5, and the events it owes the portal.

Standard library and `cryptography` only: nothing of the portal is imported.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
import os
import threading
import time
import uuid
from collections import deque
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from .client import list_digest

FIRMWARE = "gatesim 2.0"
LEEWAY = 5
EVENTS_KEPT = 20


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class PushRefused(Exception):
    def __init__(self, status: int, body: dict[str, Any]) -> None:
        super().__init__(body)
        self.status = status
        self.body = body


def _bad(detail: str) -> PushRefused:
    return PushRefused(400, {"error": "bad_document", "detail": detail[:200]})


def _entry(entry: Any) -> list[Any]:
    """An entry `[grant, rider, valid_from, valid_until|null]` as pushed, or 400."""
    if (
        type(entry) is not list
        or len(entry) != 4
        or type(entry[0]) is not int
        or type(entry[1]) is not int
        or type(entry[2]) is not int
        or not (entry[3] is None or type(entry[3]) is int)
    ):
        raise _bad(f"bad entry {entry!r}")
    return entry


def _policy(policy: Any) -> dict[str, Any]:
    if policy is None:
        return {}
    hours = policy.get("rider_hours") if isinstance(policy, dict) else None
    if not isinstance(policy, dict) or not (
        hours is None
        or (isinstance(hours, list) and len(hours) == 2 and all(isinstance(h, str) for h in hours))
    ):
        raise _bad(f"bad policy {policy!r}")
    gates = policy.get("gates")
    if gates is not None and not (
        isinstance(gates, dict) and all(_gate_rules_ok(rules) for rules in gates.values())
    ):
        raise _bad(f"bad gates {gates!r}")
    return policy


def _gate_rules_ok(rules: Any) -> bool:
    hours = rules.get("hours") if isinstance(rules, dict) else None
    return (
        isinstance(rules, dict)
        and isinstance(rules.get("riders"), bool)
        and (
            hours is None
            or (
                isinstance(hours, list)
                and len(hours) == 2
                and all(isinstance(h, str) for h in hours)
            )
        )
    )


def _entries(entries: Any) -> dict[int, list[Any]]:
    if not isinstance(entries, list):
        raise _bad("entries must be a list")
    # json.loads made fresh lists: keep them as they are (a 50,000-entry list in ~20 ms).
    return {entry[0]: entry for entry in map(_entry, entries)}


class VirtualController:
    def __init__(
        self, controller_id: int, secret: str, data_dir: Path, tz: str, protocol: int = 2
    ) -> None:
        self.id = controller_id
        self.secret = secret
        self.protocol = protocol
        self.nonces: dict[str, float] = {}  # pushes' nonces -> forget after (§1)
        # Nonces live in memory: a message signed before this start may have been seen by
        # the process before it, so it is refused (§1, "A device that keeps nonces in memory").
        self.started_at = int(time.time())
        self.sequence = 0  # the last heartbeat's (§4)
        self.path = data_dir / f"{controller_id}.json"
        self.events_path = data_dir / f"{controller_id}.events.json"
        self.tz = ZoneInfo(tz)
        self.lock = threading.RLock()
        self.version = 0
        self.epoch = 0  # of the last snapshot (§3)
        self.community: int | None = None
        self.gate: int | None = None  # its gate, whose rules are in policy["gates"]
        self.policy: dict[str, Any] = {}
        self.keys: dict[str, Ed25519PublicKey] = {}
        self.raw_keys: list[dict[str, Any]] = []
        self.entries: dict[int, list[Any]] = {}
        self._digest: str | None = None
        self.seen: dict[tuple[str, str], float] = {}  # (nonce, direction) -> forget after
        self.pending: list[dict[str, Any]] = []  # events not yet accepted by the portal
        self.recent: deque[dict[str, Any]] = deque(maxlen=EVENTS_KEPT)
        self.last_push_at: float | None = None
        self._load()

    # --- persistence --------------------------------------------------------------

    def _load(self) -> None:
        if self.path.exists():
            data = json.loads(self.path.read_text())
            self._set_list(data)
            self.epoch = data.get("epoch") or 0
            self.gate = data.get("gate")
        if self.events_path.exists():
            self.pending = json.loads(self.events_path.read_text())
            self.recent.extend(reversed(self.pending[-EVENTS_KEPT:]))  # the page shows them

    def _save(self) -> None:
        data = {
            "version": self.version,
            "epoch": self.epoch,
            "gate": self.gate,
            "community": self.community,
            "policy": self.policy,
            "keys": self.raw_keys,
            "entries": list(self.entries.values()),
        }
        _atomic_write(self.path, json.dumps(data, separators=(",", ":")))

    def _save_events(self) -> None:
        _atomic_write(self.events_path, json.dumps(self.pending, separators=(",", ":")))

    def _set_list(self, data: dict[str, Any]) -> None:
        """Replace the whole list, all or nothing: everything is checked before any is kept."""
        version = data.get("version") or 0
        community = data.get("community")
        if type(version) is not int or not (community is None or type(community) is int):
            raise _bad("version and community must be integers")
        policy = _policy(data.get("policy"))
        raw_keys, keys = _keys(data.get("keys") or [])
        entries = _entries(data.get("entries") or [])
        self.version, self.community, self.policy = version, community, policy
        self.raw_keys, self.keys, self.entries = raw_keys, keys, entries
        self._digest = None

    # --- signing memory (§1) and heartbeat sequence (§4) -----------------------------

    def nonce_remember(self, nonce: str, until: float) -> bool:
        """True the first time `nonce` is seen; it is remembered until `until` (Unix s),
        after which its timestamp is outside the window anyway."""
        now = time.time()
        with self.lock:
            if len(self.nonces) > 10_000:
                self.nonces = {n: t for n, t in self.nonces.items() if t >= now}
            known = self.nonces.get(nonce)
            if known is not None and known >= now:
                return False
            self.nonces[nonce] = until
            return True

    def next_sequence(self) -> int:
        """Milliseconds since the epoch, or one more than the last if the clock stepped
        back: above every earlier heartbeat's, across restarts too."""
        with self.lock:
            self.sequence = max(self.sequence + 1, int(time.time() * 1000))
            return self.sequence

    # --- pushes (§3) ----------------------------------------------------------------

    def digest(self) -> str:
        if self._digest is None:
            self._digest = list_digest(self.entries, self.policy)
        return self._digest

    def answer(self) -> dict[str, Any]:
        return {"version": self.version, "size": len(self.entries), "digest": self.digest()}

    def state(self) -> dict[str, Any]:
        with self.lock:
            return {
                "protocol": self.protocol,
                **self.answer(),
                "epoch": self.epoch,
                "gate": self.gate,
                "community": self.community,
                "policy": self.policy,
                "firmware": FIRMWARE,
                "clock": int(time.time()),
                "pending_events": len(self.pending),
            }

    def apply_snapshot(self, doc: dict[str, Any]) -> dict[str, Any]:
        if type(doc.get("version")) is not int or not isinstance(doc.get("entries"), list):
            raise _bad("a snapshot needs version and entries")
        with self.lock:
            epoch = doc.get("epoch", 0)
            if type(epoch) is not int:
                raise _bad("epoch must be an integer")
            if (
                self.protocol >= 2
                and self.version
                and (epoch, doc["version"])
                < (
                    self.epoch,
                    self.version,
                )
            ):
                # v2: never back to an older list (a captured snapshot replayed); only a
                # signed reset (v1/reset) empties the list so that any version is taken.
                body = {"error": "rollback", "version": self.version, "epoch": self.epoch}
                raise PushRefused(409, body)
            self._set_list(doc)
            self.epoch = epoch
            self.gate = doc.get("gate") if type(doc.get("gate")) is int else None
            self._save()
            self.last_push_at = time.time()
            return self.answer()

    def apply_delta(self, doc: dict[str, Any]) -> dict[str, Any]:
        version, start = doc.get("version"), doc.get("from_version")
        changes = doc.get("changes")
        if (
            not isinstance(version, int)
            or not isinstance(start, int)
            or not isinstance(changes, list)
        ):
            raise _bad("a delta needs from_version, version and changes")
        with self.lock:
            if version == self.version:
                return self.answer()  # delivered twice: already applied
            if start != self.version or self.version == 0:
                raise PushRefused(409, {"error": "version_mismatch", "version": self.version})
            # All changes or none: they are applied to copies, kept only when all are valid.
            entries = dict(self.entries)
            policy, keys = self.policy, None
            for change in changes:
                op = change.get("op") if isinstance(change, dict) else None
                if op == "put":
                    entry = _entry(change.get("entry"))
                    entries[entry[0]] = entry
                elif op == "del":
                    if type(change.get("grant")) is not int:
                        raise _bad(f"bad change {change!r}")
                    entries.pop(change["grant"], None)
                elif op == "policy":
                    policy = _policy(change.get("policy"))
                elif op == "keys":
                    keys = _keys(change.get("keys"))
                else:
                    raise _bad(f"unknown change {change!r}")
            self.entries, self.policy, self.version = entries, policy, version
            if keys is not None:
                self.raw_keys, self.keys = keys
            self._digest = None
            self._save()
            self.last_push_at = time.time()
            return self.answer()

    def reset(self) -> dict[str, Any]:
        """A factory reset: the list is gone."""
        with self.lock:
            self._set_list({})
            self.epoch = 0
            self._save()
            return self.answer()

    # --- scans (§5) -------------------------------------------------------------------

    def decide(self, token: str, direction: str, now: float | None = None) -> dict[str, Any]:
        """Decide a scan offline and queue its event, with how long deciding took
        (`decision_ms`, optional in the protocol, §4)."""
        started = time.perf_counter()
        now = time.time() if now is None else now
        direction = "out" if direction == "out" else "in"
        with self.lock:
            reason, claims = self._reason(token.strip(), direction, now)
            decision = "open" if reason == "ok" else "deny"
            grant = claims.get("g") if claims else None
            entry = self.entries.get(grant) if isinstance(grant, int) else None
            event = {
                "event_id": str(uuid.uuid4()),
                "grant": grant if entry else None,
                "rider": claims.get("r") if entry else None,
                "direction": direction,
                "decision": decision,
                "reason": reason,
                "occurred_at": dt.datetime.fromtimestamp(now, self.tz).isoformat(),
                "decision_ms": min(round((time.perf_counter() - started) * 1000), 60_000),
            }
            self.pending.append(event)
            self.recent.appendleft(event)
            self._save_events()
            return event

    def _reason(self, token: str, direction: str, now: float) -> tuple[str, dict[str, Any]]:
        parts = token.split(".")
        if len(parts) != 3 or len(token) > 2048:
            return "malformed", {}
        try:
            header = json.loads(b64url_decode(parts[0]))
            claims = json.loads(b64url_decode(parts[1]))
            signature = b64url_decode(parts[2])
        except (ValueError, binascii.Error):
            return "malformed", {}
        if not isinstance(header, dict) or not isinstance(claims, dict):
            return "malformed", {}
        if header.get("alg") != "EdDSA":
            return "malformed", {}
        key = self.keys.get(str(header.get("kid")))
        if key is None:
            return "bad_signature", {}
        try:
            key.verify(signature, f"{parts[0]}.{parts[1]}".encode())
        except InvalidSignature:
            return "bad_signature", {}
        for name in ("g", "c", "r", "exp"):
            if not isinstance(claims.get(name), int) or isinstance(claims.get(name), bool):
                return "malformed", {}
        if claims["exp"] < now - LEEWAY:
            return "expired", claims
        if claims["c"] != self.community:
            return "other_community", claims
        entry = self.entries.get(claims["g"])
        if entry is None or entry[1] != claims["r"]:
            return "unknown_grant", claims
        if entry[2] > now or (entry[3] is not None and now >= entry[3]):
            return "expired", claims
        if direction == "in":
            tz = self._zone()
            gate = (self.policy.get("gates") or {}).get(str(self.gate))
            if isinstance(gate, dict):
                if gate.get("riders") is False:
                    return "gate_closed_to_riders", claims
                if gate.get("hours") and not _in_window(gate["hours"], now, tz):
                    return "outside_hours", claims
            if self.policy.get("entry") == "no_entry":
                return "no_entry", claims
            hours = self.policy.get("rider_hours")
            if hours and not _in_window(hours, now, tz):
                return "outside_hours", claims
        nonce = str(claims.get("n", ""))
        self._forget_old(now)
        if (nonce, direction) in self.seen:
            return "replayed", claims
        self.seen[(nonce, direction)] = claims["exp"] + LEEWAY
        return "ok", claims

    def _zone(self) -> ZoneInfo:
        """The community's time zone from the list (§2), else the one it was started with."""
        name = self.policy.get("tz")
        if isinstance(name, str) and name:
            try:
                return ZoneInfo(name)
            except (KeyError, ValueError, OSError):  # ZoneInfoNotFoundError is a KeyError
                pass
        return self.tz

    def _forget_old(self, now: float) -> None:
        if len(self.seen) > 1000:
            self.seen = {k: v for k, v in self.seen.items() if v >= now}

    # --- events owed to the portal -----------------------------------------------------

    def take_events(self, limit: int = 500) -> list[dict[str, Any]]:
        with self.lock:
            return list(self.pending[:limit])

    def events_accepted(self, sent: list[dict[str, Any]]) -> None:
        ids = {e["event_id"] for e in sent}
        with self.lock:
            self.pending = [e for e in self.pending if e["event_id"] not in ids]
            self._save_events()


def _keys(keys: Any) -> tuple[list[dict[str, Any]], dict[str, Ed25519PublicKey]]:
    """The pushed JWKS keys and the Ed25519 ones among them by kid (others are ignored)."""
    if not isinstance(keys, list):
        raise _bad("keys must be a list")
    parsed = {}
    for jwk in keys:
        try:
            if jwk.get("kty") == "OKP" and jwk.get("crv") == "Ed25519":
                parsed[str(jwk["kid"])] = Ed25519PublicKey.from_public_bytes(
                    b64url_decode(jwk["x"])
                )
        except (AttributeError, KeyError, TypeError, ValueError, binascii.Error):
            continue
    return keys, parsed


def _in_window(hours: list[str], now: float, tz: ZoneInfo) -> bool:
    local = dt.datetime.fromtimestamp(now, tz).strftime("%H:%M")
    start, end = hours
    if start <= end:
        return start <= local < end
    return local >= start or local < end  # the window passes midnight


def _atomic_write(path: Path, text: str) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    with open(tmp, "w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)
    # The rename itself is durable only once the directory is on disk too.
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)
