"""Roll-up and retention: counts move from raw events to hourly roll-ups without changing
what the charts and cards show; runs are idempotent; events past retention go."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from dashboard.models import HourlyEventCount, RollupMark
from dashboard.selectors.overview import overview
from dashboard.services import events_expire, events_retain, events_roll_up
from dashboard.tasks import roll_up_and_expire_events
from riders.models import AccessEvent, Decision, Direction, Reason

from .factories import event, noon_today, seed_known_day

pytestmark = pytest.mark.django_db


def _figures(community, now):
    data = overview([community], now=now)
    card = data.cards[0]
    return data.hourly, data.denied, card.entries_today, card.denied


def test_roll_up_keeps_chart_and_card_totals(community):
    now = noon_today()
    seed_known_day(community, now=now)
    before = _figures(community, now)
    later = timezone.now() + dt.timedelta(hours=1)  # every event has settled

    result = events_roll_up(batch_size=7, now=later)

    assert result.events == AccessEvent.objects.count()
    assert result.batches == -(-result.events // 7)
    assert RollupMark.objects.get().last_event_id == AccessEvent.objects.latest("id").id
    assert sum(HourlyEventCount.objects.values_list("count", flat=True)) == result.events
    assert _figures(community, now) == before
    # Idempotent: nothing after the mark, nothing counted twice.
    assert events_roll_up(now=later).events == 0
    assert _figures(community, now) == before


def test_events_not_settled_wait_for_the_next_run(community):
    now = noon_today()
    seed_known_day(community, now=now)
    result = events_roll_up(now=timezone.now())  # every event was recorded just now
    assert result.events == 0
    assert not HourlyEventCount.objects.exists()


def test_expired_events_are_deleted_and_charts_keep_their_counts(community, gate, rider):
    old = timezone.now() - dt.timedelta(days=100)
    for minutes in (0, 10, 70):
        event(gate, rider, old + dt.timedelta(minutes=minutes))
    event(gate, rider, old + dt.timedelta(minutes=20), Direction.OUT)
    event(gate, None, old, decision=Decision.DENY, reason=Reason.EXPIRED)
    recent = event(gate, rider, timezone.now() - dt.timedelta(days=1))
    then = old + dt.timedelta(days=2)  # a week's chart that covers the old events
    before = _figures(community, then)
    assert sum(n for _, n in before[0]) == 3

    # Not rolled up yet: nothing may be deleted.
    assert events_expire(now=timezone.now() + dt.timedelta(hours=1)) == 0
    rolled, deleted = events_retain(now=timezone.now() + dt.timedelta(hours=1))

    assert rolled.events == 6
    assert deleted == 5
    assert list(AccessEvent.objects.values_list("id", flat=True)) == [recent.id]
    assert _figures(community, then) == before
    # A second run changes nothing.
    assert events_retain(now=timezone.now() + dt.timedelta(hours=1))[1] == 0
    assert _figures(community, then) == before


def test_beat_task_runs_the_service(community, gate, rider):
    event(gate, rider, timezone.now() - dt.timedelta(days=100))
    # Recorded now, so not settled: the task counts nothing and deletes nothing.
    assert roll_up_and_expire_events() == "rolled up 0 events in 0 batches, deleted 0"
    AccessEvent.objects.update(recorded_at=timezone.now() - dt.timedelta(minutes=5))
    assert roll_up_and_expire_events() == "rolled up 1 events in 1 batches, deleted 1"
    assert HourlyEventCount.objects.get().count == 1
