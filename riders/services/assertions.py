"""Platform-signed assertions: checking a compact JWS against the platform's registered key,
the claims' text, and using a jti once.

An assertion is a compact JWS signed by the platform's registered key (EdDSA or ES256;
the algorithm is pinned to the key, so `alg: none` and HS256-with-a-public-key are refused
before any verification). Claims: iss (platform code), aud (PORTAL_BASE_URL), sub
(platform rider id), name, iat, exp (at most 10 minutes after iat), jti (used once);
optional phone, station, plate. Verified locally: no call to the platform.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import unicodedata
from dataclasses import dataclass
from typing import Any

import jwt
from django.conf import settings
from django.db import connection
from django.utils import timezone

from ..models import Platform, PlatformKey, UsedAssertion
from .jwk import public_key_from_jwk
from .rows import instance_from_row

ASSERTION_MAX_BYTES = 4096
ALLOWED_ALGS = ("EdDSA", "ES256")
REQUIRED_CLAIMS = ("iss", "aud", "sub", "name", "iat", "exp", "jti")


class AssertionRefused(Exception):
    """An assertion that cannot be used. `code`: malformed, unknown_platform,
    platform_inactive, unknown_key, bad_algorithm, bad_signature, expired, not_yet_valid,
    too_long_lived, wrong_audience, missing_claims, bad_claims, replayed."""

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code = code
        self.detail = detail


@dataclass(frozen=True)
class VerifiedAssertion:
    platform: Platform
    claims: dict[str, Any]
    expires_at: dt.datetime


def clean_claim_text(value: Any, *, max_length: int, required: bool = False) -> str:
    """Normalise a claim's text: NFKC, no control or format characters (bidi overrides,
    zero-width joiners), whitespace collapsed; refused when empty but required or too long."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise AssertionRefused("bad_claims", "text expected")
    text = unicodedata.normalize("NFKC", value)
    text = "".join(ch for ch in text if unicodedata.category(ch)[0] != "C")
    text = " ".join(text.split())
    if required and not text:
        raise AssertionRefused("bad_claims", "empty")
    if len(text) > max_length:
        raise AssertionRefused("bad_claims", "too long")
    return text


def platform_jws_verify(
    token: Any, *, audience: str, now: dt.datetime | None = None
) -> VerifiedAssertion:
    """Verify a platform-signed JWS for `audience`. Never raises anything but
    AssertionRefused, whatever `token` is. Does not consume the jti."""
    if isinstance(token, bytes):
        try:
            token = token.decode("ascii")
        except UnicodeDecodeError:
            raise AssertionRefused("malformed") from None
    if not isinstance(token, str) or not token or len(token) > ASSERTION_MAX_BYTES:
        raise AssertionRefused("malformed", "size")
    token = token.strip()
    try:
        # Header and claims in one parse, only to pick the key; verified below.
        parsed = jwt.decode_complete(token, options={"verify_signature": False})
        header, unverified = parsed["header"], parsed["payload"]
    except Exception:  # noqa: BLE001 - hostile input must only give a typed refusal
        raise AssertionRefused("malformed") from None
    if not isinstance(unverified, dict) or not isinstance(header, dict):
        raise AssertionRefused("malformed")
    alg = header.get("alg")
    if alg not in ALLOWED_ALGS:
        raise AssertionRefused("bad_algorithm", str(alg)[:20])
    iss = unverified.get("iss")
    if not isinstance(iss, str) or not iss:
        raise AssertionRefused("missing_claims", "iss")
    kid = header.get("kid")
    key = None
    if isinstance(kid, str) and kid:
        # The key with its platform in one query; the platform alone only to explain a
        # refusal.
        key = _active_key(iss[:40], kid[:100])
    platform = key.platform if key is not None else Platform.objects.filter(code=iss[:40]).first()
    if platform is None:
        raise AssertionRefused("unknown_platform")
    if not platform.active:
        raise AssertionRefused("platform_inactive")
    if key is None:
        raise AssertionRefused("unknown_key")
    if key.alg != alg:  # the key decides the algorithm, never the token
        raise AssertionRefused("bad_algorithm", "does not match the key")
    try:
        public = _public_key(json.dumps(key.public_jwk, sort_keys=True))
        claims = jwt.decode(
            token,
            public,
            algorithms=[key.alg],
            audience=audience,
            options={"require": list(REQUIRED_CLAIMS), "verify_exp": False, "verify_iat": False},
        )
    except jwt.InvalidSignatureError:
        raise AssertionRefused("bad_signature") from None
    except jwt.InvalidAudienceError:
        raise AssertionRefused("wrong_audience") from None
    except jwt.MissingRequiredClaimError as exc:
        raise AssertionRefused("missing_claims", exc.claim) from None
    except Exception:  # noqa: BLE001
        raise AssertionRefused("malformed", "payload") from None
    iat, exp = claims.get("iat"), claims.get("exp")
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in (iat, exp)):
        raise AssertionRefused("bad_claims", "iat/exp")
    at = (now or timezone.now()).timestamp()
    leeway = 30
    if exp - iat > settings.RIDERS_ASSERTION_MAX_LIFETIME_SECONDS:
        raise AssertionRefused("too_long_lived")
    if at >= exp:
        raise AssertionRefused("expired")
    if iat > at + leeway:
        raise AssertionRefused("not_yet_valid")
    jti = claims.get("jti")
    if not isinstance(jti, str) or not (1 <= len(jti) <= 200):
        raise AssertionRefused("bad_claims", "jti")
    if not isinstance(claims.get("sub"), str) or not claims["sub"].strip():
        raise AssertionRefused("bad_claims", "sub")
    expires_at = dt.datetime.fromtimestamp(exp, tz=dt.UTC)
    return VerifiedAssertion(platform=platform, claims=claims, expires_at=expires_at)


