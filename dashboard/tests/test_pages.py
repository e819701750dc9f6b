"""The dashboard's pages: scoping (another company's staff see nothing), a flat query
count in the number of communities, filters, the CSV export and the rider history."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from communities.tests.factories import CommunityFactory, GateControllerFactory, GateFactory
from governance.models import Feedback
from governance.tests.factories import owners_each_one_unit, resolution_opened, votes_cast
from riders.models import Decision, Direction, GrantStatus, Reason
from riders.tests.factories import AccessGrantFactory, RiderFactory

from .factories import event, seed_known_day

pytestmark = pytest.mark.django_db
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def _busy_community(company, index: int):
    """A community with gates, controllers, events, a pending grant, an open vote and
    feedback: everything a card shows."""
    community = CommunityFactory(company=company, slug=f"c{index}", name=f"Community {index}")
    now = timezone.now()
    for g in range(2):
        gate = GateFactory(community=community, name=f"Gate {g}")
        GateControllerFactory(gate=gate)
        rider = RiderFactory()
        event(gate, rider, now - dt.timedelta(minutes=30))
        event(gate, rider, now - dt.timedelta(minutes=20), Direction.OUT)
        event(
            gate, None, now - dt.timedelta(minutes=5), decision=Decision.DENY, reason=Reason.EXPIRED
        )
    AccessGrantFactory(community=community, status=GrantStatus.PENDING)
    owners = owners_each_one_unit(community, 3)
    resolution = resolution_opened(community)
    votes_cast(resolution, owners[:2], "for")
    Feedback.objects.create(
        community=community, sender="owner", category="access", text="Gate slow"
    )
    return community


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, **EN)
    assert response.status_code == 200
    return len(captured.captured_queries)


def test_dashboard_queries_do_not_grow_with_communities(client, staff_user, company):
    client.force_login(staff_user)
    _busy_community(company, 0)
    client.get("/staff/")  # warms per-process caches (content types)
    one = _queries(client, "/staff/")
    for index in range(1, 5):
        _busy_community(company, index)
    five = _queries(client, "/staff/")

    assert one == five
    response = client.get("/staff/", **EN)
    assert response.content.decode().count('class="card"') == 5


def test_dashboard_card_shows_votes_feedback_and_pending(client, staff_user, company):
    _busy_community(company, 0)
    client.force_login(staff_user)
    body = client.get("/staff/", **EN).content.decode()

    assert "2 of 3 owners voted (66 %, 66 % of the area)" in body
    # The figures are links to their lists (issue 20).
    assert re.search(r'data-figure="pending"><a class="figure-link" href="[^"]+">1<', body)
    assert re.search(r'data-figure="feedback"><a class="figure-link" href="[^"]+">1<', body)
    assert "2 gate controllers out of sync or offline" in body  # never synced
    assert body.count("<svg") == 4
    assert '<title id="all-entries-title">Entries per hour, last 7 days</title>' in body


def test_other_companys_staff_see_nothing(client, staff_user, other_staff_user, community, rider):
    seeded = seed_known_day(community, now=timezone.now())
    rider = seeded["riders"]["A"]
    client.force_login(other_staff_user)

    body = client.get("/staff/", **EN).content.decode()
    assert community.name not in body
    assert client.get(reverse("dashboard:community", args=[community.slug])).status_code == 404
    assert client.get(reverse("dashboard:events_csv", args=[community.slug])).status_code == 404
    assert client.get(reverse("dashboard:rider_history", args=[rider.pk])).status_code == 404

    client.force_login(staff_user)
    assert client.get(reverse("dashboard:community", args=[community.slug])).status_code == 200
    assert client.get(reverse("dashboard:rider_history", args=[rider.pk])).status_code == 200


def test_anonymous_is_sent_to_log_in(client):
    response = client.get("/staff/")
    assert response.status_code == 302


def test_community_page_lists_inside_with_masked_phones_and_filters_events(
    client, staff_user, community
):
    seeded = seed_known_day(community, now=timezone.now())
    client.force_login(staff_user)
    url = reverse("dashboard:community", args=[community.slug])

    body = client.get(url, **EN).content.decode()
    assert "138****5678" in body
    assert "13812345678" not in body
    assert 'Riders inside now <span class="count">(2)</span>' in body
    assert body.count('<tr class="event--') == 20

    north = seeded["gates"][0]
    body = client.get(url, {"gate": north.pk, "decision": "deny"}, **EN).content.decode()
    assert body.count('<tr class="event--deny">') == 4
    assert '<tr class="event--open">' not in body

    body = client.get(url, {"rider": "Rider A"}, **EN).content.decode()
    assert body.count('<tr class="event--') == 3


def test_community_page_queries_are_bounded(client, staff_user, community):
    seeded = seed_known_day(community, now=timezone.now())
    client.force_login(staff_user)
    url = reverse("dashboard:community", args=[community.slug])
    client.get(url)
    before = _queries(client, url)
    north, south = seeded["gates"]
    for index in range(30):
        rider = RiderFactory()
        start = timezone.now() - dt.timedelta(minutes=90 - index)
        event(north, rider, start)
        if index % 2:
            event(south, rider, start + dt.timedelta(minutes=5), Direction.OUT)
    assert _queries(client, url) == before


def test_csv_export_streams_the_period(client, staff_user, community):
    gate = GateFactory(community=community, name="North Gate")
    rider = RiderFactory(platform_rider_id="MT-77")
    day = timezone.localtime().replace(hour=9, minute=0, second=0, microsecond=0)
    event(gate, rider, day - dt.timedelta(days=3))  # before the period
    event(gate, rider, day - dt.timedelta(days=1))
    event(gate, rider, day - dt.timedelta(days=1, minutes=-15), Direction.OUT)
    event(gate, None, day, decision=Decision.DENY, reason=Reason.MALFORMED)
    client.force_login(staff_user)

    start = (day - dt.timedelta(days=1)).date().isoformat()
    response = client.get(
        reverse("dashboard:events_csv", args=[community.slug]),
        {"start": start, "end": day.date().isoformat()},
    )
    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0] == [
        "occurred_at",
        "gate",
        "direction",
        "decision",
        "reason",
        "source",
        "rider_id",
    ]
    assert [r[1:5] + r[6:] for r in rows[1:]] == [
        ["North Gate", "in", "open", "ok", "MT-77"],
        ["North Gate", "out", "open", "ok", "MT-77"],
        ["North Gate", "in", "deny", "malformed", ""],
    ]
    assert rows[1][0] == (day - dt.timedelta(days=1)).isoformat()

    bad = client.get(
        reverse("dashboard:events_csv", args=[community.slug]),
        {"start": day.isoformat(), "end": (day - dt.timedelta(days=1)).isoformat()},
    )
    assert bad.status_code == 400


def test_rider_history_shows_durations(client, staff_user, community):
    seeded = seed_known_day(community, now=timezone.now())
    client.force_login(staff_user)
    body = client.get(
        reverse("dashboard:rider_history", args=[seeded["riders"]["E"].pk]), **EN
    ).content.decode()
    assert '<td class="duration" data-label="Time inside">30:00</td>' in body


def test_csv_export_without_dates_is_the_last_week(client, staff_user, community):
    gate = GateFactory(community=community, name="North Gate")
    event(gate, None, timezone.now() - dt.timedelta(days=10))
    recent = event(gate, None, timezone.now() - dt.timedelta(hours=1))
    client.force_login(staff_user)

    response = client.get(reverse("dashboard:events_csv", args=[community.slug]))
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))

    assert len(rows) == 2
    assert rows[1][0] == timezone.localtime(recent.occurred_at).isoformat()


@pytest.mark.parametrize(
    "period",
    [
        {"start": "0001-01-01", "end": "9999-12-31"},
        {"start": "0001-01-01"},
        {"end": "9999-12-31"},
    ],
)
def test_dates_outside_the_calendar_the_portal_handles_are_a_400_not_a_500(
    client, staff_user, community, period
):
    GateFactory(community=community, name="North Gate")
    client.force_login(staff_user)
    client.raise_request_exception = False
    csv_response = client.get(reverse("dashboard:events_csv", args=[community.slug]), period, **EN)
    assert csv_response.status_code == 400
    assert "Choose a date from 2000-01-01 to 2999-12-31." in csv_response.content.decode()
    page = client.get(reverse("dashboard:community", args=[community.slug]), period, **EN)
    assert page.status_code == 200
    assert "Choose a date from 2000-01-01 to 2999-12-31." in page.content.decode()


def test_each_card_shows_the_communitys_rider_friendliness_trend(client, staff_user, company):
    """The index's daily snapshots (coordination) on the staff dashboard: the latest score
    and a 30-day chart per card, linked to the community's coordination page."""
    from coordination.models import FriendlinessSnapshot

    community = _busy_community(company, 0)
    today = timezone.localdate()
    for back, score in ((2, 61), (1, 70), (0, 74)):
        FriendlinessSnapshot.objects.create(
            community=community,
            day=today - dt.timedelta(days=back),
            score=score,
            components=[],
            computed_at=timezone.now(),
        )
    client.force_login(staff_user)
    html = client.get("/staff/", **EN).content.decode()
    assert "Rider-friendliness" in html and "<strong>74</strong>/100" in html
    assert html.count('class="trend-chart"') == 1
    assert f"/coordination/staff/{community.slug}/" in html
