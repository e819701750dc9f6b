"""The dashboard's figures on known data (percentile_cont, window queries)."""

from __future__ import annotations

import datetime as dt

import pytest

from communities.tests.factories import CommunityFactory, GateFactory
from dashboard.selectors.counts import riders_inside
from dashboard.selectors.history import rider_visits
from dashboard.selectors.overview import open_votes, overview
from riders.models import Direction, Reason

from .factories import event, noon_today, seed_known_day

pytestmark = pytest.mark.django_db


@pytest.fixture
def now():
    return noon_today()


@pytest.fixture
def known(community, now):
    seeded = seed_known_day(community, now=now)
    # Another community's events at the same times must not leak into these figures.
    other = CommunityFactory(company=community.company, slug="elm-yard", name="Elm Yard")
    other_gate = GateFactory(community=other, name="Elm Gate")
    event(other_gate, seeded["riders"]["B"], now - dt.timedelta(minutes=20))
    event(other_gate, seeded["riders"]["B"], now - dt.timedelta(minutes=2), Direction.OUT)
    return seeded


def test_card_figures_on_known_data(community, known, now):
    card = overview([community], now=now).cards[0]

    assert card.inside == 2
    assert card.entries_today == 8
    assert card.stays.count == 5
    assert card.stays.median_seconds == pytest.approx(600)
    assert card.stays.buckets == [0, 2, 0, 1, 1, 1, 0]
    assert card.denied == [(Reason.OUTSIDE_HOURS, 3), (Reason.EXPIRED, 2), (Reason.REVOKED, 1)]
    assert card.denied_total == 6


def test_median_of_an_even_number_of_stays_interpolates(community, known, now):
    rider = known["riders"]["B"]
    north, south = known["gates"]
    event(north, rider, now - dt.timedelta(minutes=400))
    event(south, rider, now - dt.timedelta(minutes=400) + dt.timedelta(hours=1), Direction.OUT)

    card = overview([community], now=now).cards[0]

    assert card.stays.count == 6
    assert card.stays.median_seconds == pytest.approx((600 + 1200) / 2)
    assert card.stays.buckets[-1] == 1  # 3600 s is "60+"


def test_riders_inside_are_the_last_opened_scan_being_an_entry(community, known, now):
    inside = riders_inside([g.pk for g in known["gates"]], now=now)

    riders = known["riders"]
    assert [i.rider_id for i in inside] == [riders["D"].pk, riders["A"].pk]  # newest first
    assert inside[0].entered_at == now - dt.timedelta(minutes=10)


def test_entries_per_hour_chart_sums_the_week(community, known, now):
    data = overview([community], now=now)

    assert len(data.hourly) == 7 * 24
    assert sum(n for _, n in data.hourly) == 9  # the 8 of today and G's, 13 h ago
    by_hour = dict(data.hourly)
    eleven = now.replace(hour=11)
    assert by_hour[eleven] == 3  # A at 11:00 and 11:30, D at 11:50
    assert dict(data.denied) == {
        Reason.OUTSIDE_HOURS: 3,
        Reason.EXPIRED: 2,
        Reason.REVOKED: 1,
    }
    assert data.stay_buckets == [0, 2, 0, 1, 1, 1, 0]


def test_rider_visits_pair_entries_with_exits(community, known):
    rider = known["riders"]["A"]
    visits = rider_visits(rider, [community.pk])

    assert len(visits) == 2
    assert visits[0].left_at is None  # back inside
    assert visits[1].duration == dt.timedelta(seconds=600)


def test_open_votes_count_voters_and_their_area(community):
    """Participation on the card: voters and area that voted, against the frozen roll.
    One owner of three units of 50 m² and one of 100 m² voted; two of 100 m² did not."""
    from governance.tests.factories import (
        owned_units,
        owners_each_one_unit,
        resolution_opened,
        votes_cast,
    )

    big, _units = owned_units(community, 3, area="50.00")
    voters = [big, *owners_each_one_unit(community, 1)]
    owners_each_one_unit(community, 2)
    resolution = resolution_opened(community)
    votes_cast(resolution, voters, "for")

    (vote,) = open_votes([community.pk])[community.pk]
    assert (vote.voted, vote.total_voters) == (2, 4)
    assert (vote.voted_area, vote.total_area) == (25000, 45000)  # hundredths of m²
    assert (vote.voters_percent, vote.area_percent) == (50, 55)
