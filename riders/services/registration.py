"""One-click registration with a platform's signed assertion, registration by hand, and
the rider's device cookie.

An assertion is a compact JWS signed by the platform's registered key (EdDSA or ES256;
the algorithm is pinned to the key, so `alg: none` and HS256-with-a-public-key are refused
before any verification). Claims: iss (platform code), aud (PORTAL_BASE_URL), sub
(platform rider id), name, iat, exp (at most 10 minutes after iat), jti (used once);
optional phone, station, plate. Verified locally: no call to the platform.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
import secrets
import unicodedata
from dataclasses import dataclass
from typing import Any

import jwt
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from communities.models import EntryPolicy, Gate, current_rules_sql
from communities.services import rules_current
from core.audit import audit_record

from ..models import (
    AccessGrant,
    GrantSource,
    Platform,
    PlatformKey,
    Rider,
    RiderDeactivation,
    RiderDevice,
    UsedAssertion,
)
from .grants import grant_request
from .jwk import public_key_from_jwk
from .rows import instance_from_row

ASSERTION_MAX_BYTES = 4096
ALLOWED_ALGS = ("EdDSA", "ES256")
REQUIRED_CLAIMS = ("iss", "aud", "sub", "name", "iat", "exp", "jti")
UNIQUE_RIDER = ("platform", "platform_rider_id")  # Rider's rider_unique_per_platform


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


def _clean_text(value: Any, *, max_length: int, required: bool = False) -> str:
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
    _clean_text(claims.get("name"), max_length=100, required=True)
    _clean_text(claims.get("sub"), max_length=100, required=True)
    for optional, size in (("phone", 40), ("station", 100), ("plate", 40)):
        _clean_text(claims.get(optional), max_length=size)
    return verified


def assertion_rider_id(verified: VerifiedAssertion) -> str:
    """The platform rider id the assertion vouches for, as the rider row stores it."""
    return _clean_text(verified.claims["sub"], max_length=100, required=True)


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


@functools.cache
def _upsert_sql(updated_names: tuple[str, ...], *, claim: bool, device: bool, policy: bool) -> str:
    """`_rider_upsert`'s statement, composed once per process and shape. Parameters, in
    order: with a claim the rider's (platform, rider id) for `prior`, the claim's
    (platform, jti, expiry), every non-key Rider column, the device's (token hash,
    created, last seen, the rider the cookie names), the community.

    When the platform vouches (`verified_by_platform` among the updated columns), a photo
    the rider's record got before any vouching came from the hand-made form: it is blanked
    in the same UPDATE (a guard must never see the rider's name beside an impostor's
    face). With a claim, the same statement also deletes the rider's devices
    not bound by the platform and returns the blanked photo's name (`prior`, read in the
    statement's snapshot, i.e. before the update) and how many devices went."""
    quote = connection.ops.quote_name
    table = quote(Rider._meta.db_table)
    columns = [quote(f.column) for f in Rider._meta.concrete_fields if not f.primary_key]
    updated = [Rider._meta.get_field(name) for name in (*updated_names, "updated_at")]
    assignment_list = [f"{quote(f.column)} = EXCLUDED.{quote(f.column)}" for f in updated]
    vouching = "verified_by_platform" in updated_names
    if vouching:
        photo = quote(Rider._meta.get_field("photo").column)
        verified = quote(Rider._meta.get_field("verified_by_platform").column)
        assignment_list.append(
            f"{photo} = CASE WHEN {table}.{verified} THEN {table}.{photo} ELSE '' END"
        )
    assignments = ", ".join(assignment_list)
    returned = ", ".join(quote(f.column) for f in Rider._meta.concrete_fields)
    unique = ", ".join(quote(Rider._meta.get_field(n).column) for n in UNIQUE_RIDER)
    # A new rider is inactive at the platform if the platform deactivated this id before
    # (a tombstone that outlives erasure); an existing rider keeps its flag.
    tombstone = (
        f"NOT EXISTS (SELECT 1 FROM {quote(RiderDeactivation._meta.db_table)} "  # noqa: S608
        "WHERE platform_id = %s AND platform_rider_id = %s)"
    )
    placeholders = ", ".join(
        tombstone if f.name == "platform_active" else "%s"
        for f in Rider._meta.concrete_fields
        if not f.primary_key
    )
    upsert = (
        f"INSERT INTO {quote(Rider._meta.db_table)} ({', '.join(columns)}) "  # noqa: S608 - names from the models, values bound
        + (
            f"SELECT {placeholders} WHERE EXISTS (SELECT FROM claim) "  # noqa: S608 - names from the models, values bound
            if claim
            else f"VALUES ({placeholders}) "
        )
        + f"ON CONFLICT ({unique}) DO UPDATE SET {assignments} RETURNING {returned}"
        + ", (xmax = 0) AS created_"
    )
    if not (claim or device or policy):
        return upsert
    # Data-modifying CTEs: the claim, the rider (only if claimed), the device row (for the
    # rider, unless this browser's cookie already names them), then the policy.
    ctes = []
    if claim:
        devices = quote(RiderDevice._meta.db_table)
        unique_where = " AND ".join(
            f"{quote(Rider._meta.get_field(n).column)} = %s" for n in UNIQUE_RIDER
        )
        ctes.append(
            f"prior AS (SELECT {quote('id')}, {quote('photo')} FROM {table} "  # noqa: S608
            f"WHERE {unique_where} AND NOT {quote('verified_by_platform')})"
        )
        ctes.append(
            f"claim AS (INSERT INTO {quote(UsedAssertion._meta.db_table)} "  # noqa: S608
            "(platform_id, jti, expires_at) VALUES (%s, %s, %s) "
            "ON CONFLICT DO NOTHING RETURNING 1)"
        )
    ctes.append(f"rider AS ({upsert})")
    if claim:
        # Not bound by the platform: whoever typed the rider's number into the form.
        ctes.append(
            f"dropped AS (DELETE FROM {devices} WHERE rider_id IN (SELECT id FROM rider) "  # noqa: S608
            "AND NOT verified RETURNING 1)"
        )
    if device:
        ctes.append(
            f"device AS (INSERT INTO {quote(RiderDevice._meta.db_table)} "  # noqa: S608
            "(rider_id, token_hash, created_at, last_seen_at, verified) "
            "SELECT id, %s, %s, %s, TRUE FROM rider WHERE id IS DISTINCT FROM %s)"
        )
    current = current_rules_sql("entry_policy", "%s") if policy else "NULL"
    vouched = ", (SELECT photo FROM prior), (SELECT count(*) FROM dropped)" if claim else ""
    return f"WITH {', '.join(ctes)} SELECT rider.*, {current}{vouched} FROM rider"  # noqa: S608 - names from the models, values bound


