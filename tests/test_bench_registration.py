"""The bench's `registration` scenario: its one-click links register new riders
(bench/registration.py, registered in bench/scenarios.py)."""

from __future__ import annotations

import pytest

from bench.registration import registration_requests
from bench.scenarios import SCENARIOS, BenchContext
from riders.models import Rider

pytestmark = pytest.mark.django_db


def test_bench_registration_links_register_new_riders(client):
    make = registration_requests(presigned=2)
    for n in range(3):  # two pre-signed, one signed on the fly
        client.cookies.clear()  # each a new phone, as the load generator keeps no cookies
        response = client.get(make(n))
        assert response.status_code == 302, response.content[:300]
    assert Rider.objects.filter(platform__code="bench-platform").count() == 3
    source = SCENARIOS["registration"].setup(BenchContext())
    assert source(1).path != source(1).path  # a fresh assertion every request
