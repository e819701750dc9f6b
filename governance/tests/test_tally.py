"""Civil Code Art. 278 counting: the boundaries, on a real frozen roll."""

from __future__ import annotations

from fractions import Fraction

import pytest

from governance import services
from governance.models import Choice, Matter, RollEntry
from governance.tally import Tally, area_m2, tally

from .factories import (
    OwnerFactory,
    owned_units,
    owners_each_one_unit,
    resolution_opened,
    units_make,
    votes_cast,
)

pytestmark = pytest.mark.django_db


def test_exactly_two_thirds_participation_meets_the_quorum(community):
    owners = owners_each_one_unit(community, 6)
    resolution = resolution_opened(community)
    votes_cast(resolution, owners[:4], Choice.FOR)
    figures = tally(resolution)
    assert (figures.participating_voters, figures.total_voters) == (4, 6)
    assert (figures.participating_area, figures.total_area) == (40000, 60000)
    assert figures.quorum_met
    assert figures.passed


def test_one_owner_less_than_two_thirds_misses_the_quorum(community):
    owners = owners_each_one_unit(community, 6)
    resolution = resolution_opened(community)
    votes_cast(resolution, owners[:3], Choice.FOR)
    figures = tally(resolution)
    assert not figures.quorum_area_met
    assert not figures.quorum_voters_met
    assert not figures.passed


def test_exactly_half_approval_fails_an_ordinary_matter(community):
    owners = owners_each_one_unit(community, 6)
    resolution = resolution_opened(community, matter=Matter.ORDINARY)
    votes_cast(resolution, owners[:3], Choice.FOR)
    votes_cast(resolution, owners[3:], Choice.AGAINST)
    figures = tally(resolution)
    assert figures.quorum_met
    assert figures.share("for_area", "participating_area") == Fraction(1, 2)
    assert not figures.approval_area_met
    assert not figures.approval_voters_met
    assert not figures.passed


def test_one_more_vote_than_half_passes_an_ordinary_matter(community):
    owners = owners_each_one_unit(community, 6)
    resolution = resolution_opened(community, matter=Matter.ORDINARY)
    votes_cast(resolution, owners[:4], Choice.FOR)
    votes_cast(resolution, owners[4:], Choice.AGAINST)
    assert tally(resolution).passed


def test_exactly_three_quarters_passes_a_major_matter(community):
    owners = owners_each_one_unit(community, 8)
    resolution = resolution_opened(community, matter=Matter.MAJOR, matter_reason="By-laws")
    votes_cast(resolution, owners[:6], Choice.FOR)
    votes_cast(resolution, owners[6:], Choice.AGAINST)
    figures = tally(resolution)
    assert figures.share("for_voters", "participating_voters") == Fraction(3, 4)
    assert figures.passed


def test_one_vote_less_than_three_quarters_fails_a_major_matter(community):
    owners = owners_each_one_unit(community, 8)
    resolution = resolution_opened(community, matter=Matter.MAJOR, matter_reason="By-laws")
    votes_cast(resolution, owners[:5], Choice.FOR)
    votes_cast(resolution, owners[5:], Choice.AGAINST)
    figures = tally(resolution)
    assert figures.quorum_met
    assert not figures.passed  # 5/8 would pass an ordinary matter, not a major one
    assert Tally.from_json(figures.as_json() | {"matter": Matter.ORDINARY}).passed


def test_abstentions_count_as_participation_and_not_approval(community):
    owners = owners_each_one_unit(community, 6)
    resolution = resolution_opened(community)
    votes_cast(resolution, owners[:2], Choice.FOR)
    votes_cast(resolution, owners[2:3], Choice.AGAINST)
    votes_cast(resolution, owners[3:4], Choice.ABSTAIN)
    figures = tally(resolution)
    # Without the abstainer there is no quorum (3 of 6); with it there is (4 of 6) ...
    assert figures.participating_voters == 4
    assert figures.quorum_met
    # ... and 2 for out of 4 participating is not more than half: abstaining weighs "no".
    assert figures.abstain_voters == 1 and figures.abstain_area == 10000
    assert not figures.passed


def test_a_ten_unit_owner_counts_once_with_ten_areas(community):
    big, units = owned_units(community, 10, "100.00")
    small = owners_each_one_unit(community, 5, "100.00")
    resolution = resolution_opened(community)
    entry = RollEntry.objects.get(resolution=resolution, members__owner=big)
    assert entry.area_hundredths == 10 * 10000
    assert len(entry.unit_ids) == 10
    votes_cast(resolution, [big], Choice.FOR)
    figures = tally(resolution)
    assert figures.total_voters == 6
    assert figures.total_area == 15 * 10000
    assert (figures.for_voters, figures.for_area) == (1, 100000)
    assert small  # the five others did not vote


