"""Deciding a scan at a gate: is this pass good here, now? Records an AccessEvent.

Used by online verification (controllers and guard phones that cannot verify offline).
The happy path costs two queries: the grant with its rider, platform and the community's
current rules (one SELECT, the rules as subqueries); the event insert. Replays are caught
per gate with an atomic `cache.add` of the pass's nonce (Redis in production); a request's
rate limit, when given, is counted in the same round trip.
"""

from __future__ import annotations

import datetime as dt
import functools
import time
import uuid
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.cache import cache
from django.db import connection, models
from django.utils import timezone

from communities.models import DeliveryRules, EntryPolicy, Gate, current_rules_sql, time_in_window
from core.db import prepared_cursor
from core.ids import uuid7
from core.masking import mask_phone
from core.security.ratelimit import Admission

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

_DIRECTIONS = tuple(Direction.values)  # Direction.values builds a list per call
_STATUS_REASON = {
    GrantStatus.REVOKED: Reason.REVOKED,
    GrantStatus.SUSPENDED: Reason.SUSPENDED,
    GrantStatus.PENDING: Reason.PENDING,
}


@dataclass(frozen=True, slots=True)
class RiderCard:
    """What the gate's answer shows of the rider (docs/api.md): read from the scan's row,
    no model instance built. `photo` is the stored file's name ("" for none)."""

    name: str
    phone_masked: str
    photo: str
    platform: str
    station: str
    vehicle_plate: str


class ScanDecision:
    """What a scan decided. The grant and rider (None for an unknown grant or another
    community's pass) are model instances built from the scan's row when first asked for,
    and the event is read back by its event_id when asked for: the answer needs neither
    the grant nor the event object, only the event's UUID."""

    def __init__(self, *, decision: str, reason: str, row: tuple | None, event_id: uuid.UUID):
        self.decision = decision
        self.reason = reason
        self._row = row
        self.event_id = event_id

    @functools.cached_property
    def rider(self) -> Rider | None:
        return None if self._row is None else _rider_from_row(self._row)

    @property
    def rider_card(self) -> RiderCard | None:
        """The rider as the answer shows them (None with no rider), from the row."""
        row = self._row
        if row is None:
            return None
        return RiderCard(
            name=row[_R_NAME],
            phone_masked=mask_phone(row[_R_PHONE]),
            photo=row[_R_PHOTO] or "",
            platform=row[_P_NAME],
            station=row[_R_STATION],
            vehicle_plate=row[_R_PLATE],
        )

    @functools.cached_property
    def grant(self) -> AccessGrant | None:
        if self._row is None:
            return None
        grant = _grant_from_row(self._row)
        grant.rider = self.rider
        return grant

    @functools.cached_property
    def event(self) -> AccessEvent:
        return AccessEvent.objects.get(event_id=self.event_id)


def pass_verify(
    *,
    token: str,
    gate: Gate,
    direction: str,
    source: str = EventSource.ONLINE,
    now: dt.datetime | None = None,
    admission: Admission | None = None,
) -> ScanDecision:
    """Decide a scan of `token` at `gate` and record the event (entry and exit alike),
    with the milliseconds this server spent deciding (`decision_ms`).

    `admission`, when given, is the request's rate limit, counted here once the pass is
    decided: with the nonce's claim in one Redis round trip for a good pass. Over the
    limit it raises RateLimited before anything is claimed or recorded."""
    started = time.perf_counter()
    now = now or timezone.now()
    if direction not in _DIRECTIONS:
        direction = Direction.IN
    row: tuple | None = None
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
        row = _grant_with_rules(claims.grant_id)
        if row is None or row[_G_RIDER] != claims.rider_id:
            reason, row = Reason.UNKNOWN_GRANT, None
        else:
            reason = _decide(
                row=row,
                claims_community=claims.community_id,
                gate=gate,
                direction=direction,
                now=now,
            )
            if reason == Reason.OTHER_COMMUNITY:
                # A pass of another community, perhaps another company's: its rider is
                # none of this gate's business. The answer and the event (in this
                # community's dashboard) carry no rider and no grant.
                row = None
            if reason == Reason.OK:
                # One use per pass per gate and direction: a screenshot shown twice fails.
                key = f"pass-nonce:{gate.pk}:{direction}:{claims.nonce}"
                ttl = PASS_LIFETIME_SECONDS + 2 * PASS_LEEWAY_SECONDS
                if admission is not None:
                    claimed = admission.claim(key, ttl)
                else:
                    claimed = cache.add(key, 1, ttl)
                if not claimed:
                    reason = Reason.REPLAYED
    if admission is not None:
        admission.count()  # once: a no-op when the claim counted it
    decision = Decision.OPEN if reason == Reason.OK else Decision.DENY
    event_id = uuid7()  # time-ordered: appended to the event-id index, not scattered
    _event_insert(
        event_id=event_id,
        gate_id=gate.pk,
        grant_id=None if row is None else row[_G_ID],
        rider_id=None if row is None else row[_G_RIDER],
        direction=direction,
        decision=decision,
        reason=reason,
        source=source,
        occurred_at=now,
        decision_ms=round((time.perf_counter() - started) * 1000),
    )
    return ScanDecision(decision=decision, reason=reason, row=row, event_id=event_id)


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


