"""Votes stay exact under concurrency (PostgreSQL): parallel casts for one voter make
exactly one ballot, and the count sees it once."""

from __future__ import annotations

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from governance import services
from governance.models import Ballot, BallotLog, Choice
from governance.tally import tally

from .factories import OwnerFactory, owners_each_one_unit, resolution_opened, units_make

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

THREADS = 8


def _race(target, args_list) -> list:
    barrier = threading.Barrier(len(args_list))
    outcomes: list = []

    def run(*args):
        try:
            barrier.wait()
            outcomes.append(target(*args))
        except ValidationError as exc:
            outcomes.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=args) for args in args_list]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return outcomes


def test_parallel_casts_for_one_voter_make_exactly_one_ballot(community):
    (owner,) = owners_each_one_unit(community, 1)
    owners_each_one_unit(community, 2)
    resolution = resolution_opened(community)

    def cast(choice):
        return services.ballot_cast(
            resolution=resolution, owner=owner, choice=choice, acting_user=None
        )

    outcomes = _race(cast, [(Choice.FOR,)] * THREADS)
    assert len(outcomes) == THREADS
    assert all(isinstance(o, Ballot) for o in outcomes)
    assert Ballot.objects.filter(resolution=resolution).count() == 1
    assert BallotLog.objects.filter(resolution=resolution).count() == 1
    assert tally(resolution).for_voters == 1


def test_co_owners_voting_at_once_share_one_ballot(community):
    (unit,) = units_make(community, 1)
    co_owners = [OwnerFactory() for _ in range(THREADS)]
    for owner in co_owners:
        services.ownership_add(unit=unit, owner=owner, acting_user=None)
    owners_each_one_unit(community, 1)
    resolution = resolution_opened(community, allow_vote_change=False)

    def cast(owner, choice):
        return services.ballot_cast(
            resolution=resolution, owner=owner, choice=choice, acting_user=None
        )

    choices = [Choice.FOR, Choice.AGAINST] * (THREADS // 2)
    outcomes = _race(cast, list(zip(co_owners, choices, strict=True)))
    ballots = list(Ballot.objects.filter(resolution=resolution))
    assert len(ballots) == 1
    winners = [o for o in outcomes if isinstance(o, Ballot)]
    refusals = [o for o in outcomes if isinstance(o, ValidationError)]
    # Every cast either is the ballot (first, or the same choice again) or is refused as
    # a change, which this resolution does not allow.
    assert len(winners) + len(refusals) == THREADS
    assert all(b.choice == ballots[0].choice for b in winners)
    assert BallotLog.objects.filter(resolution=resolution).count() == 1


def test_closing_while_owners_cast_counts_every_stored_ballot(community):
    owners = owners_each_one_unit(community, THREADS)
    resolution = resolution_opened(community)

    def act(owner):
        if owner is None:
            return services.resolution_close(resolution=resolution, acting_user=None)
        return services.ballot_cast(
            resolution=resolution, owner=owner, choice=Choice.FOR, acting_user=None
        )

    outcomes = _race(act, [(o,) for o in owners] + [(None,)])
    resolution.refresh_from_db()
    stored = Ballot.objects.filter(resolution=resolution).count()
    cast_ok = sum(1 for o in outcomes if isinstance(o, Ballot))
    refused = [o for o in outcomes if isinstance(o, ValidationError)]
    # A cast either landed before the close (and is counted) or was refused as closed.
    assert stored == cast_ok == resolution.result["participating_voters"]
    assert cast_ok + len(refused) == THREADS
    assert all("closed" in str(e) for e in refused)