def _rider_upsert(
    *,
    platform: Platform,
    platform_rider_id: str,
    values: dict[str, Any],
    claim: VerifiedAssertion | None = None,
    policy_of: int | None = None,
    device: tuple[str, int | None] | None = None,
) -> tuple[Rider, bool, str | None, tuple[str, int]]:
    """Create the rider or update `values` on the existing one, in one statement
    (INSERT ... ON CONFLICT DO UPDATE ... RETURNING every column). Other fields of an
    existing rider (photo, platform_active, ...) are left alone and come back as stored.
    Concurrent registrations of one rider wait on its row.

    The same statement can also claim `claim`'s jti (as
    `assertion_consume` does; the rider is written only if the claim succeeds, else
    AssertionRefused('replayed')), write a device row (`device`: the token's hash, and
    the rider the browser's cookie names already, who gets none) and read community
    `policy_of`'s current entry policy: one round trip instead of four.

    Returns (rider, created, entry policy, vouched): `created` is whether this statement
    inserted the row (it has no xmax); the entry policy is None unless `policy_of` was given
    ("registered" when the community has published no rules); `vouched`, with a claim
    (else ("", 0)), is (the hand-made photo the update blanked, or "", and the number of devices
    not bound by the platform it deleted)."""
    rider = Rider(platform=platform, platform_rider_id=platform_rider_id, **values)
    params: list[Any] = []
    for field in Rider._meta.concrete_fields:
        if field.primary_key:
            continue
        if field.name == "platform_active":  # the tombstone's look-up (see _upsert_sql)
            params += [platform.pk, platform_rider_id]
        else:
            params.append(field.get_db_prep_save(field.pre_save(rider, add=True), connection))
    extras = claim is not None or policy_of is not None or device is not None
    sql = _upsert_sql(
        tuple(values),
        claim=claim is not None,
        device=device is not None,
        policy=policy_of is not None,
    )
    all_params: list[Any] = []
    if claim is not None:
        all_params += [platform.pk, platform_rider_id]
        all_params += [claim.platform.pk, claim.claims["jti"], claim.expires_at]
    all_params += params
    if device is not None:
        token_hash, device_rider_id = device
        now = timezone.now()
        all_params += [token_hash, now, now, device_rider_id]
    if policy_of is not None:
        all_params.append(policy_of)
    with connection.cursor() as cursor:
        cursor.execute(sql, all_params)
        row = cursor.fetchone()
    if row is None:  # only with a claim: the jti was used before, nothing was written
        raise AssertionRefused("replayed")
    entry_policy = None
    vouched = ("", 0)
    if claim is not None:
        vouched = (row[-2] or "", int(row[-1] or 0))
        row = row[:-2]
    if extras:
        if policy_of is not None:
            entry_policy = row[-1] or EntryPolicy.REGISTERED
        row = row[:-1]
    created = bool(row[-1])
    row = row[:-1]
    stored = instance_from_row(Rider, Rider._meta.concrete_fields, row)
    stored.platform = platform  # the caller's instance: no query for rider.platform
    return stored, created, entry_policy, vouched


