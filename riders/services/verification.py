"""Deciding a scan at a gate: is this pass good here, now? Records an AccessEvent.

Used by online verification (controllers and guard phones that cannot verify offline).
The happy path costs three queries: the grant with its rider, platform and community;
the current rules; the event insert. Replays are caught per gate with an atomic
`cache.add` of the pass's nonce (Redis in production).
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from communities.models import DeliveryRules, EntryPolicy, Gate, time_in_window

from ..models import (
    AccessEvent,
    AccessGrant,
    Decision,
    Direction,
    EventSource,
    GrantStatus,
    Reason,
    Rider,
)
from .keys import PASS_LEEWAY_SECONDS, PASS_LIFETIME_SECONDS, PassRefused, pass_token_decode

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
    def opened(self) -> bool:
        return self.decision == Decision.OPEN


def pass_verify(
    *,
    token: str,
    gate: Gate,
    direction: str,
    source: str = EventSource.ONLINE,
    now: dt.datetime | None = None,
) -> ScanDecision:
    """Decide a scan of `token` at `gate` and record the event (entry and exit alike)."""
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
        grant = (
            AccessGrant.objects.select_related("rider__platform", "community")
            .filter(pk=claims.grant_id)
            .first()
        )
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
            if reason == Reason.OK:
                # One use per pass per gate and direction: a screenshot shown twice fails.
                key = f"pass-nonce:{gate.pk}:{direction}:{claims.nonce}"
                ttl = PASS_LIFETIME_SECONDS + 2 * PASS_LEEWAY_SECONDS
                if not cache.add(key, 1, ttl):
                    reason = Reason.REPLAYED
    decision = Decision.OPEN if reason == Reason.OK else Decision.DENY
    event = AccessEvent.objects.create(
        event_id=uuid.uuid4(),
        gate=gate,
        grant=grant,
        rider=rider,
        direction=direction,
        decision=decision,
        reason=reason,
        source=source,
        occurred_at=now,
    )
    return ScanDecision(decision=decision, reason=reason, grant=grant, rider=rider, event=event)


def _decide(
    *, grant: AccessGrant, claims_community: int, gate: Gate, direction: str, now: dt.datetime
) -> str:
    if grant.community_id != gate.community_id or claims_community != gate.community_id:
        return Reason.OTHER_COMMUNITY
    if grant.status != GrantStatus.ACTIVE:
        return _STATUS_REASON.get(grant.status, Reason.REVOKED)
    if not grant.is_valid_at(now):
        return Reason.EXPIRED
    if not grant.rider.platform_active:
        return Reason.SUSPENDED
    if direction == Direction.OUT:
        return Reason.OK  # leaving is always allowed and recorded
    if not gate.open_to_riders:
        return Reason.GATE_CLOSED_TO_RIDERS
    local = now.astimezone(ZoneInfo(settings.TIME_ZONE)).time()
    if not gate.is_open_at(local):
        return Reason.OUTSIDE_HOURS
    rules = (
        DeliveryRules.objects.filter(community_id=gate.community_id)
        .only("entry_policy", "rider_hours_start", "rider_hours_end")
        .order_by("-version")
        .first()
    )
    if rules is not None:
        if rules.entry_policy == EntryPolicy.NO_ENTRY:
            return Reason.NO_ENTRY
        if not time_in_window(rules.rider_hours_start, rules.rider_hours_end, local):
            return Reason.OUTSIDE_HOURS
    return Reason.OK
