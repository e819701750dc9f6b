"""Talking to a gate controller (the simulator or a device) the way the portal does:
signed pushes (docs/gate-protocol.md §1, §3), its state, and the list digest (§2).
Signing is protocol v2 unless `protocol=1` is asked for.

Standard library only, for tests and benchmarks:

    from tools.gatesim.client import push, state, list_digest
    status, answer = push("http://127.0.0.1:9100/c/7", 7, "SECRET", snapshot_document)
    assert state("http://127.0.0.1:9100/c/7")["digest"] == list_digest(entries, policy)
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
import urllib.error
import urllib.request
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import parse_qsl, quote, urlsplit

TIMEOUT = 10
TO_PORTAL = "controller->portal"
TO_CONTROLLER = "portal->controller"


def direction_key(secret: str, direction: str) -> bytes:
    """HMAC-SHA256(secret, "last100-v2 <direction>") — §1, the key of one direction."""
    return hmac.new(secret.encode(), f"last100-v2 {direction}".encode(), hashlib.sha256).digest()


def canonical_query(query: str) -> str:
    """§1: the query's pairs decoded, sorted, re-encoded (RFC 3986), joined by "&"."""
    pairs = sorted(parse_qsl(query, keep_blank_values=True))
    return "&".join(f"{quote(k, safe='-_.~')}={quote(v, safe='-_.~')}" for k, v in pairs)


def string_to_sign(
    direction: str,
    controller_id: int | str,
    method: str,
    path: str,
    query: str,
    timestamp: int | str,
    nonce: str,
    body: bytes,
) -> bytes:
    """§1: the nine lines a v2 signature covers."""
    lines = [
        "L100-HMAC-V2",
        direction,
        str(controller_id),
        method.upper(),
        path,
        canonical_query(query),
        str(timestamp),
        nonce,
        hashlib.sha256(body).hexdigest(),
    ]
    return "\n".join(lines).encode()


def signature_v2(secret: str, direction: str, *message: Any) -> str:
    """hex(HMAC-SHA256(direction_key(secret, direction), string_to_sign(direction, ...)))."""
    text = string_to_sign(direction, *message)
    return hmac.new(direction_key(secret, direction), text, hashlib.sha256).hexdigest()


def sign_v2(
    secret: str,
    controller_id: int,
    method: str,
    url: str,
    body: bytes = b"",
    *,
    direction: str = TO_CONTROLLER,
    timestamp: int | None = None,
    nonce: str | None = None,
) -> dict[str, str]:
    """The headers of a v2 request to `url` (its path and query are signed)."""
    stamp = int(time.time()) if timestamp is None else timestamp
    nonce = nonce or secrets.token_urlsafe(18)
    parts = urlsplit(url)
    given = signature_v2(
        secret,
        direction,
        controller_id,
        method,
        parts.path or "/",
        parts.query,
        stamp,
        nonce,
        body,
    )
    return {
        "Content-Type": "application/json",
        "X-L100-Controller": str(controller_id),
        "X-L100-Timestamp": str(stamp),
        "X-L100-Nonce": nonce,
        "X-L100-Signature": given,
    }


def signature(secret: str, timestamp: int | str, body: bytes) -> str:
    """Protocol v1 (deprecated): hex(HMAC-SHA256(secret, "<timestamp>\\n" + body))."""
    message = f"{timestamp}\n".encode() + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def sign(
    secret: str,
    body: bytes,
    controller_id: int | None = None,
    *,
    timestamp: int | None = None,
) -> dict[str, str]:
    """The headers of a v1 request (deprecated); `controller_id` fills X-L100-Controller."""
    stamp = int(time.time()) if timestamp is None else timestamp
    headers = {
        "Content-Type": "application/json",
        "X-L100-Timestamp": str(stamp),
        "X-L100-Signature": signature(secret, stamp, body),
    }
    if controller_id is not None:
        headers["X-L100-Controller"] = str(controller_id)
    return headers