@dataclass
class Registration:
    rider: Rider
    grant: AccessGrant | None
    outcome: str  # active, pending, no_entry, suspended, revoked, platform_inactive
    device_token: str | None = None  # a new device cookie's token, when one was issued


def _outcome(grant: AccessGrant | None) -> str:
    if grant is None:
        return "no_entry"
    return str(grant.status)


@transaction.atomic
def rider_register_from_assertion(
    *,
    verified: VerifiedAssertion,
    gate: Gate,
    remember_device: bool = False,
    device_rider: Rider | None = None,
) -> Registration:
    """Consume the assertion, create or update the rider, and ask for access to the gate's
    community unless its rules forbid riders to enter.

    `remember_device`: the platform vouched for this rider, so the browser becomes theirs:
    unless its cookie already names them (`device_rider`), a device token is issued in
    this transaction (`Registration.device_token`), before gate sync takes the
    community's lock, rather than in a transaction of its own afterwards."""
    # The jti, the rider, its device and the community's entry policy in one statement.
    claims = verified.claims
    values = {
        "name": _clean_text(claims.get("name"), max_length=100, required=True),
        "verified_by_platform": True,
    }
    for claim, field, size in (
        ("phone", "phone", 40),
        ("station", "station", 100),
        ("plate", "vehicle_plate", 40),
    ):
        text = _clean_text(claims.get(claim), max_length=size)
        if text:
            values[field] = text
    platform_rider_id = _clean_text(claims["sub"], max_length=100, required=True)
    # A browser whose cookie was bound by the hand-made form proves nothing: its device is
    # dropped below like any other unverified one, and it gets a verified one instead.
    bound_rider = device_rider if device_rider_verified(device_rider) else None
    token = secrets.token_urlsafe(32) if remember_device else None
    device_row = (_hash(token), bound_rider.pk if bound_rider else None) if token else None
    rider, created, policy, vouched = _rider_upsert(
        platform=verified.platform,
        platform_rider_id=platform_rider_id,
        values=values,
        claim=verified,
        policy_of=gate.community_id,
        device=device_row,
    )
    _unverified_dropped(rider, photo_name=vouched[0], devices=vouched[1])
    if bound_rider is not None and bound_rider.pk == rider.pk:
        token = None  # this browser is theirs already: no device row was written
    if not rider.platform_active:
        return Registration(
            rider=rider, grant=None, outcome="platform_inactive", device_token=token
        )
    if policy == EntryPolicy.NO_ENTRY:
        existing = (
            None
            if created
            else AccessGrant.objects.filter(rider=rider, community=gate.community).first()
        )
        return Registration(rider=rider, grant=existing, outcome="no_entry", device_token=token)
    grant = grant_request(
        rider=rider,
        community=gate.community,
        source=GrantSource.PLATFORM,
        acting_user=None,
        entry_policy=policy,
        rider_is_new=created,
    )
    return Registration(rider=rider, grant=grant, outcome=_outcome(grant), device_token=token)


def _unverified_dropped(rider: Rider, *, photo_name: str, devices: int) -> None:
    """The platform has just vouched for a record made by hand: its photo and devices were
    dropped by the upsert; audit that, and delete the photo's file after commit. Nothing
    (no query) in the usual case where there was nothing to drop."""
    if not photo_name and not devices:
        return
    audit_record(
        action="rider_unverified_dropped",
        obj=rider,
        acting_user=None,
        after={"devices_deleted": devices, "photo_deleted": bool(photo_name)},
    )
    if photo_name:
        storage = Rider._meta.get_field("photo").storage
        transaction.on_commit(lambda: storage.delete(photo_name))


