"""The portal's pass-signing keys, the public JWKS, and pass tokens.

A pass token is a compact JWS (EdDSA, Ed25519) naming a grant, valid 30 seconds:

    header  {"alg": "EdDSA", "kid": "<8 chars>", "typ": "l100pass"}
    claims  {"g": grant id, "c": community id, "r": rider id, "iat": s, "exp": iat + 30,
             "n": 8 random bytes, base64url}

Short claim names keep the QR code small (≈ 290 characters). Controllers verify passes
offline with the JWKS at /api/v1/keys; the nonce `n` lets each gate catch a replay.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import secrets
import threading
import time
from dataclasses import dataclass
from typing import Any

import jwt
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from core.audit import audit_record
from gatesync.interface import keys_changed

from ..models import ALG_EDDSA, AccessGrant, PassSigningKey
from .jwk import jwk_from_public_key, public_key_from_jwk

PASS_TYP = "l100pass"  # noqa: S105 - a label, not a secret
PASS_LIFETIME_SECONDS = 30
PASS_LEEWAY_SECONDS = 5
PASS_TOKEN_MAX_BYTES = 1024
# Parsed keys are kept in each process this long; a rotation reaches all processes within it.
_KEY_CACHE_SECONDS = 60


class PassRefused(Exception):
    """A pass token that cannot be used. `code`: malformed, bad_signature, expired,
    unknown_key."""

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code = code
        self.detail = detail


@dataclass(frozen=True)
class PassClaims:
    grant_id: int
    community_id: int
    rider_id: int
    issued_at: int
    expires_at: int
    nonce: str
    kid: str


def pass_key_grace() -> dt.timedelta:
    return dt.timedelta(seconds=settings.RIDERS_PASS_KEY_GRACE_SECONDS)


def _new_key() -> PassSigningKey:
    private = ed25519.Ed25519PrivateKey.generate()
    pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    kid = secrets.token_urlsafe(6)  # 8 characters
    return PassSigningKey(
        kid=kid,
        private_pem=pem,
        public_jwk=jwk_from_public_key(private.public_key(), kid=kid, alg=ALG_EDDSA),
        active=True,
    )


def pass_key_current() -> PassSigningKey:
    """The key that signs passes now; created on first use."""
    key = PassSigningKey.objects.filter(active=True).first()
    if key is not None:
        return key
    try:
        with transaction.atomic():
            key = _new_key()
            key.save(force_insert=True)
            audit_record(
                action="pass_key_create", obj=key, acting_user=None, after={"kid": key.kid}
            )
            return key
    except IntegrityError:
        # Another process created the first key at the same moment (one active key only).
        return PassSigningKey.objects.get(active=True)


def pass_key_rotate(*, acting_user: AbstractBaseUser | AnonymousUser | None) -> PassSigningKey:
    """Sign with the next key from now on; the old one stays published for the grace period
    (settings.RIDERS_PASS_KEY_GRACE_SECONDS) so passes and controllers in flight still
    verify. The next key was published at the previous rotation (gate protocol v2: an
    offline controller already holds it when it starts signing); a new next key is made and
    published now. The first rotation, with no next key yet, signs with a new key at once."""
    with transaction.atomic():
        old = list(PassSigningKey.objects.select_for_update().filter(active=True))
        PassSigningKey.objects.filter(pk__in=[k.pk for k in old]).update(
            active=False, retired_at=timezone.now()
        )
        key = _next_key()
        if key is not None:
            PassSigningKey.objects.filter(pk=key.pk).update(active=True)
            key.active = True
        else:
            key = _new_key()
            key.save(force_insert=True)
        upcoming = _new_key()
        upcoming.active = False  # published, never signing until the next rotation
        upcoming.save(force_insert=True)
        audit_record(
            action="pass_key_rotate",
            obj=key,
            acting_user=acting_user,
            before={"kids": [k.kid for k in old]},
            after={"kid": key.kid},
        )
        # Controllers verify passes offline: they get the new key with their next push.
        keys_changed(keys=[dict(k.public_jwk) for k in _published_keys()])
    _cache_clear()
    return key


def _next_key() -> PassSigningKey | None:
    """The key published ahead, to sign from the next rotation (never active, not retired)."""
    return (
        PassSigningKey.objects.select_for_update()
        .filter(active=False, retired_at__isnull=True)
        .order_by("created_at")
        .first()
    )


def _published_keys() -> list[PassSigningKey]:
    """The signing key, the next one, and those retired within the grace period."""
    since = timezone.now() - pass_key_grace()
    upcoming = Q(active=False, retired_at__isnull=True)
    return list(
        PassSigningKey.objects.filter(
            Q(active=True) | upcoming | Q(retired_at__gte=since)
        ).order_by("-active", "-created_at")
    )


def jwks() -> dict[str, list[dict[str, Any]]]:
    """The public keys that verify passes: the signing key and those retired within the
    grace period. Creates the first key if there is none."""
    keys = _published_keys()
    if not any(k.active for k in keys):
        keys.insert(0, pass_key_current())
    return {"keys": [dict(k.public_jwk) for k in keys]}


# --- in-process key cache ------------------------------------------------------------

_lock = threading.Lock()
_signing: tuple[float, str, ed25519.Ed25519PrivateKey] | None = None
_verifying: dict[str, tuple[float, Any]] = {}


def _cache_clear() -> None:
    global _signing
    with _lock:
        _signing = None
        _verifying.clear()


def _signing_key() -> tuple[str, ed25519.Ed25519PrivateKey]:
    global _signing
    cached = _signing
    if cached and time.monotonic() - cached[0] < _KEY_CACHE_SECONDS:
        return cached[1], cached[2]
    key = pass_key_current()
    private = serialization.load_pem_private_key(key.private_pem.encode(), password=None)
    if not isinstance(private, ed25519.Ed25519PrivateKey):
        raise TypeError(f"pass-signing key {key.kid} is not an Ed25519 key")
    with _lock:
        _signing = (time.monotonic(), key.kid, private)
    return key.kid, private


def _verifying_key(kid: str) -> Any:
    cached = _verifying.get(kid)
    if cached and time.monotonic() - cached[0] < _KEY_CACHE_SECONDS:
        if cached[1] is None:
            raise PassRefused("unknown_key")
        return cached[1]
    since = timezone.now() - pass_key_grace()
    row = (
        PassSigningKey.objects.filter(kid=kid)
        .filter(Q(active=True) | Q(retired_at__gte=since))
        .only("public_jwk")
        .first()
    )
    public = public_key_from_jwk(dict(row.public_jwk)) if row else None
    with _lock:
        if len(_verifying) > 100:  # bound memory against tokens with random kids
            _verifying.clear()
        _verifying[kid] = (time.monotonic(), public)
    if public is None:
        raise PassRefused("unknown_key")
    return public


# --- pass tokens ----------------------------------------------------------------------


def pass_token_issue(*, grant: AccessGrant, now: dt.datetime | None = None) -> str:
    """A fresh pass for `grant` (the caller checks that the grant deserves one)."""
    kid, private = _signing_key()
    return _pass_encode(kid, private, grant, now)


def pass_token_signer() -> Any:
    """A function grant → pass, bound to the current signing key: no database access
    after this call (for load generators running inside an event loop)."""
    kid, private = _signing_key()
    return lambda grant: _pass_encode(kid, private, grant, None)


def _pass_encode(kid: str, private: Any, grant: AccessGrant, now: dt.datetime | None) -> str:
    iat = int((now or timezone.now()).timestamp())
    claims = {
        "g": grant.pk,
        "c": grant.community_id,
        "r": grant.rider_id,
        "iat": iat,
        "exp": iat + PASS_LIFETIME_SECONDS,
        "n": base64.urlsafe_b64encode(secrets.token_bytes(8)).rstrip(b"=").decode(),
    }
    return jwt.encode(claims, private, algorithm=ALG_EDDSA, headers={"kid": kid, "typ": PASS_TYP})


def _int_claim(claims: dict[str, Any], name: str) -> int:
    value = claims.get(name)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise PassRefused("malformed", f"claim {name}")
    return value


def _b64url_decode(segment: str) -> bytes:
    """base64url without padding, as a JWS segment carries it (and as PyJWT decodes it)."""
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


def pass_token_decode(token: Any, *, now: dt.datetime | None = None) -> PassClaims:
    """Verify a pass token; PassRefused (malformed, bad_signature, expired, unknown_key)
    for anything else. Never raises another exception, whatever `token` is."""
    if isinstance(token, bytes):
        try:
            token = token.decode("ascii")
        except UnicodeDecodeError:
            raise PassRefused("malformed", "not ASCII") from None
    if not isinstance(token, str) or not token or len(token) > PASS_TOKEN_MAX_BYTES:
        raise PassRefused("malformed", "not a token")
    token = token.strip()
    # The compact JWS is taken apart here rather than by PyJWT (which parsed the header
    # twice and checked options a pass never uses: a quarter of a scan's token cost, and
    # 4 % of an online scan): the same checks in PyJWT's order — every segment decoded
    # (else malformed), the Ed25519 signature over "header.claims" (else bad_signature),
    # then the claims' JSON — and stricter on shape (exactly three segments, no
    # unencoded-payload "b64" or "crit" headers).
    parts = token.split(".")
    try:
        if len(parts) != 3:
            raise ValueError("not three segments")
        header = json.loads(_b64url_decode(parts[0]))
    except Exception:  # noqa: BLE001 — hostile input must only ever give a typed refusal
        raise PassRefused("malformed", "header") from None
    if not isinstance(header, dict) or "b64" in header or "crit" in header:
        raise PassRefused("malformed", "header")
    if header.get("alg") != ALG_EDDSA or header.get("typ") != PASS_TYP:
        raise PassRefused("malformed", "not a pass")
    kid = header.get("kid")
    if not isinstance(kid, str) or not kid or len(kid) > 40:
        raise PassRefused("unknown_key")
    public = _verifying_key(kid)
    try:
        payload = _b64url_decode(parts[1])
        signature = _b64url_decode(parts[2])
    except Exception:  # noqa: BLE001
        raise PassRefused("malformed", "payload") from None
    try:
        public.verify(signature, f"{parts[0]}.{parts[1]}".encode("ascii"))
    except InvalidSignature:
        raise PassRefused("bad_signature") from None
    except Exception:  # noqa: BLE001
        raise PassRefused("malformed", "payload") from None
    try:
        claims = json.loads(payload)
    except Exception:  # noqa: BLE001
        raise PassRefused("malformed", "payload") from None
    if not isinstance(claims, dict):
        raise PassRefused("malformed", "payload")
    grant_id = _int_claim(claims, "g")
    community_id = _int_claim(claims, "c")
    rider_id = _int_claim(claims, "r")
    iat = _int_claim(claims, "iat")
    exp = _int_claim(claims, "exp")
    nonce = claims.get("n")
    if not isinstance(nonce, str) or not (8 <= len(nonce) <= 32):
        raise PassRefused("malformed", "nonce")
    at = (now or timezone.now()).timestamp()
    if exp - iat > PASS_LIFETIME_SECONDS + PASS_LEEWAY_SECONDS:
        raise PassRefused("malformed", "lifetime")
    if at >= exp + PASS_LEEWAY_SECONDS or at < iat - PASS_LEEWAY_SECONDS:
        raise PassRefused("expired")
    return PassClaims(
        grant_id=grant_id,
        community_id=community_id,
        rider_id=rider_id,
        issued_at=iat,
        expires_at=exp,
        nonce=nonce,
        kid=kid,
    )


def jwks_json() -> str:
    return json.dumps(jwks(), separators=(",", ":"))
