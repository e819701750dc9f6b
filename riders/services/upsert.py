"""The rider's upsert: one statement that creates or updates a rider and, for a one-click
registration, claims the assertion's jti, drops what a hand-made record held, writes the
browser's device row and reads the community's entry policy."""

from __future__ import annotations

import functools
from typing import Any

from django.db import connection
from django.utils import timezone

from communities.models import EntryPolicy, current_rules_sql

from ..models import Platform, Rider, RiderDeactivation, RiderDevice, UsedAssertion
from .assertions import AssertionRefused, VerifiedAssertion
from .rows import instance_from_row

UNIQUE_RIDER = ("platform", "platform_rider_id")  # Rider's rider_unique_per_platform


@functools.cache
def _upsert_sql(updated_names: tuple[str, ...], *, claim: bool, device: bool, policy: bool) -> str:
    """`rider_upsert`'s statement, composed once per process and shape. Parameters, in
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


def rider_upsert(
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
