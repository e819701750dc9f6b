"""The public communities API: list and detail, their shapes, query counts and 404s."""

from __future__ import annotations

from datetime import time
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext, override_settings

from communities import services
from communities.models import DeliveryFacility, EntryPolicy
from communities.tests.factories import (
    BuildingFactory,
    CommunityFactory,
    DeliveryFacilityFactory,
    GateFactory,
    ParkingZoneFactory,
    RestStationFactory,
    UnitFactory,
)

LIST_URL = "/api/v1/communities/"


def detail_url(slug: str) -> str:
    return f"/api/v1/communities/{slug}/"


def _list_queries(client) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(LIST_URL)
    assert response.status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.django_db
@override_settings(PORTAL_BASE_URL="https://last100.example")
def test_list_shows_each_community_with_its_current_policy_and_page_url(client, company):
    CommunityFactory(company=company, slug="b-court", name="B Court", address="2 Road")
    a = CommunityFactory(company=company, slug="a-garden", name="A Garden", address="1 Road")
    services.rules_publish(
        community=a, acting_user=None, entry_policy=EntryPolicy.NO_ENTRY, handoff_point="Gate"
    )

    response = client.get(LIST_URL)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body["count"] == 2
    assert body["results"] == [
        {
            "slug": "a-garden",
            "name": "A Garden",
            "address": "1 Road",
            "entry_policy": "no_entry",
            "url": "https://last100.example/c/a-garden/",
            "api_url": "https://last100.example/api/v1/communities/a-garden/",
        },
        {
            "slug": "b-court",
            "name": "B Court",
            "address": "2 Road",
            "entry_policy": "registered",
            "url": "https://last100.example/c/b-court/",
            "api_url": "https://last100.example/api/v1/communities/b-court/",
        },
    ]


@pytest.mark.django_db
@override_settings(PORTAL_BASE_URL="")
def test_list_urls_fall_back_to_the_request_host_without_a_base_url(client, community):
    body = client.get(LIST_URL, HTTP_HOST="portal.test").json()
    assert body["results"][0]["url"] == "http://portal.test/c/garden-court/"


@pytest.mark.django_db
def test_list_is_paginated_fifty_a_page_in_name_order(client, company):
    for n in range(53):
        CommunityFactory(company=company, slug=f"c-{n:02d}", name=f"Community {n:02d}")

    first = client.get(LIST_URL).json()
    second = client.get(LIST_URL, {"page": 2}).json()

    assert first["count"] == 53
    assert len(first["results"]) == 50
    assert first["next"].endswith("?page=2")
    assert [r["slug"] for r in second["results"]] == ["c-50", "c-51", "c-52"]
    assert client.get(LIST_URL, {"page": 3}).status_code == 404


@pytest.mark.django_db
def test_list_query_count_does_not_grow_with_communities(client, company):
    CommunityFactory(company=company)
    one = _list_queries(client)
    for _ in range(30):
        community = CommunityFactory(company=company)
        services.rules_publish(community=community, acting_user=None, notes="v2")
    many = _list_queries(client)
    assert one == many <= 2


@pytest.mark.django_db
def test_api_is_public_and_read_only(client, community):
    assert client.get(LIST_URL).status_code == 200
    assert client.get(detail_url(community.slug)).status_code == 200
    assert client.post(LIST_URL, {}).status_code == 405
    assert client.delete(detail_url(community.slug)).status_code == 405


@pytest.mark.django_db
def test_unknown_slug_is_a_json_404_in_the_callers_language(client):
    response = client.get(detail_url("no-such-place"), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "There is no community with this slug."}
    chinese = client.get(detail_url("no-such-place"), HTTP_ACCEPT_LANGUAGE="zh-CN")
    assert chinese.json() == {"detail": "没有使用该标识的小区。"}


@pytest.fixture
def furnished(company):
    """A no-entry community with one of everything the detail shows."""
    community = CommunityFactory(
        company=company,
        slug="sky-harbour",
        name="Sky Harbour",
        office_phone="021-6666-0201",
        office_location="South Gate booth",
        entry_policy=EntryPolicy.NO_ENTRY,
        handoff_point="Table outside the South Gate",
    )
    services.rules_publish(
        community=community,
        acting_user=None,
        x_pct=Decimal("56.00"),
        y_pct=Decimal("96.50"),
        speed_limit_kmh=10,
        rider_hours_start=time(7, 0),
        rider_hours_end=time(23, 30),
        notes="骑手不得进入",
        notes_en="Riders may not enter",
    )
    GateFactory(
        community=community,
        name="North Gate",
        open_to_riders=False,
        opens_at=time(6, 30),
        closes_at=time(22, 0),
    )
    GateFactory(community=community, name="South Gate", x_pct=None, y_pct=None)
    ParkingZoneFactory(community=community, name="Zone A", capacity=25, has_charging=True)
    RestStationFactory(
        community=community,
        name="Rider Station",
        has_water=True,
        has_charging=False,
        has_microwave=True,
        opens_at=time(10, 0),
        closes_at=time(2, 0),
    )
    DeliveryFacilityFactory(community=community, name="Cabinet", capacity=60)
    DeliveryFacilityFactory(
        community=community,
        name="Robot point",
        kind=DeliveryFacility.Kind.ROBOT_PICKUP,
        status=DeliveryFacility.Status.PLANNED,
        capacity=0,
    )
    for number in ("10", "2", "7A", "1", "7"):
        BuildingFactory(community=community, number=number)
    return community


