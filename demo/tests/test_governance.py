"""The governance demo: owners with log-ins, a passed, an open and an upcoming vote."""

from __future__ import annotations

import pytest

from communities.models import DeliveryFacility
from demo import communities as communities_demo
from demo import governance as demo
from governance.models import Ballot, Ownership, Resolution, ResolutionState
from governance.tally import tally

pytestmark = pytest.mark.django_db


def test_demo_seeds_votes_once(client):
    communities_demo.seed()
    lines = demo.seed()
    assert any("owner.wang" in line for line in lines)
    states = dict(Resolution.objects.values_list("number", "state"))
    assert states == {
        1: ResolutionState.PASSED,
        2: ResolutionState.OPEN,
        3: ResolutionState.OPEN,
        4: ResolutionState.DRAFT,
    }
    assert DeliveryFacility.objects.filter(
        name="东门取餐柜",
        name_en="East gate food cabinet",
        status=DeliveryFacility.Status.PLANNED,
    ).exists()
    live = tally(Resolution.objects.get(number=2))
    assert 0 < live.participating_voters < live.total_voters
    counts = (Ownership.objects.count(), Ballot.objects.count())
    demo.seed()
    assert (Ownership.objects.count(), Ballot.objects.count()) == counts
    assert client.login(username="owner.wang", password="owner-pass-1")
    page = client.get("/vote/")
    assert "Riders hand food over at the north gate" in page.content.decode()
