"""The coordination demo: each community's index computed from its seeded scans and
facilities; Willow Garden's meetings, decisions and polls; safe to run twice."""

from __future__ import annotations

import pytest
from django.urls import reverse

from communities.models import Community
from coordination.models import ActionItem, FriendlinessSnapshot, Meeting, Poll
from demo import communities as communities_demo
from demo import coordination as demo
from demo import governance as governance_demo
from riders.models import AccessEvent

pytestmark = pytest.mark.django_db


def test_demo_computes_every_communitys_index_from_its_seeded_data(client):
    communities_demo.seed()
    governance_demo.seed()
    demo.seed()
    snapshots = {
        s.community.slug: s for s in FriendlinessSnapshot.objects.select_related("community")
    }
    assert set(snapshots) == set(Community.objects.values_list("slug", flat=True))
    willow = snapshots["willow-garden"]
    denied = next(c for c in willow.components if c["key"] == "denied_scans")
    scans = AccessEvent.objects.filter(gate__community__slug="willow-garden").count()
    assert denied["figures"]["scans"] == scans > 0
    # Decision time: the median and p90 of the seeded scans' times, never a guess.
    timing = next(c for c in willow.components if c["key"] == "decision_time")
    assert timing["figures"]["timed"] == scans
    assert 90 <= timing["figures"]["median_ms"] <= timing["figures"]["p90_ms"] <= 490
    assert timing["score"] is not None
    maple = next(c for c in snapshots["maple-court"].components if c["key"] == "decision_time")
    assert maple["figures"]["median_ms"] > timing["figures"]["median_ms"]
    # Where riders may not enter there are no scans, so no decision time either.
    sky_timing = next(c for c in snapshots["sky-harbour"].components if c["key"] == "decision_time")
    assert sky_timing["score"] is None
    # No scans where riders may not enter: that component is not measured there.
    sky = next(c for c in snapshots["sky-harbour"].components if c["key"] == "denied_scans")
    assert sky["score"] is None
    assert Poll.objects.filter(resolution__isnull=False).exists()
    counts = (AccessEvent.objects.count(), Meeting.objects.count(), ActionItem.objects.count())
    demo.seed()
    assert (AccessEvent.objects.count(), Meeting.objects.count(), ActionItem.objects.count()) == (
        counts
    )
    page = client.get(reverse("coordination:agreed", args=["willow-garden"]))
    assert "Mark an e-bike bay by the east gate" in page.content.decode()
    # The street office of Willow Garden's district sees it, and only its district.
    assert Community.objects.get(slug="willow-garden").district == "浦东新区"
    # It logs in where LOGIN_URL sends it (the admin's log-in page, as guards do).
    office_page = reverse("coordination:office_index")
    assert client.get(office_page)["Location"].startswith(reverse("admin:login"))
    logged_in = client.post(
        reverse("admin:login"),
        {"username": "pudong.office", "password": "last100-office", "next": office_page},
    )
    assert (logged_in.status_code, logged_in["Location"]) == (302, office_page)
    text = client.get(office_page).content.decode()
    assert "Willow Garden" in text and "Maple Court" not in text