@pytest.mark.django_db
@override_settings(PORTAL_BASE_URL="https://last100.example")
def test_detail_shows_current_rules_gates_places_and_buildings(client, furnished):
    response = client.get(detail_url("sky-harbour"), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    body = response.json()

    assert body["name"] == "Sky Harbour"
    assert body["office_phone"] == "021-6666-0201"
    assert body["company"] == {"name": "Green Leaf Property", "phone": ""}
    assert body["url"] == "https://last100.example/c/sky-harbour/"
    assert body["site_map"] is None
    rules = body["rules"]
    assert rules["version"] == 2
    assert rules["entry_policy"] == "no_entry"
    assert rules["entry_policy_label"] == "No entry: hand off at the agreed point"
    assert rules["handoff_point"] == "Table outside the South Gate"
    assert rules["handoff_marker"] == {"x_pct": 56.0, "y_pct": 96.5}
    assert rules["speed_limit_kmh"] == 10
    assert (rules["rider_hours_start"], rules["rider_hours_end"]) == ("07:00", "23:30")
    assert rules["notes"] == "骑手不得进入" and rules["notes_en"] == "Riders may not enter"
    assert rules["set_on"]

    assert body["gates"] == [
        {
            "name": "North Gate",
            "name_en": "",
            "open_to_riders": False,
            "opens_at": "06:30",
            "closes_at": "22:00",
            "notes": "",
            "notes_en": "",
            "marker": {"x_pct": 5.0, "y_pct": 50.0},
        },
        {
            "name": "South Gate",
            "name_en": "",
            "open_to_riders": True,
            "opens_at": None,
            "closes_at": None,
            "notes": "",
            "notes_en": "",
            "marker": None,
        },
    ]
    assert body["parking_zones"][0] == {
        "name": "Zone A",
        "name_en": "",
        "capacity": 25,
        "has_charging": True,
        "notes": "",
        "notes_en": "",
        "marker": {"x_pct": 10.0, "y_pct": 45.0},
    }
    station = body["rest_stations"][0]
    assert station["amenities"] == ["water", "microwave"]
    assert (station["opens_at"], station["closes_at"]) == ("10:00", "02:00")
    kinds = {(f["kind"], f["status"], f["capacity"]) for f in body["facilities"]}
    assert kinds == {("food_cabinet", "active", 60), ("robot_pickup", "planned", 0)}
    assert [b["number"] for b in body["buildings"]] == ["1", "2", "7", "7A", "10"]
    assert set(body["buildings"][0]) == {"number", "name", "marker"}
    assert "units" not in body


@pytest.mark.django_db
def test_detail_follows_a_newly_published_rules_version(client, community):
    assert client.get(detail_url(community.slug)).json()["rules"]["entry_policy"] == "registered"
    services.rules_publish(community=community, acting_user=None, entry_policy=EntryPolicy.OPEN)
    rules = client.get(detail_url(community.slug)).json()["rules"]
    assert (rules["version"], rules["entry_policy"]) == (2, "open")


@pytest.mark.django_db
def test_detail_gives_the_site_map_address_and_size(client, community):
    import io

    from django.core.files.base import ContentFile
    from PIL import Image

    png = io.BytesIO()
    Image.new("RGB", (1200, 900), "#e9e5dc").save(png, format="PNG")
    community.site_map.save("api-test.png", ContentFile(png.getvalue()))
    site_map = client.get(detail_url(community.slug)).json()["site_map"]
    assert site_map["url"].endswith(community.site_map.url)
    assert "/media/site-maps/" in site_map["url"]
    assert (site_map["width"], site_map["height"]) == (1200, 900)
    community.site_map.delete(save=False)


@pytest.mark.django_db
def test_detail_query_count_is_bounded_whatever_the_size(client, furnished):
    with CaptureQueriesContext(connection) as small:
        assert client.get(detail_url(furnished.slug)).status_code == 200
    for n in range(20):
        building = BuildingFactory(community=furnished, number=str(100 + n))
        UnitFactory.create_batch(5, building=building)
        GateFactory(community=furnished)
        ParkingZoneFactory(community=furnished)
        RestStationFactory(community=furnished)
        DeliveryFacilityFactory(community=furnished)
    with CaptureQueriesContext(connection) as large:
        body = client.get(detail_url(furnished.slug)).json()
    assert len(body["buildings"]) == 25
    assert len(large.captured_queries) == len(small.captured_queries) <= 8


@pytest.mark.django_db
def test_api_needs_no_session_or_csrf(client, staff_user, community):
    """Anonymous and logged-in callers get the same public answer."""
    anonymous = client.get(detail_url(community.slug)).json()
    client.force_login(staff_user)
    assert client.get(detail_url(community.slug)).json() == anonymous
