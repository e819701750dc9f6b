"""The work floor's one view, `POST /api/v1/gates/verify`: per request, and nothing else,

1. the controller's HMAC-SHA256 over "<timestamp>\\n" + body (403 when it does not check out),
2. one Ed25519 signature: the pass's, over its ~200-byte signing input (header.claims),
3. one row read by primary key from `bench_work_floor_grant` (the grants table's shape),
4. one row inserted into `bench_work_floor_event` (the events table's columns and indexes),
   committed (autocommit) before the answer: as durable as the portal's events,
5. one Redis `SET NX EX` of the pass's nonce (a replay is denied and recorded),

then a small JSON answer. Its settings (controller, secret, public keys, tables) come from
the JSON file named by BENCH_WORK_FLOOR_CONFIG, written by `bench.work_floor.setup`."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import hmac
import json
import os
import threading
import time
import uuid
from pathlib import Path

import psycopg
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.urls import path
from django.utils import timezone

CONFIG = json.loads(Path(os.environ["BENCH_WORK_FLOOR_CONFIG"]).read_text())
SECRET = CONFIG["secret"].encode()
CONTROLLER = str(CONFIG["controller"])
GATE, COMMUNITY = CONFIG["gate"], CONFIG["community"]
HMAC_WINDOW_SECONDS = 300
NONCE_TTL_SECONDS = 40  # the pass's 30-s life and its leeway, as the portal keeps it
GRANT_SQL = (
    f"SELECT rider_id, community_id, status, valid_from, valid_until "
    f"FROM {CONFIG['grant_table']} WHERE id = %s"
)
EVENT_SQL = (
    f"INSERT INTO {CONFIG['event_table']} (event_id, direction, decision, reason, source, "
    "occurred_at, recorded_at, gate_id, grant_id, rider_id) "
    "VALUES (%s, %s, %s, %s, 'online', %s, %s, %s, %s, %s)"
)


# BENCH_WORK_FLOOR_PREPARE=1: the two statements prepared on the server, as the portal's
# scan prepares its own (riders/services/verification.py) — not the work floor the bar is
# judged against (a plain Django view), but what the floor would be with that one step
# too; docs/benchmarks.md reports both.
PREPARE = os.environ.get("BENCH_WORK_FLOOR_PREPARE") == "1"


def _cursor():
    if not PREPARE:
        return connection.cursor()
    connection.ensure_connection()
    connection.connection.prepare_threshold = 2**31 - 1  # prepare when asked, only
    return psycopg.Cursor(connection.connection)


def _execute(cursor, sql: str, params: list) -> None:
    if PREPARE:
        cursor.execute(sql, params, prepare=True)
    else:
        cursor.execute(sql, params)


def _b64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


KEYS = {kid: Ed25519PublicKey.from_public_bytes(_b64(x)) for kid, x in CONFIG["keys"].items()}


class _Nonces:
    """SET NX EX in Redis (one round trip; a pooled client made once per process), or a
    dictionary when the bench runs without Redis."""

    def __init__(self, url: str, prefix: str) -> None:
        self.prefix = prefix
        self.lock = threading.Lock()
        self.local: dict[str, float] = {}
        self.client = None
        if url:
            import redis

            self.client = redis.Redis.from_url(url)

    def add(self, nonce: str) -> bool:
        key = f"{self.prefix}:{nonce}"
        if self.client is not None:
            return bool(self.client.set(key, 1, nx=True, ex=NONCE_TTL_SECONDS))
        with self.lock:
            now = time.monotonic()
            if self.local.get(key, 0.0) > now:
                return False
            self.local[key] = now + NONCE_TTL_SECONDS
            return True


NONCES = _Nonces(os.environ.get("REDIS_URL", ""), CONFIG["nonce_prefix"])


def _uuid7() -> uuid.UUID:
    """Time-ordered, as the portal's event ids (core/ids.py), so the insert touches the
    right edge of the event-id index as the portal's does."""
    value = (time.time_ns() // 1_000_000 & (1 << 48) - 1) << 80
    value |= int.from_bytes(os.urandom(10), "big")
    value = value & ~(0xF << 76) | 0x7 << 76
    return uuid.UUID(int=value & ~(0x3 << 62) | 0x2 << 62)


def _refuse(detail: str, status: int) -> JsonResponse:
    return JsonResponse({"detail": detail}, status=status)


def verify(request: HttpRequest) -> JsonResponse:
    if request.method != "POST":
        return _refuse("method", 405)
    body = request.body
    stamp = request.headers.get("X-L100-Timestamp", "")
    if (
        request.headers.get("X-L100-Controller") != CONTROLLER
        or not stamp.isdigit()
        or abs(time.time() - int(stamp)) > HMAC_WINDOW_SECONDS
    ):
        return _refuse("signature", 403)
    expected = hmac.new(SECRET, stamp.encode() + b"\n" + body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, request.headers.get("X-L100-Signature", "")):
        return _refuse("signature", 403)
    try:
        data = json.loads(body)
        head, claims_part, signature = data["token"].split(".")
        header, claims = json.loads(_b64(head)), json.loads(_b64(claims_part))
        direction = "out" if data.get("direction") == "out" else "in"
        key = KEYS[header["kid"]]
        grant_id, rider_id, nonce = int(claims["g"]), int(claims["r"]), str(claims["n"])
        expires = int(claims["exp"])
    except (ValueError, KeyError, TypeError, AttributeError, binascii.Error):
        return _refuse("malformed", 400)
    now = timezone.now()
    grant = None
    try:
        key.verify(_b64(signature), f"{head}.{claims_part}".encode())
    except (InvalidSignature, binascii.Error):
        reason = "bad_signature"
    else:
        with _cursor() as cursor:
            _execute(cursor, GRANT_SQL, [grant_id])
            grant = cursor.fetchone()
        reason = _reason(grant, rider_id, expires, now)
        if reason == "ok" and not NONCES.add(f"{GATE}:{direction}:{nonce}"):
            reason = "replayed"
    event_id = _uuid7()
    decision = "open" if reason == "ok" else "deny"
    with _cursor() as cursor:
        _execute(
            cursor,
            EVENT_SQL,
            [
                event_id,
                direction,
                decision,
                reason,
                now,
                now,
                GATE,
                grant_id if grant else None,
                rider_id if grant else None,
            ],
        )
    return JsonResponse({"decision": decision, "reason": reason, "event_id": str(event_id)})


def _reason(grant: tuple | None, rider_id: int, expires: int, now) -> str:
    if grant is None or grant[0] != rider_id:
        return "unknown_grant"
    if expires < now.timestamp() - 5:
        return "expired"
    if grant[1] != COMMUNITY:
        return "other_community"
    if grant[2] != "active":
        return grant[2] if grant[2] in ("revoked", "suspended", "pending") else "revoked"
    valid_from, valid_until = _aware(grant[3]), _aware(grant[4])
    if now < valid_from or (valid_until is not None and now >= valid_until):
        return "expired"
    return "ok"


def _aware(value: dt.datetime | str | None) -> dt.datetime | None:
    """A raw cursor's timestamp as an aware datetime (psycopg gives them aware already)."""
    if value is not None and value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value


def ready(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"ok": True})


urlpatterns = [path("", ready), path("api/v1/gates/verify", verify)]