def test_a_quorum_by_area_without_a_quorum_by_headcount_fails(community):
    big, _ = owned_units(community, 10, "100.00")
    small = owners_each_one_unit(community, 5, "50.00")
    resolution = resolution_opened(community)
    votes_cast(resolution, [big, small[0]], Choice.FOR)
    figures = tally(resolution)
    assert figures.quorum_area_met  # 1050 of 1250 m²
    assert not figures.quorum_voters_met  # 2 of 6 owners
    assert figures.approval_area_met and figures.approval_voters_met
    assert not figures.passed


def test_co_owners_are_one_voter_and_either_may_cast(community):
    (unit,) = units_make(community, 1, "120.00")
    wife, husband = OwnerFactory(), OwnerFactory()
    for owner in (wife, husband):
        services.ownership_add(unit=unit, owner=owner, acting_user=None)
    others = owners_each_one_unit(community, 2)
    resolution = resolution_opened(community)
    figures = tally(resolution)
    assert figures.total_voters == 3
    votes_cast(resolution, [wife], Choice.FOR)
    votes_cast(resolution, [husband], Choice.AGAINST)  # the same ballot, changed
    figures = tally(resolution)
    assert (figures.participating_voters, figures.against_voters) == (1, 1)
    assert others


def test_developer_unsold_units_count_as_one_owner(community):
    developer = OwnerFactory(name="Developer Ltd")
    dev_units = units_make(community, 3, "90.00") + units_make(community, 2, "80.00")
    for unit in dev_units:
        services.ownership_add(unit=unit, owner=developer, developer_held=True, acting_user=None)
    owners_each_one_unit(community, 2)
    resolution = resolution_opened(community)
    dev = RollEntry.objects.get(resolution=resolution, developer=True)
    assert dev.voter_key == "developer"
    assert dev.area_hundredths == 3 * 9000 + 2 * 8000
    assert tally(resolution).total_voters == 3


def test_a_unit_without_an_owner_counts_in_the_totals(community):
    owners_each_one_unit(community, 2)
    units_make(community, 1, "100.00")
    resolution = resolution_opened(community)
    figures = tally(resolution)
    assert (figures.total_voters, figures.total_area) == (3, 30000)


def test_the_roll_at_opening_decides_after_a_sale(community):
    seller, (unit,) = owned_units(community, 1)
    owners_each_one_unit(community, 2)
    resolution = resolution_opened(community)
    buyer = OwnerFactory()
    unit.ownerships.all().delete()
    services.ownership_add(unit=unit, owner=buyer, acting_user=None)
    with pytest.raises(Exception, match="not on this resolution"):
        services.ballot_cast(
            resolution=resolution, owner=buyer, choice=Choice.FOR, acting_user=None
        )
    services.ballot_cast(resolution=resolution, owner=seller, choice=Choice.FOR, acting_user=None)
    assert tally(resolution).for_voters == 1


def test_comparisons_are_exact_where_floats_would_drift():
    # 0.1 + 0.2 style areas: 2/3 of 0.03 m² is 0.02 m² exactly; floats say otherwise.
    figures = Tally(matter=Matter.ORDINARY, total_area=3, total_voters=3, for_area=2, for_voters=2)
    assert figures.quorum_met
    assert 3 * figures.participating_area == 2 * figures.total_area


def test_percent_and_area_display_are_exact():
    figures = Tally(matter=Matter.ORDINARY, total_area=3, total_voters=3, for_area=2, for_voters=2)
    assert figures.percent("participating_area", "total_area") == "66.7"
    assert area_m2(123456) == "1234.56"
    assert area_m2(5) == "0.05"


def test_tally_costs_two_queries(community, django_assert_num_queries):
    owners = owners_each_one_unit(community, 5)
    resolution = resolution_opened(community)
    votes_cast(resolution, owners, Choice.FOR)
    with django_assert_num_queries(2):
        tally(resolution)


def test_the_developer_counts_once_when_it_also_holds_a_unit_not_flagged_unsold(community):
    developer = OwnerFactory(name="Developer Ltd")
    for unit in units_make(community, 2, "90.00"):
        services.ownership_add(unit=unit, owner=developer, developer_held=True, acting_user=None)
    (kept,) = units_make(community, 1, "50.00")  # e.g. its sales office, not flagged
    services.ownership_add(unit=kept, owner=developer, acting_user=None)
    owners = owners_each_one_unit(community, 2)
    resolution = resolution_opened(community)
    assert RollEntry.objects.filter(resolution=resolution, members__owner=developer).count() == 1
    votes_cast(resolution, [developer], Choice.FOR)
    votes_cast(resolution, owners[:1], Choice.AGAINST)
    figures = tally(resolution)
    # One person, one head: 3 voters (developer + two owners), the developer's one ballot
    # once, with all three of its units' area.
    assert (figures.total_voters, figures.total_area) == (3, 2 * 9000 + 5000 + 2 * 10000)
    assert (figures.for_voters, figures.for_area) == (1, 2 * 9000 + 5000)
    assert figures.participating_voters == 2
