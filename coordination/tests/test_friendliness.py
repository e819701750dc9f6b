"""The rider-friendliness index: each component's rule on constructed data, and a query
count that does not grow with the community."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from communities.models import DeliveryFacility, EntryPolicy
from communities.services import rules_publish
from communities.tests.factories import (
    BuildingFactory,
    DeliveryFacilityFactory,
    GateControllerFactory,
    GateFactory,
    ParkingZoneFactory,
    RestStationFactory,
    UnitFactory,
)
from coordination.friendliness.index import NO_DATA, NOT_APPLICABLE, NOT_MEASURED
from coordination.friendliness.measure import friendliness_compute
from core.models import AuditEntry
from gatesync.models import AccessListHead, ControllerSync
from governance.models import Feedback
from governance.services.feedback import feedback_triage
from riders.models import AccessEvent, AccessGrant, GrantSource
from riders.tests.factories import AccessGrantFactory, RiderFactory

pytestmark = pytest.mark.django_db


def _component(community, key):
    return next(c for c in friendliness_compute(community).components if c.key == key)


def _scan(
    gate,
    *,
    decision="open",
    reason="ok",
    ago=dt.timedelta(hours=1),
    direction="in",
    decision_ms=None,
):
    return AccessEvent.objects.create(
        gate=gate,
        direction=direction,
        decision=decision,
        reason=reason,
        source="controller",
        occurred_at=timezone.now() - ago,
        decision_ms=decision_ms,
    )


def test_denied_scans_score_is_the_share_of_entry_scans_opened_with_reasons(community, gate):
    for _ in range(3):
        _scan(gate)
    _scan(gate, decision="deny", reason="expired")
    _scan(gate, decision="deny", reason="expired", direction="out")  # exits do not count
    _scan(gate, decision="deny", reason="revoked", ago=dt.timedelta(days=40))  # too old
    c = _component(community, "denied_scans")
    assert c.score == pytest.approx(0.75)
    assert c.figures["scans"] == 4
    assert c.figures["denied"] == 1
    assert c.figures["reasons"] == {"expired": 1}


def test_no_scans_means_denied_scans_is_not_measured(community, gate):
    c = _component(community, "denied_scans")
    assert c.score is None


def test_decision_time_without_reported_times_is_not_measured(community, gate):
    _scan(gate)
    c = _component(community, "decision_time")
    assert c.score is None
    assert c.why_none == NOT_MEASURED
    assert c.figures == {"scans": 1, "timed": 0}


def test_decision_time_without_scans_has_no_data(community, gate):
    c = _component(community, "decision_time")
    assert (c.score, c.why_none) == (None, NO_DATA)


def test_decision_time_is_the_median_and_p90_of_the_reported_times(community, gate):
    # 10 timed entry scans: 100, 200, ..., 1000 ms; percentile_cont interpolates.
    for ms in range(100, 1001, 100):
        _scan(gate, decision_ms=ms)
    _scan(gate)  # not reported: not counted
    _scan(gate, decision_ms=59_000, direction="out")  # exits do not count
    _scan(gate, decision_ms=59_000, ago=dt.timedelta(days=40))  # outside the window
    c = _component(community, "decision_time")
    assert c.figures == {"scans": 11, "timed": 10, "median_ms": 550, "p90_ms": 910}
    # Each of median and p90: 1 at <= 500 ms, linear to 0 at 5,000 ms; the mean of both.
    expected = ((1 - 50 / 4500) + (1 - 410 / 4500)) / 2
    assert c.score == pytest.approx(expected)


def test_slow_decisions_score_zero_and_fast_ones_full_marks(community, gate):
    for _ in range(3):
        _scan(gate, decision_ms=20)
    assert _component(community, "decision_time").score == 1
    for _ in range(30):
        _scan(gate, decision_ms=8000)
    assert _component(community, "decision_time").score == 0


def test_one_click_share_counts_platform_grants_against_hand_registrations(community):
    AccessGrantFactory(community=community, source=GrantSource.PLATFORM)
    AccessGrantFactory(community=community, source=GrantSource.PLATFORM)
    AccessGrantFactory(community=community, source=GrantSource.PLATFORM)
    AccessGrantFactory(community=community, source=GrantSource.MANUAL)
    c = _component(community, "one_click")
    assert c.score == pytest.approx(0.75)
    assert c.figures == {"one_click": 3, "by_hand": 1}


def test_approval_time_is_the_median_wait_of_hand_registrations(community, staff_user):
    now = timezone.now()
    for minutes in (10, 60, 600):
        grant = AccessGrantFactory(
            community=community, source=GrantSource.MANUAL, approved_by=staff_user
        )
        created = now - dt.timedelta(days=1)
        AccessGrant.objects.filter(pk=grant.pk).update(
            created_at=created, valid_from=created + dt.timedelta(minutes=minutes)
        )
    # A platform grant approved at once does not count, nor one still waiting.
    AccessGrantFactory(community=community, source=GrantSource.PLATFORM)
    AccessGrantFactory(community=community, source=GrantSource.MANUAL, status="pending")
    c = _component(community, "approval_time")
    assert c.figures["approved"] == 3
    assert c.figures["median_minutes"] == pytest.approx(60, abs=0.1)
    assert c.figures["p90_minutes"] == pytest.approx(492, abs=0.5)  # 60 + 0.8 * 540
    assert c.score == pytest.approx(1 - 45 / (1440 - 15), abs=0.001)


def test_an_approval_within_fifteen_minutes_scores_full_and_a_day_scores_zero(
    community, staff_user
):
    grant = AccessGrantFactory(
        community=community, source=GrantSource.MANUAL, approved_by=staff_user
    )
    created = timezone.now() - dt.timedelta(days=2)
    AccessGrant.objects.filter(pk=grant.pk).update(
        created_at=created, valid_from=created + dt.timedelta(minutes=5)
    )
    assert _component(community, "approval_time").score == 1.0
    AccessGrant.objects.filter(pk=grant.pk).update(valid_from=created + dt.timedelta(hours=30))
    assert _component(community, "approval_time").score == 0.0


def test_gate_hours_are_the_share_of_the_day_some_rider_gate_is_open(community):
    GateFactory(community=community, opens_at=dt.time(6), closes_at=dt.time(12))
    GateFactory(community=community, opens_at=dt.time(10), closes_at=dt.time(18))
    GateFactory(community=community, open_to_riders=False)  # all day, but not for riders
    c = _component(community, "gate_hours")
    assert c.figures["rider_hours_per_day"] == 12.0
    assert c.score == pytest.approx(0.5)


def test_gate_hours_are_cut_by_the_riders_hours_of_the_rules(community):
    GateFactory(community=community)  # all day
    rules_publish(
        community=community,
        acting_user=None,
        entry_policy=EntryPolicy.REGISTERED,
        rider_hours_start=dt.time(22),
        rider_hours_end=dt.time(4),
    )
    assert _component(community, "gate_hours").figures["rider_hours_per_day"] == 6.0


def test_no_entry_scores_zero_gate_hours_and_measures_the_hand_off(community):
    GateFactory(community=community)
    rules_publish(
        community=community,
        acting_user=None,
        entry_policy=EntryPolicy.NO_ENTRY,
        handoff_point="North gate kiosk",
    )
    assert _component(community, "gate_hours").score == 0.0
    handoff = _component(community, "handoff")
    assert handoff.score == 0.5  # published, but not on the site map
    assert handoff.figures["on_map"] is False


def test_hand_off_is_not_applicable_where_riders_may_enter(community):
    c = _component(community, "handoff")
    assert c.score is None
    assert c.why_none == NOT_APPLICABLE


def test_facilities_score_parking_rest_cabinets_and_robots(community):
    assert _component(community, "facilities").score == 0.0
    ParkingZoneFactory(community=community)
    RestStationFactory(community=community)
    assert _component(community, "facilities").score == pytest.approx(0.7)
    DeliveryFacilityFactory(community=community, status=DeliveryFacility.Status.PLANNED)
    assert _component(community, "facilities").score == pytest.approx(0.7)  # not in service
    DeliveryFacilityFactory(community=community)
    DeliveryFacilityFactory(community=community, kind=DeliveryFacility.Kind.ROBOT_PICKUP)
    c = _component(community, "facilities")
    assert c.score == pytest.approx(1.0)
    assert c.figures == {"parking": 1, "rest": 1, "cabinets": 1, "robots": 1}


def test_house_numbers_count_units_whose_building_is_on_the_site_map(community):
    on_map = BuildingFactory(community=community)
    off_map = BuildingFactory(community=community, x_pct=None, y_pct=None)
    for _ in range(3):
        UnitFactory(building=on_map)
    UnitFactory(building=off_map)
    c = _component(community, "house_numbers")
    assert c.figures == {"units": 4, "shown": 3}
    assert c.score == pytest.approx(0.75)


def test_feedback_counts_as_answered_when_first_triaged_within_48_hours(community, staff_user):
    now = timezone.now()

    def sent(hours_ago, answered_after=None):
        fb = Feedback.objects.create(
            community=community, sender="rider", category="access", text="gate slow"
        )
        Feedback.objects.filter(pk=fb.pk).update(created_at=now - dt.timedelta(hours=hours_ago))
        if answered_after is not None:
            feedback_triage(feedback=fb, status="in_progress", acting_user=staff_user)
            AuditEntry.objects.filter(action="feedback_triage", object_id=str(fb.pk)).update(
                at=now - dt.timedelta(hours=hours_ago) + dt.timedelta(hours=answered_after)
            )

    sent(100, answered_after=10)  # in time
    sent(100, answered_after=60)  # late
    sent(72)  # never answered
    sent(5)  # not due yet: does not count
    c = _component(community, "feedback")
    assert c.figures == {"due": 3, "answered_in_time": 1}
    assert c.score == pytest.approx(1 / 3)


def test_controllers_in_sync_hold_the_head_version(community):
    gate = GateFactory(community=community)
    behind, current = GateControllerFactory(gate=gate), GateControllerFactory(gate=gate)
    GateControllerFactory(gate=gate, enabled=False)
    AccessListHead.objects.update_or_create(community=community, defaults={"version": 7})
    ControllerSync.objects.update_or_create(controller=behind, defaults={"version_held": 5})
    ControllerSync.objects.update_or_create(controller=current, defaults={"version_held": 7})
    c = _component(community, "controllers")
    assert c.figures == {"controllers": 2, "in_sync": 1}
    assert c.score == 0.5


def test_score_is_the_weighted_mean_of_measured_components_only(community):
    # Nothing but one all-day rider gate: gate_hours 1.0 (15), facilities 0 (10).
    GateFactory(community=community)
    index = friendliness_compute(community)
    assert index.measured_weight == 25
    assert index.score == 60
    assert index.coverage == 25


def _populate(community, size):
    building = BuildingFactory(community=community)
    for _ in range(size):
        UnitFactory(building=building)
    gate = GateFactory(community=community)
    GateControllerFactory(gate=gate)
    ParkingZoneFactory(community=community)
    for _ in range(size):
        _scan(gate)
        AccessGrantFactory(community=community, rider=RiderFactory())
        Feedback.objects.create(community=community, sender="rider", category="other", text="x")


def test_the_index_takes_seven_queries_whatever_the_community_size(company):
    from communities.tests.factories import CommunityFactory

    small, large = CommunityFactory(company=company), CommunityFactory(company=company)
    _populate(small, 1)
    _populate(large, 25)
    counts = []
    for community in (small, large):
        with CaptureQueriesContext(connection) as queries:
            friendliness_compute(community)
        counts.append(len(queries))
    assert counts == [7, 7]