def device_rider_verified(rider: Rider | None) -> bool:
    """Whether `rider` came from a device cookie bound by the platform's link
    (`rider_for_device` notes which device it came from)."""
    device = getattr(rider, "current_device", None)
    return bool(device is not None and device.verified)


@transaction.atomic
def rider_register_manual(
    *,
    gate: Gate,
    name: str,
    phone: str,
    platform: Platform,
    platform_rider_id: str,
    vehicle_plate: str = "",
    photo: Any = None,
    device_rider: Rider | None = None,
) -> Registration:
    """A rider without a platform link fills in the form: a pending grant that staff
    approve at the property office (active at once only if the platform had already
    vouched for this rider and the community approves verified riders automatically)."""

    def clean(value: str, size: int, required: bool = False) -> str:
        try:
            return _clean_text(value, max_length=size, required=required)
        except AssertionRefused as exc:
            raise ValidationError(
                _("Check this field: %(detail)s.") % {"detail": exc.detail}
            ) from exc

    rider = Rider.objects.filter(
        platform=platform, platform_rider_id=clean(platform_rider_id, 100, True)
    ).first()
    if rider is not None and (device_rider is None or device_rider.pk != rider.pk):
        # The form proves nobody's identity: typing someone's rider number must neither
        # hand their pass to this phone nor change their details.
        raise ValidationError(_("A rider with this number is registered already."), code="taken")
    if rider is not None and rider.verified_by_platform and not device_rider_verified(device_rider):
        # A cookie the form bound before the platform vouched: it proves nobody.
        raise ValidationError(_("A rider with this number is registered already."), code="taken")
    if rider is None:
        rider = Rider(platform=platform, platform_rider_id=clean(platform_rider_id, 100, True))
        # Erasing one's data does not shed the platform's deactivation.
        rider.platform_active = not RiderDeactivation.objects.filter(
            platform=platform, platform_rider_id=rider.platform_rider_id
        ).exists()
    if not rider.verified_by_platform:
        # Never overwrite what a platform vouched for with what a form says.
        rider.name = clean(name, 100, True)
        rider.phone = clean(phone, 40)
        rider.vehicle_plate = clean(vehicle_plate, 40)
    if photo is not None:
        rider.photo = photo
    rider.full_clean(exclude=["photo"] if photo is None else None)
    rider.save()
    if not rider.platform_active:
        return Registration(rider=rider, grant=None, outcome="platform_inactive")
    rules = rules_current(gate.community)
    if rules is not None and rules.entry_policy == EntryPolicy.NO_ENTRY:
        return Registration(rider=rider, grant=None, outcome="no_entry")
    grant = AccessGrant.objects.filter(rider=rider, community=gate.community).first()
    if grant is None:
        grant = grant_request(
            rider=rider, community=gate.community, source=GrantSource.MANUAL, acting_user=None
        )
    return Registration(rider=rider, grant=grant, outcome=_outcome(grant))


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def device_issue(*, rider: Rider, verified: bool = False) -> str:
    """A new device token for the rider's cookie; only its hash is stored. `verified`:
    the platform's assertion bound it (see RiderDevice)."""
    token = secrets.token_urlsafe(32)
    RiderDevice.objects.create(
        rider=rider, token_hash=_hash(token), last_seen_at=timezone.now(), verified=verified
    )
    return token


def rider_for_device(token: str | None) -> Rider | None:
    """The rider whose device cookie holds `token`, or None. The rider carries the device
    it was found by as `current_device` (no extra query)."""
    if not token or len(token) > 100:
        return None
    device = (
        RiderDevice.objects.select_related("rider__platform")
        .filter(token_hash=_hash(token))
        .first()
    )
    if device is None:
        return None
    rider = device.rider
    rider.current_device = device  # type: ignore[attr-defined]
    return rider


@transaction.atomic
def device_remove(*, rider: Rider, device_id: int, acting_user: Any = None) -> RiderDevice:
    """The rider takes their pass off one of their devices (RiderDevice.DoesNotExist for a
    device that is not theirs: the view answers 404 for both)."""
    device = RiderDevice.objects.select_for_update().get(pk=device_id, rider=rider)
    audit_record(
        action="rider_device_remove",
        obj=rider,
        acting_user=acting_user,
        after={"device_id": device.pk, "verified": device.verified},
    )
    device.delete()
    return device