def list_digest(
    entries: Mapping[int, Any] | Iterable[Iterable[Any]], policy: Mapping[str, Any] | None
) -> str:
    """§2, byte for byte: SHA-256 (hex) of the entries sorted by grant id, one line each
    `"<grant>,<rider>,<valid_from>,<valid_until or empty>\\n"`, then
    `"policy:<entry>,<hours start or empty>,<hours end or empty>\\n"`.

    `entries` is a dict keyed by grant id (values are entries) or any iterable of entries
    `[grant, rider, valid_from, valid_until]`."""
    if isinstance(entries, Mapping):
        rows = [entries[grant] for grant in sorted(entries)]
    else:
        rows = sorted(entries, key=_grant)
    lines = []
    for grant, rider, valid_from, valid_until in rows:
        lines.append(f"{grant},{rider},{valid_from},{'' if valid_until is None else valid_until}\n")
    policy = policy or {}
    hours = policy.get("rider_hours") or ["", ""]
    lines.append(f"policy:{policy.get('entry', '')},{hours[0]},{hours[1]}\n")
    return hashlib.sha256("".join(lines).encode()).hexdigest()


def _grant(entry: Any) -> Any:
    return entry[0]


def request(
    url: str,
    *,
    body: bytes | None = None,
    headers: Mapping[str, str] | None = None,
    timeout: float = TIMEOUT,
) -> tuple[int, Any]:
    """(status, parsed JSON answer or None) of a GET (`body` None) or POST; an HTTP error
    status is returned, not raised."""
    req = urllib.request.Request(url, data=body, headers=dict(headers or {}))
    try:
        with urllib.request.urlopen(req, timeout=timeout) as response:
            return response.status, _json(response.read())
    except urllib.error.HTTPError as error:
        return error.code, _json(error.read())


def _headers(
    secret: str, controller_id: int, method: str, url: str, body: bytes, protocol: int
) -> dict[str, str]:
    if protocol < 2:
        return sign(secret, body, controller_id)
    return sign_v2(secret, controller_id, method, url, body)


def push(
    endpoint: str,
    controller_id: int,
    secret: str,
    doc: Mapping[str, Any],
    *,
    timeout: float = TIMEOUT,
    protocol: int = 2,
) -> tuple[int, Any]:
    """Push a snapshot or a delta (by `doc["type"]`, else by `from_version`) to the
    controller at `endpoint` (e.g. http://127.0.0.1:9100/c/7) → (status, answer)."""
    kind = doc.get("type") or ("delta" if "from_version" in doc else "snapshot")
    body = json.dumps(doc, separators=(",", ":")).encode()
    url = f"{endpoint.rstrip('/')}/v1/{kind}"
    return request(
        url,
        body=body,
        headers=_headers(secret, controller_id, "POST", url, body, protocol),
        timeout=timeout,
    )


def reset(endpoint: str, controller_id: int, secret: str, *, protocol: int = 2) -> tuple[int, Any]:
    """A factory reset (`POST <endpoint>/v1/reset`, signed): the list goes back to version 0."""
    body = b"{}"
    url = f"{endpoint.rstrip('/')}/v1/reset"
    return request(
        url, body=body, headers=_headers(secret, controller_id, "POST", url, body, protocol)
    )


def state(
    endpoint: str,
    controller_id: int | None = None,
    secret: str | None = None,
    *,
    protocol: int = 2,
) -> dict[str, Any]:
    """`GET <endpoint>/v1/state`, signed when a secret is given; raises on a non-200."""
    url = f"{endpoint.rstrip('/')}/v1/state"
    headers = {}
    if secret is not None and controller_id is not None:
        headers = _headers(secret, controller_id, "GET", url, b"", protocol)
    status, answer = request(url, headers=headers)
    if status != 200 or not isinstance(answer, dict):
        raise RuntimeError(f"{endpoint}/v1/state answered {status}: {answer!r}")
    return answer


def scan(endpoint: str, token: str, direction: str = "in") -> dict[str, Any]:
    """Present a pass at the controller's scanner (`POST <endpoint>/scan`) → the event."""
    body = json.dumps({"token": token, "direction": direction}).encode()
    status, answer = request(
        f"{endpoint.rstrip('/')}/scan",
        body=body,
        headers={"Content-Type": "application/json", "Accept": "application/json"},
    )
    if status != 200 or not isinstance(answer, dict):
        raise RuntimeError(f"{endpoint}/scan answered {status}: {answer!r}")
    return answer


def _json(raw: bytes) -> Any:
    try:
        return json.loads(raw) if raw else None
    except ValueError:
        return None
