"""The vote bench (`manage.py vote_bench`, bench/votes.py) builds its community and reports
timings (small sizes here); its scenarios' requests work against the portal."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command
from django.test import Client

from bench.scenarios import BenchContext
from bench.votes import cast_requests, participation_requests
from governance.models import Ballot, RollEntry

pytestmark = pytest.mark.django_db


def test_vote_bench_counts_a_community_with_every_kind_of_holder():
    out = io.StringIO()
    call_command("vote_bench", units=400, ballots=300, repeats=2, casts=20, stdout=out)
    figures = json.loads(out.getvalue())
    # 400 units: 10 unsold (one developer voter), 18 held by six three-unit owners,
    # 20 co-owned, the rest by single owners: 1 + 6 + 20 + 352 voters.
    entries = RollEntry.objects.filter(resolution_id=figures["resolution_id"])
    assert figures["voters"] == entries.count()
    assert entries.filter(developer=True).get().unit_ids.__len__() == 10
    assert figures["voters"] == 1 + 6 + 20 + 352
    assert figures["ballots"] == 300
    assert Ballot.objects.filter(resolution_id=figures["resolution_id"]).count() == 320
    assert figures["tally_median_ms"] is not None and figures["cast_p95_ms"] is not None
    # A second run reuses the community.
    call_command("vote_bench", units=400, ballots=10, repeats=1, casts=0, stdout=io.StringIO())


def test_bench_requests_work_against_the_portal():
    context = BenchContext(buildings=4, units_per_building=100)
    client = Client(enforce_csrf_checks=True)

    def send(request):
        headers = dict(request.headers)
        return client.generic(
            request.method,
            request.path,
            data=request.body,
            content_type=headers.get("Content-Type", ""),
            HTTP_COOKIE=headers["Cookie"],
        )

    participation = send(participation_requests(context))
    assert participation.status_code == 200
    assert participation.json()["bars"][1]["value"] == 300
    source = cast_requests(context, owners=5)
    first, change = send(source(0)), send(source(5))
    assert first.status_code == 200 and first.json()["choice"] == "for"
    assert change.status_code == 200 and change.json()["choice"] == "against"
