"""Access events on known data for the dashboard's tests (and the browser test)."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from communities.models import Community, Gate
from communities.tests.factories import GateControllerFactory, GateFactory
from riders.models import AccessEvent, Decision, Direction, EventSource, Reason, Rider
from riders.tests.factories import AccessGrantFactory, RiderFactory


def noon_today() -> dt.datetime:
    """Today 12:00 local time: every 'minutes before' below stays inside today."""
    return timezone.localtime().replace(hour=12, minute=0, second=0, microsecond=0)


def event(
    gate: Gate,
    rider: Rider | None,
    when: dt.datetime,
    direction: str = Direction.IN,
    decision: str = Decision.OPEN,
    reason: str = Reason.OK,
) -> AccessEvent:
    return AccessEvent.objects.create(
        gate=gate,
        rider=rider,
        direction=direction,
        decision=decision,
        reason=reason,
        source=EventSource.CONTROLLER,
        occurred_at=when,
    )


def visit(gate_in: Gate, gate_out: Gate | None, rider: Rider, start: dt.datetime, secs: int):
    event(gate_in, rider, start)
    if gate_out is not None:
        event(gate_out, rider, start + dt.timedelta(seconds=secs), Direction.OUT)


def seed_known_day(community: Community, *, now: dt.datetime) -> dict:
    """A day at `community` (`now` is noon today or later) whose figures are known:

    * stays 120, 240, 600, 1200, 1800 s → median 600 s; histogram [0, 2, 0, 1, 1, 1, 0];
      rider F's first entry has no exit before the next entry, so it is not a stay;
    * riders inside now: A (back in after a visit) and D → 2; G entered 13 h ago and
      never left, which is past DASHBOARD_INSIDE_MAX_HOURS;
    * entries today: 8 (opened entries; G's was yesterday);
    * denied today: 3 × outside hours, 2 × expired, 1 × revoked.
    """
    north = GateFactory(community=community, name="North Gate")
    south = GateFactory(community=community, name="South Gate")
    GateControllerFactory(gate=north, name="North box")
    riders = {
        name: AccessGrantFactory(
            community=community, rider=RiderFactory(name=f"Rider {name}")
        ).rider
        for name in "ABCDEFG"
    }
    minutes = dt.timedelta(minutes=1)
    visit(north, south, riders["B"], now - 120 * minutes, 240)
    visit(north, south, riders["A"], now - 60 * minutes, 600)
    event(north, riders["A"], now - 30 * minutes)
    visit(south, north, riders["C"], now - 180 * minutes, 1200)
    visit(north, north, riders["E"], now - 240 * minutes, 1800)
    event(north, riders["F"], now - 300 * minutes)
    visit(north, south, riders["F"], now - 295 * minutes, 120)
    event(north, riders["D"], now - 11 * minutes, decision=Decision.DENY, reason=Reason.EXPIRED)
    event(north, riders["D"], now - 10 * minutes)
    event(south, riders["G"], now - 13 * 60 * minutes)
    for _ in range(3):
        event(north, None, now - 50 * minutes, decision=Decision.DENY, reason=Reason.OUTSIDE_HOURS)
    event(south, None, now - 70 * minutes, decision=Decision.DENY, reason=Reason.EXPIRED)
    event(south, riders["C"], now - 5 * minutes, Direction.OUT, Decision.DENY, Reason.REVOKED)
    return {"gates": [north, south], "riders": riders}
