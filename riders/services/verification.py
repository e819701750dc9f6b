"""Deciding a scan at a gate: is this pass good here, now? Records an AccessEvent.

Used by online verification (controllers and guard phones that cannot verify offline).
The happy path costs two queries: the grant with its rider, platform and the community's
current rules (one SELECT, the rules as subqueries); the event insert. Replays are caught
per gate with an atomic `cache.add` of the pass's nonce (Redis in production).
"""

from __future__ import annotations

import datetime as dt
import functools
import time
import uuid
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import psycopg
from django.conf import settings
from django.core.cache import cache
from django.db import connection, models
from django.utils import timezone

from communities.models import DeliveryRules, EntryPolicy, Gate, current_rules_sql, time_in_window
from core.ids import uuid7

from ..models import (
    AccessEvent,
    AccessGrant,
    Decision,
    Direction,
    EventSource,
    GrantStatus,
    Platform,
    Reason,
    Rider,
)
from .keys import PASS_LEEWAY_SECONDS, PASS_LIFETIME_SECONDS, PassRefused, pass_token_decode
from .rows import instance_from_row, value_from_db

_STATUS_REASON = {
    GrantStatus.REVOKED: Reason.REVOKED,
    GrantStatus.SUSPENDED: Reason.SUSPENDED,
    GrantStatus.PENDING: Reason.PENDING,
}


@dataclass
class ScanDecision:
    decision: str
    reason: str
    grant: AccessGrant | None
    rider: Rider | None
    event: AccessEvent

    @property
    def event_id(self) -> uuid.UUID:
        return self.event.event_id


def pass_verify(
    *,
    token: str,
    gate: Gate,
    direction: str,
    source: str = EventSource.ONLINE,
    now: dt.datetime | None = None,
) -> ScanDecision:
    """Decide a scan of `token` at `gate` and record the event (entry and exit alike),
    with the milliseconds this server spent deciding (`decision_ms`)."""
    started = time.perf_counter()
    now = now or timezone.now()
    if direction not in Direction.values:
        direction = Direction.IN
    grant: AccessGrant | None = None
    rider: Rider | None = None
    reason = Reason.OK
    try:
        claims = pass_token_decode(token, now=now)
    except PassRefused as refused:
        reason = {
            "expired": Reason.EXPIRED,
            "bad_signature": Reason.BAD_SIGNATURE,
            "unknown_key": Reason.BAD_SIGNATURE,
        }.get(refused.code, Reason.MALFORMED)
        claims = None
    if claims is not None:
        grant = _grant_with_rules(claims.grant_id)
        if grant is None or grant.rider_id != claims.rider_id:
            reason, grant = Reason.UNKNOWN_GRANT, None
        else:
            rider = grant.rider
            reason = _decide(
                grant=grant,
                claims_community=claims.community_id,
                gate=gate,
                direction=direction,
                now=now,
            )
            if reason == Reason.OTHER_COMMUNITY:
                # A pass of another community, perhaps another company's: its rider is
                # none of this gate's business. The answer and the event (in this
                # community's dashboard) carry no rider and no grant.
                grant = rider = None
            if reason == Reason.OK:
                # One use per pass per gate and direction: a screenshot shown twice fails.
                key = f"pass-nonce:{gate.pk}:{direction}:{claims.nonce}"
                ttl = PASS_LIFETIME_SECONDS + 2 * PASS_LEEWAY_SECONDS
                if not cache.add(key, 1, ttl):
                    reason = Reason.REPLAYED
    decision = Decision.OPEN if reason == Reason.OK else Decision.DENY
    event = AccessEvent(
        event_id=uuid7(),  # time-ordered: appended to the event-id index, not scattered
        gate=gate,
        grant=grant,
        rider=rider,
        direction=direction,
        decision=decision,
        reason=reason,
        source=source,
        occurred_at=now,
        decision_ms=round((time.perf_counter() - started) * 1000),
    )
    _event_insert(event)
    return ScanDecision(decision=decision, reason=reason, grant=grant, rider=rider, event=event)


# The hot path skips the ORM's query building: the statements are composed once per
# process from the models' metadata and run on a cursor.
_GRANT_FIELDS = ("id", "rider_id", "community_id", "status", "valid_from", "valid_until")
# vehicle_plate: the guard compares it when the rider has no photo (issue 20).
_RIDER_FIELDS = (
    "id",
    "platform_id",
    "name",
    "phone",
    "photo",
    "station",
    "platform_active",
    "vehicle_plate",
)


@functools.cache
def _columns(model: type[models.Model], attnames: tuple[str, ...]) -> list[models.Field]:
    by_attname = {f.attname: f for f in model._meta.concrete_fields}
    return [by_attname[name] for name in attnames]