@functools.cache
def _key_sql() -> str:
    """The active key of a platform code and kid, with its platform: composed once per
    process ((platform, kid) is unique, so no ordering)."""
    quote = connection.ops.quote_name
    selected = [f"k.{quote(f.column)}" for f in PlatformKey._meta.concrete_fields]
    selected += [f"p.{quote(f.column)}" for f in Platform._meta.concrete_fields]
    return (
        f"SELECT {', '.join(selected)} FROM {quote(PlatformKey._meta.db_table)} k "  # noqa: S608
        f"JOIN {quote(Platform._meta.db_table)} p ON p.id = k.platform_id "
        "WHERE p.code = %s AND k.kid = %s AND k.active"
    )


def _active_key(code: str, kid: str) -> PlatformKey | None:
    with connection.cursor() as cursor:
        cursor.execute(_key_sql(), [code, kid])
        row = cursor.fetchone()
    if row is None:
        return None
    key_fields = PlatformKey._meta.concrete_fields
    key = instance_from_row(PlatformKey, key_fields, row[: len(key_fields)])
    key.platform = instance_from_row(
        Platform, Platform._meta.concrete_fields, row[len(key_fields) :]
    )
    return key


@functools.lru_cache(maxsize=256)
def _public_key(jwk_json: str) -> Any:
    """A platform's public key object, parsed once per process per JWK (keyed by the JWK's
    text, so an edited key is parsed afresh; a deactivated one is never looked up)."""
    return public_key_from_jwk(json.loads(jwk_json))


def assertion_verify(token: Any, *, now: dt.datetime | None = None) -> VerifiedAssertion:
    """Verify a one-click registration assertion (audience: this portal)."""
    verified = platform_jws_verify(token, audience=settings.PORTAL_BASE_URL, now=now)
    claims = verified.claims
    # Checked here so a bad name is refused before anything is stored.
    clean_claim_text(claims.get("name"), max_length=100, required=True)
    clean_claim_text(claims.get("sub"), max_length=100, required=True)
    for optional, size in (("phone", 40), ("station", 100), ("plate", 40)):
        clean_claim_text(claims.get(optional), max_length=size)
    return verified


def assertion_rider_id(verified: VerifiedAssertion) -> str:
    """The platform rider id the assertion vouches for, as the rider row stores it."""
    return clean_claim_text(verified.claims["sub"], max_length=100, required=True)


def assertion_consume(verified: VerifiedAssertion) -> None:
    """Use the assertion's jti once; AssertionRefused('replayed') on the second use.
    Must run inside the registration's transaction."""
    # INSERT ... ON CONFLICT DO NOTHING: one statement, no savepoint; 0 rows = used before.
    table = connection.ops.quote_name(UsedAssertion._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (platform_id, jti, expires_at) VALUES (%s, %s, %s) "  # noqa: S608 - names from the models, values bound
            "ON CONFLICT DO NOTHING",
            [verified.platform.pk, verified.claims["jti"], verified.expires_at],
        )
        claimed = cursor.rowcount
    if claimed != 1:
        raise AssertionRefused("replayed")
