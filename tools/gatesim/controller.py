"""One virtual gate controller: its access list (kept in a file), pushes applied per
docs/gate-protocol.md §3, scans decided offline per §5, and the events it owes the portal.

Standard library and `cryptography` only: nothing of the portal is imported.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
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

FIRMWARE = "gatesim 1.0"
LEEWAY = 5
EVENTS_KEPT = 20


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def list_digest(entries: dict[int, list[Any]], policy: dict[str, Any] | None) -> str:
    """docs/gate-protocol.md §2, byte for byte."""
    digest = hashlib.sha256()
    for grant in sorted(entries):
        _g, rider, valid_from, valid_until = entries[grant]
        until = "" if valid_until is None else valid_until
        digest.update(f"{grant},{rider},{valid_from},{until}\n".encode())
    policy = policy or {}
    hours = policy.get("rider_hours") or ["", ""]
    digest.update(f"policy:{policy.get('entry', '')},{hours[0]},{hours[1]}\n".encode())
    return digest.hexdigest()


class PushRefused(Exception):
    def __init__(self, status: int, body: dict[str, Any]) -> None:
        super().__init__(body)
        self.status = status
        self.body = body


class VirtualController:
    def __init__(self, controller_id: int, secret: str, data_dir: Path, tz: str) -> None:
        self.id = controller_id
        self.secret = secret
        self.path = data_dir / f"{controller_id}.json"
        self.events_path = data_dir / f"{controller_id}.events.json"
        self.tz = ZoneInfo(tz)
        self.lock = threading.RLock()
        self.version = 0
        self.community: int | None = None
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
        if self.events_path.exists():
            self.pending = json.loads(self.events_path.read_text())

    def _save(self) -> None:
        data = {
            "version": self.version,
            "community": self.community,
            "policy": self.policy,
            "keys": self.raw_keys,
            "entries": list(self.entries.values()),
        }
        _atomic_write(self.path, json.dumps(data, separators=(",", ":")))

    def _save_events(self) -> None:
        _atomic_write(self.events_path, json.dumps(self.pending, separators=(",", ":")))

    def _set_list(self, data: dict[str, Any]) -> None:
        self.version = int(data.get("version") or 0)
        self.community = data.get("community")
        self.policy = data.get("policy") or {}
        self._set_keys(data.get("keys") or [])
        self.entries = {int(e[0]): list(e) for e in data.get("entries") or []}
        self._digest = None

    def _set_keys(self, keys: list[dict[str, Any]]) -> None:
        parsed = {}
        for jwk in keys:
            try:
                if jwk.get("kty") == "OKP" and jwk.get("crv") == "Ed25519":
                    parsed[str(jwk["kid"])] = Ed25519PublicKey.from_public_bytes(
                        b64url_decode(jwk["x"])
                    )
            except (KeyError, ValueError, binascii.Error):
                continue
        self.raw_keys, self.keys = keys, parsed

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
                "protocol": 1,
                **self.answer(),
                "community": self.community,
                "policy": self.policy,
                "firmware": FIRMWARE,
                "clock": int(time.time()),
                "pending_events": len(self.pending),
            }

    def apply_snapshot(self, doc: dict[str, Any]) -> dict[str, Any]:
        if not isinstance(doc.get("version"), int) or not isinstance(doc.get("entries"), list):
            raise PushRefused(400, {"error": "bad_document"})
        with self.lock:
            self._set_list(doc)
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
            raise PushRefused(400, {"error": "bad_document"})
        with self.lock:
            if version == self.version:
                return self.answer()  # delivered twice: already applied
            if start != self.version or self.version == 0:
                raise PushRefused(409, {"error": "version_mismatch", "version": self.version})
            entries = dict(self.entries)
            policy, keys = self.policy, None
            for change in changes:
                op = change.get("op")
                if op == "put":
                    entry = list(change["entry"])
                    entries[int(entry[0])] = entry
                elif op == "del":
                    entries.pop(int(change["grant"]), None)
                elif op == "policy":
                    policy = change["policy"]
                elif op == "keys":
                    keys = change["keys"]
                else:
                    raise PushRefused(400, {"error": f"unknown op {op!r}"})
            self.entries, self.policy, self.version = entries, policy, version
            if keys is not None:
                self._set_keys(keys)
            self._digest = None
            self._save()
            self.last_push_at = time.time()
            return self.answer()

    def reset(self) -> dict[str, Any]:
        """A factory reset: the list is gone."""
        with self.lock:
            self._set_list({})
            self._save()
            return self.answer()

    # --- scans (§5) -------------------------------------------------------------------

    def decide(self, token: str, direction: str, now: float | None = None) -> dict[str, Any]:
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
            if self.policy.get("entry") == "no_entry":
                return "no_entry", claims
            hours = self.policy.get("rider_hours")
            if hours and not _in_window(hours, now, self.tz):
                return "outside_hours", claims
        nonce = str(claims.get("n", ""))
        self._forget_old(now)
        if (nonce, direction) in self.seen:
            return "replayed", claims
        self.seen[(nonce, direction)] = claims["exp"] + LEEWAY
        return "ok", claims

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