@functools.cache
def _grant_sql() -> str:
    q = connection.ops.quote_name

    def current(field: str) -> str:
        return current_rules_sql(field, f"g.{q('community_id')}")

    selected = [f"g.{q(f.column)}" for f in _columns(AccessGrant, _GRANT_FIELDS)]
    selected += [f"r.{q(f.column)}" for f in _columns(Rider, _RIDER_FIELDS)]
    selected += [f"p.{q('name')}", f"p.{q('active')}"]
    selected += [current(f) for f in ("entry_policy", "rider_hours_start", "rider_hours_end")]
    return (
        f"SELECT {', '.join(selected)} FROM {q(AccessGrant._meta.db_table)} g "  # noqa: S608 - names from the models, values bound
        f"JOIN {q(Rider._meta.db_table)} r ON r.{q('id')} = g.{q('rider_id')} "
        f"JOIN {q(Platform._meta.db_table)} p ON p.{q('id')} = r.{q('platform_id')} "
        f"WHERE g.{q('id')} = %s"
    )


def _hot_cursor() -> Any:
    """A cursor for the two statements of a scan that binds parameters on the server
    (psycopg 3), which spares composing the statement's text in Python per scan (Django's
    own cursors bind on the client); it is wrapped as Django wraps its cursors, so query
    logging and counting see it."""

    connection.ensure_connection()
    return connection._prepare_cursor(psycopg.Cursor(connection.connection))


def _grant_with_rules(grant_id: int) -> AccessGrant | None:
    """The grant (id, rider, community, status, validity) with its rider and the
    platform's name and flag, annotated with the community's current rules (rules_policy is None
    when it has published none): one SELECT. Other fields are deferred."""
    with _hot_cursor() as cursor:
        cursor.execute(_grant_sql(), [grant_id])
        row = cursor.fetchone()
    if row is None:
        return None
    grant_fields = _columns(AccessGrant, _GRANT_FIELDS)
    rider_fields = _columns(Rider, _RIDER_FIELDS)
    grant = instance_from_row(AccessGrant, grant_fields, row[: len(grant_fields)])
    row = row[len(grant_fields) :]
    rider = instance_from_row(Rider, rider_fields, row[: len(rider_fields)])
    platform_name, platform_active, *values = row[len(rider_fields) :]
    rider.platform = instance_from_row(
        Platform,
        _columns(Platform, ("id", "name", "active")),
        [rider.platform_id, platform_name, platform_active],
    )
    grant.rider = rider
    rules = DeliveryRules._meta
    grant.rules_policy = values[0]
    grant.rules_start = value_from_db(values[1], rules.get_field("rider_hours_start"))
    grant.rules_end = value_from_db(values[2], rules.get_field("rider_hours_end"))
    return grant


@functools.cache
def _event_sql() -> tuple[str, tuple[models.Field, ...]]:
    q = connection.ops.quote_name
    fields = tuple(f for f in AccessEvent._meta.concrete_fields if not f.primary_key)
    sql = (
        f"INSERT INTO {q(AccessEvent._meta.db_table)} ({', '.join(q(f.column) for f in fields)}) "  # noqa: S608 - names from the models, values bound
        f"VALUES ({', '.join(['%s'] * len(fields))}) RETURNING {q('id')}"
    )
    return sql, fields


def _event_insert(event: AccessEvent) -> None:
    """What AccessEvent.save() inserts, in one prepared statement (no ORM compilation)."""
    sql, fields = _event_sql()
    params = [f.get_db_prep_save(f.pre_save(event, add=True), connection) for f in fields]
    with _hot_cursor() as cursor:
        cursor.execute(sql, params)
        event.pk = cursor.fetchone()[0]
    event._state.adding = False
    event._state.db = connection.alias


def _decide(
    *, grant: AccessGrant, claims_community: int, gate: Gate, direction: str, now: dt.datetime
) -> str:
    if grant.community_id != gate.community_id or claims_community != gate.community_id:
        return Reason.OTHER_COMMUNITY
    if grant.status != GrantStatus.ACTIVE:
        return _STATUS_REASON.get(grant.status, Reason.REVOKED)
    if not grant.is_valid_at(now):
        return Reason.EXPIRED
    if not grant.rider.platform_active or not grant.rider.platform.active:
        # The platform deactivated the rider, or the portal stopped accepting the platform.
        return Reason.SUSPENDED
    if direction == Direction.OUT:
        return Reason.OK  # leaving is always allowed and recorded
    if not gate.open_to_riders:
        return Reason.GATE_CLOSED_TO_RIDERS
    local = now.astimezone(ZoneInfo(settings.TIME_ZONE)).time()
    if not gate.is_open_at(local):
        return Reason.OUTSIDE_HOURS
    policy = getattr(grant, "rules_policy", None)
    if policy is not None:
        if policy == EntryPolicy.NO_ENTRY:
            return Reason.NO_ENTRY
        if not time_in_window(grant.rules_start, grant.rules_end, local):
            return Reason.OUTSIDE_HOURS
    return Reason.OK