# Where the values sit in the grant's row (the order of _grant_sql's columns).
_G_ID, _G_RIDER, _G_COMMUNITY, _G_STATUS, _G_FROM, _G_UNTIL = range(len(_GRANT_FIELDS))
_R = len(_GRANT_FIELDS)  # the rider's columns start here
_R_PLATFORM_ACTIVE = _R + _RIDER_FIELDS.index("platform_active")
_R_NAME, _R_PHONE, _R_PHOTO = (_R + _RIDER_FIELDS.index(f) for f in ("name", "phone", "photo"))
_R_STATION, _R_PLATE = (_R + _RIDER_FIELDS.index(f) for f in ("station", "vehicle_plate"))
_P_NAME = _R + len(_RIDER_FIELDS)
_P_ACTIVE, _RULES_POLICY, _RULES_START, _RULES_END = range(_P_NAME + 1, _P_NAME + 5)


def _grant_with_rules(grant_id: int) -> tuple | None:
    """The grant's row: the grant (id, rider, community, status, validity), its rider, the
    platform's name and flag, and the community's current rules (policy None when it has
    published none); one SELECT, read as a tuple (instances only when asked for)."""
    cursor = prepared_cursor()
    cursor.execute(_grant_sql(), [grant_id])
    return cursor.fetchone()


def _grant_from_row(row: tuple) -> AccessGrant:
    """The grant as the ORM would load it (other fields deferred), with the rules
    annotations rules_policy, rules_start and rules_end."""
    grant = instance_from_row(AccessGrant, _columns(AccessGrant, _GRANT_FIELDS), row[:_R])
    rules = DeliveryRules._meta
    grant.rules_policy = row[_RULES_POLICY]
    grant.rules_start = value_from_db(row[_RULES_START], rules.get_field("rider_hours_start"))
    grant.rules_end = value_from_db(row[_RULES_END], rules.get_field("rider_hours_end"))
    return grant


def _rider_from_row(row: tuple) -> Rider:
    """The rider as the ORM would load it (other fields deferred), with its platform's id,
    name and flag."""
    rider = instance_from_row(Rider, _columns(Rider, _RIDER_FIELDS), row[_R:_P_NAME])
    rider.platform = instance_from_row(
        Platform,
        _columns(Platform, ("id", "name", "active")),
        [rider.platform_id, row[_P_NAME], row[_P_ACTIVE]],
    )
    return rider


# The event's columns, in the order _event_insert passes their values; recorded_at is
# auto_now_add (the time of the insert), the id the table's sequence.
_EVENT_FIELDS = (
    "event_id",
    "gate_id",
    "grant_id",
    "rider_id",
    "direction",
    "decision",
    "reason",
    "source",
    "occurred_at",
    "recorded_at",
    "decision_ms",
)


@functools.cache
def _event_sql() -> str:
    q = connection.ops.quote_name
    fields = _columns(AccessEvent, _EVENT_FIELDS)
    others = {f.attname for f in AccessEvent._meta.concrete_fields if not f.primary_key}
    if others != set(_EVENT_FIELDS):  # a new column must get its value here too
        raise RuntimeError(f"AccessEvent's columns changed: {sorted(others ^ set(_EVENT_FIELDS))}")
    return (
        f"INSERT INTO {q(AccessEvent._meta.db_table)} ({', '.join(q(f.column) for f in fields)}) "  # noqa: S608 - names from the models, values bound
        f"VALUES ({', '.join(['%s'] * len(fields))})"
    )


def _event_insert(
    *,
    event_id: uuid.UUID,
    gate_id: int,
    grant_id: int | None,
    rider_id: int | None,
    direction: str,
    decision: str,
    reason: str,
    source: str,
    occurred_at: dt.datetime,
    decision_ms: int | None,
) -> None:
    """What AccessEvent(...).save() inserts, in one statement bound on the server (no ORM
    compilation, no per-field preparation: the values are already the database's); the
    event is named by its event_id, so no RETURNING. Committed before the answer
    (autocommit, or the caller's transaction)."""
    params = (
        event_id,
        gate_id,
        grant_id,
        rider_id,
        direction,
        decision,
        reason,
        source,
        occurred_at,
        timezone.now(),
        decision_ms,
    )
    prepared_cursor().execute(_event_sql(), params)


def _decide(
    *, row: tuple, claims_community: int, gate: Gate, direction: str, now: dt.datetime
) -> str:
    community_id = row[_G_COMMUNITY]
    if community_id != gate.community_id or claims_community != gate.community_id:
        return Reason.OTHER_COMMUNITY
    status = row[_G_STATUS]
    if status != GrantStatus.ACTIVE:
        return _STATUS_REASON.get(status, Reason.REVOKED)
    # AccessGrant.is_valid_at: `now` inside [valid_from, valid_until).
    valid_from, valid_until = row[_G_FROM], row[_G_UNTIL]
    if (valid_from and now < valid_from) or (valid_until and now >= valid_until):
        return Reason.EXPIRED
    if not row[_R_PLATFORM_ACTIVE] or not row[_P_ACTIVE]:
        # The platform deactivated the rider, or the portal stopped accepting the platform.
        return Reason.SUSPENDED
    if direction == Direction.OUT:
        return Reason.OK  # leaving is always allowed and recorded
    if not gate.open_to_riders:
        return Reason.GATE_CLOSED_TO_RIDERS
    local = now.astimezone(ZoneInfo(settings.TIME_ZONE)).time()
    if not gate.is_open_at(local):
        return Reason.OUTSIDE_HOURS
    policy = row[_RULES_POLICY]
    if policy is not None:
        if policy == EntryPolicy.NO_ENTRY:
            return Reason.NO_ENTRY
        rules = DeliveryRules._meta
        start = value_from_db(row[_RULES_START], rules.get_field("rider_hours_start"))
        end = value_from_db(row[_RULES_END], rules.get_field("rider_hours_end"))
        if not time_in_window(start, end, local):
            return Reason.OUTSIDE_HOURS
    return Reason.OK
