"""The public rules page /c/<slug>/, its cache, its query budget and the finder."""

from __future__ import annotations

import io
import re
from datetime import time
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.utils import timezone
from PIL import Image

from communities import services
from communities.models import Building, Community, EntryPolicy, Unit
from communities.tests.factories import (
    BuildingFactory,
    CommunityFactory,
    DeliveryFacilityFactory,
    GateFactory,
    ParkingZoneFactory,
    RestStationFactory,
    UnitFactory,
)
from communities.views import PAGE_MEMO, PageMemo

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    PAGE_MEMO.clear()
    yield
    cache.clear()
    PAGE_MEMO.clear()


def _page(client, community, **extra) -> str:
    response = client.get(f"/c/{community.slug}/", **EN, **extra)
    assert response.status_code == 200
    return response.content.decode()


def _png(width: int = 400, height: int = 300) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), "#dde3ea").save(buffer, "PNG")
    return SimpleUploadedFile("map.png", buffer.getvalue(), content_type="image/png")


@pytest.fixture
def placed(community):
    """Garden Court with two buildings, gates (one closed to riders), zones and more."""
    b7 = BuildingFactory(community=community, number="7", x_pct=Decimal("80"), y_pct=Decimal("20"))
    BuildingFactory(community=community, number="3", x_pct=Decimal("20"), y_pct=Decimal("70"))
    UnitFactory(building=b7, entrance="2", number="1503")
    GateFactory(community=community, name="North Gate", x_pct=Decimal("75"), y_pct=Decimal("5"))
    GateFactory(community=community, name="South Gate", x_pct=Decimal("30"), y_pct=Decimal("95"))
    # Nearest to building 7 of all, but riders may not use it.
    GateFactory(
        community=community,
        name="Staff Gate",
        open_to_riders=False,
        x_pct=Decimal("81"),
        y_pct=Decimal("21"),
    )
    ParkingZoneFactory(community=community, name="Zone A", x_pct=Decimal("70"), y_pct=Decimal("15"))
    ParkingZoneFactory(community=community, name="Zone B", x_pct=Decimal("25"), y_pct=Decimal("80"))
    RestStationFactory(
        community=community,
        name="Rider Hut",
        has_microwave=True,
        opens_at=time(7),
        closes_at=time(22),
    )
    DeliveryFacilityFactory(community=community, name="Cabinet by the North Gate")
    return community


# --- content -------------------------------------------------------------------------


def test_the_page_needs_no_log_in_and_shows_every_part(client, placed):
    html = _page(client, placed)
    assert "Garden Court" in html
    assert "Riders may ride in after registering." in html
    for text in ("North Gate", "South Gate", "Staff Gate", "Zone A", "Rider Hut", "Microwave"):
        assert text in html
    assert "Cabinet by the North Gate" in html
    assert "Not for riders" in html
    assert "07:00" in html and "22:00" in html
    assert 'href="tel:021-5555-0100"' in html
    assert "Green Leaf Property" in html
    rules = services.rules_current(placed)
    set_on = timezone.localtime(rules.created_at).strftime("%Y-%m-%d")
    assert (
        f'Rules set on <time datetime="{timezone.localtime(rules.created_at).isoformat()}' in html
    )
    assert f">{set_on}</time> (version 1)." in html


def test_the_banner_says_each_entry_policy_in_plain_words(client, community):
    services.rules_publish(community=community, acting_user=None, entry_policy="open")
    assert "Riders may walk or ride in." in _page(client, community)
    services.rules_publish(
        community=community,
        acting_user=None,
        entry_policy=EntryPolicy.NO_ENTRY,
        handoff_point="Parcel desk at the West Gate",
    )
    html = _page(client, community)
    assert "No entry for riders." in html
    assert "Parcel desk at the West Gate" in html
    assert "policy--no_entry" in html


def test_rules_set_on_shows_the_current_version_date(client, community):
    rules = services.rules_publish(community=community, acting_user=None, speed_limit_kmh=10)
    html = _page(client, community)
    assert "(version 2)" in html
    assert timezone.localtime(rules.created_at).strftime("%Y-%m-%d") + "</time> (version 2)" in html
    assert "10 km/h" in html


def test_english_notes_are_shown_to_english_readers(client, community):
    services.rules_publish(
        community=community, acting_user=None, notes="请慢行", notes_en="Ride slowly"
    )
    assert "Ride slowly" in _page(client, community)
    zh = client.get(f"/c/{community.slug}/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "请慢行" in zh and '<html lang="zh-hans">' in zh


def test_unknown_community_is_404(client, db):
    assert client.get("/c/no-such-place/").status_code == 404
    assert client.get("/c/no-such-place/", {"q": "7"}).status_code == 404


def test_without_a_site_map_the_lists_still_show(client, placed):
    html = _page(client, placed)
    assert "<img" not in html
    assert "has no site map yet" in html
    assert "North Gate" in html


def test_the_site_map_has_alt_text_and_percent_markers(client, placed):
    placed.site_map = _png()
    placed.save()
    html = _page(client, placed)
    img = re.search(r"<img [^>]*>", html).group(0)
    assert "/media/site-maps/" in img and 'alt="Site map of Garden Court' in img
    assert 'width="400" height="300"' in img
    b7 = Building.objects.get(community=placed, number="7")
    assert f'<li class="mk-b" id="mb{b7.pk}" style="left:80.00%;top:20.00%">7</li>' in html
    # Markers are named for screen readers: buildings by their list, others by text.
    assert '<ul class="markers" aria-label="Buildings on the map">' in html
    assert '<span class="marker-label">North Gate</span>' in html


def test_no_inline_scripts_only_a_json_block_and_the_script_file(client, placed):
    html = _page(client, placed)
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", html, re.S)
    assert scripts
    for attrs, body in scripts:
        assert 'type="application/json"' in attrs or ("src=" in attrs and not body.strip())
    assert "/static/js/rules.js" in html


def test_the_finder_data_lists_buildings_but_not_units(client, placed):
    html = _page(client, placed)
    data = re.search(r'<script id="finder-data" type="application/json">(.*?)</script>', html)
    b7 = Building.objects.get(community=placed, number="7")
    assert f'[{b7.pk}, "7"]' in data.group(1)
    assert "1503" not in data.group(1)


def test_the_page_has_a_skip_link_viewport_and_language_switch(client, placed):
    html = _page(client, placed)
    assert '<html lang="en">' in html
    assert 'name="viewport"' in html
    assert 'href="#main"' in html and 'id="main"' in html
    assert f'href="/lang/zh-hans/?next=/c/{placed.slug}/"' in html


# --- cache ---------------------------------------------------------------------------


def test_a_warm_page_costs_one_query(client, placed, django_assert_num_queries):
    _page(client, placed)
    with django_assert_num_queries(1):
        _page(client, placed)


def test_a_warm_pages_one_query_is_prepared_on_the_server(client, placed):
    """The stamp is read on every view of a cached page: planned once per connection
    (core.db), not per view."""
    _page(client, placed)
    _page(client, placed)
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        prepared = [row[0] for row in cursor.fetchall()]
    assert any('"communities_community"' in sql and "slug" in sql for sql in prepared), prepared


def test_adding_a_parking_zone_shows_on_the_next_request(client, placed):
    assert "Zone C" not in _page(client, placed)
    ParkingZoneFactory(community=placed, name="Zone C")
    assert "Zone C" in _page(client, placed)


def test_publishing_new_rules_shows_on_the_next_request(client, placed):
    assert "Riders may ride in after registering." in _page(client, placed)
    services.rules_publish(
        community=placed, acting_user=None, entry_policy="no_entry", handoff_point="East desk"
    )
    html = _page(client, placed)
    assert "No entry for riders." in html and "East desk" in html


def test_renaming_or_removing_a_gate_shows_on_the_next_request(client, placed):
    _page(client, placed)
    gate = placed.gates.get(name="South Gate")
    gate.name = "Back Gate"
    gate.save()
    placed.gates.filter(name="Staff Gate").first().delete()
    html = _page(client, placed)
    assert "Back Gate" in html and "South Gate" not in html and "Staff Gate" not in html


def test_each_language_has_its_own_cached_page(client, placed):
    en = client.get(f"/c/{placed.slug}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    zh = client.get(f"/c/{placed.slug}/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert '<html lang="en">' in en and '<html lang="zh-hans">' in zh


def test_a_cached_page_is_the_same_for_everyone_and_sets_no_cookie(placed):
    first, second = Client(), Client()
    page_1 = first.get(f"/c/{placed.slug}/", **EN)
    page_2 = second.get(f"/c/{placed.slug}/", **EN)  # a cache hit
    assert page_1.content == page_2.content
    assert not page_2.cookies and "csrfmiddlewaretoken" not in page_2.content.decode()
    # The language switch link works for the second visitor, served from the cache.
    response = second.get(f"/lang/zh-hans/?next=/c/{placed.slug}/")
    assert response.status_code == 302 and response["Location"] == f"/c/{placed.slug}/"
    html_zh = second.get(f"/c/{placed.slug}/", **EN).content.decode()
    assert '<html lang="zh-hans">' in html_zh


def test_the_language_switch_never_redirects_off_site(client):
    response = client.get("/lang/en/?next=https://evil.example/")
    assert response.status_code == 302 and response["Location"] == "/"
    assert client.get("/lang/xx/?next=/").status_code == 404


# --- query budget on a big community --------------------------------------------------


@pytest.fixture
def big_community(company):
    """200 buildings × 100 units, with gates and parking zones."""
    community = CommunityFactory(company=company, slug="big-estate", name="Big Estate")
    community.site_map = _png(1000, 1000)
    community.save()
    buildings = Building.objects.bulk_create(
        Building(
            community=community,
            number=str(n),
            x_pct=Decimal(n % 20 * 5),
            y_pct=Decimal(n // 20 * 10),
        )
        for n in range(1, 201)
    )
    Unit.objects.bulk_create(
        Unit(
            building=b,
            entrance=str(1 + i // 50),
            number=str(101 + i),
            exclusive_area=Decimal("90"),
        )
        for b in buildings
        for i in range(100)
    )
    for name, x, y in (("North Gate", 50, 0), ("South Gate", 50, 100), ("West Gate", 0, 50)):
        GateFactory(community=community, name=name, x_pct=Decimal(x), y_pct=Decimal(y))
    for name, x, y in (("Zone A", 10, 10), ("Zone B", 90, 90)):
        ParkingZoneFactory(community=community, name=name, x_pct=Decimal(x), y_pct=Decimal(y))
    RestStationFactory(community=community)
    DeliveryFacilityFactory(community=community)
    return community


def test_a_200_by_100_community_renders_in_at_most_8_queries_cold_and_1_warm(
    client, big_community, django_assert_max_num_queries, django_assert_num_queries
):
    assert Unit.objects.filter(building__community=big_community).count() == 20_000
    with django_assert_max_num_queries(8):
        html = _page(client, big_community)
    assert html.count('<li class="mk-b"') == 200
    with django_assert_num_queries(1):
        _page(client, big_community)


def test_the_finder_without_javascript_stays_within_8_queries(
    client, big_community, django_assert_max_num_queries
):
    with django_assert_max_num_queries(8):
        response = client.get(f"/c/{big_community.slug}/", {"q": "7-1-105"}, **EN)
    html = response.content.decode()
    b7 = Building.objects.get(community=big_community, number="7")
    assert f'class="mk-b is-highlighted" aria-current="location" id="mb{b7.pk}"' in html
    assert "Building 7: enter by North Gate, park at Zone A." in html


def test_the_find_endpoint_stays_within_6_queries(
    client, big_community, django_assert_max_num_queries
):
    with django_assert_max_num_queries(6):
        response = client.get(f"/c/{big_community.slug}/find", {"q": "7栋1单元105室"}, **EN)
    assert response.status_code == 200
    assert response.json()["unit_exists"] is True


# --- the finder, server side ----------------------------------------------------------


def test_finding_a_house_number_highlights_its_building_with_nearest_rider_gate_and_zone(
    client, placed
):
    placed.site_map = _png()
    placed.save()
    response = client.get(f"/c/{placed.slug}/", {"q": "7-2-1503"}, **EN)
    html = response.content.decode()
    b7 = Building.objects.get(community=placed, number="7")
    north = placed.gates.get(name="North Gate")
    zone_a = placed.parking_zones.get(name="Zone A")
    assert "Building 7: enter by North Gate, park at Zone A." in html
    assert f'id="gate-{north.pk}"' in html
    assert re.search(rf'class="place is-nearest" id="gate-{north.pk}"', html)
    assert re.search(rf'class="place is-nearest" id="zone-{zone_a.pk}"', html)
    assert 'aria-current="location"' in html
    assert f'class="mk-b is-highlighted" aria-current="location" id="mb{b7.pk}"' in html
    assert 'value="7-2-1503"' in html


def test_a_page_with_a_query_is_not_served_from_the_cache(client, placed):
    _page(client, placed)
    html = client.get(f"/c/{placed.slug}/", {"q": "Building 3"}, **EN).content.decode()
    assert "Building 3: enter by South Gate, park at Zone B." in html


def test_an_unreadable_query_gets_a_clear_message_not_an_error(client, placed):
    response = client.get(f"/c/{placed.slug}/", {"q": "where is the shop?"}, **EN)
    assert response.status_code == 200
    assert "We could not read that house number" in response.content.decode()
    response = client.get(f"/c/{placed.slug}/", {"q": "x" * 5000}, **EN)
    assert response.status_code == 200


def test_find_json_answers_building_home_gate_and_zone(client, placed):
    response = client.get(f"/c/{placed.slug}/find", {"q": "7栋2单元1503室"}, **EN)
    assert response.status_code == 200
    body = response.json()
    assert body["found"] is True
    assert body["parsed"] == {"building": "7", "entrance": "2", "room": "1503"}
    assert body["building"]["number"] == "7"
    assert body["unit_exists"] is True
    assert body["gate"]["name"] == "North Gate"
    assert body["parking_zone"]["name"] == "Zone A"
    assert body["message"] == "Building 7: enter by North Gate, park at Zone A."


def test_find_json_says_when_the_home_is_not_listed(client, placed):
    body = client.get(f"/c/{placed.slug}/find", {"q": "7-2-9999"}, **EN).json()
    assert body["found"] is True and body["unit_exists"] is False
    assert "Home 7-2-9999 is not on our list" in body["message"]


def test_find_json_reads_a_dashed_pair_as_an_entrance_when_there_is_no_such_room(client, placed):
    body = client.get(f"/c/{placed.slug}/find", {"q": "7-2"}, **EN).json()
    assert body["parsed"] == {"building": "7", "entrance": "2", "room": None}
    assert body["entrance_exists"] is True and body["unit_exists"] is None


def test_find_json_errors(client, placed):
    response = client.get(f"/c/{placed.slug}/find", {"q": "hello"}, **EN)
    assert response.status_code == 400 and response.json()["error"] == "unreadable"
    response = client.get(f"/c/{placed.slug}/find", {"q": "Building 99"}, **EN)
    assert response.status_code == 404 and response.json()["error"] == "no_building"
    assert "There is no building 99" in response.json()["message"]
    response = client.get("/c/nowhere/find", {"q": "7"}, **EN)
    assert response.status_code == 404


def test_gates_closed_to_riders_are_never_the_nearest(client, placed):
    body = client.get(f"/c/{placed.slug}/find", {"q": "7"}, **EN).json()
    assert body["gate"]["name"] == "North Gate"  # Staff Gate is closer, but not for riders


def test_nearest_uses_the_maps_aspect_ratio(client, community):
    """On a wide map 10 % across is longer than 10 % down."""
    community.site_map = _png(1000, 100)
    community.save()
    BuildingFactory(community=community, number="1", x_pct=Decimal("50"), y_pct=Decimal("50"))
    GateFactory(community=community, name="Across", x_pct=Decimal("60"), y_pct=Decimal("50"))
    GateFactory(community=community, name="Down", x_pct=Decimal("50"), y_pct=Decimal("80"))
    body = client.get(f"/c/{community.slug}/find", {"q": "1"}, **EN).json()
    assert body["gate"]["name"] == "Down"


def test_no_entry_finder_sentence_points_to_the_hand_off(client, placed):
    services.rules_publish(
        community=placed, acting_user=None, entry_policy="no_entry", handoff_point="East desk"
    )
    body = client.get(f"/c/{placed.slug}/find", {"q": "7"}, **EN).json()
    assert body["message"] == "Building 7: riders may not enter; hand off at East desk."


def test_a_building_without_a_marker_is_found_but_said_to_be_unmarked(client, community):
    BuildingFactory(community=community, number="12", x_pct=None, y_pct=None)
    body = client.get(f"/c/{community.slug}/find", {"q": "12号楼"}, **EN).json()
    assert body["found"] is True and body["gate"] is None
    assert "has not been marked yet" in body["message"]


# --- the in-process page memo ---------------------------------------------------------


def test_the_page_memo_keeps_a_bounded_number_of_pages():
    memo = PageMemo(size=2)
    for key in ("a", "b", "c"):
        memo.put(key, [key.encode()])
    assert memo.get("a") is None
    assert memo.get("b") == [b"b"] and memo.get("c") == [b"c"]


def test_page_memo_entries_expire_like_the_shared_cache(settings):
    settings.RULES_PAGE_CACHE_SECONDS = -1  # already expired when stored
    memo = PageMemo()
    memo.put("a", [b"a"])
    assert memo.get("a") is None


def test_a_company_change_shows_once_the_cached_page_expires(client, placed, settings):
    """A company's name is outside the community's version stamp: it shows after the
    cache's lifetime, not at once."""
    _page(client, placed)
    placed.company.name = "Evergreen Property"
    placed.company.save()
    assert "Evergreen Property" not in _page(client, placed)
    cache.clear()
    PAGE_MEMO.clear()
    assert "Evergreen Property" in _page(client, placed)


# --- governance on the rules page --------------------------------------------------------


def test_notices_and_the_deciding_resolution_show_and_refresh_the_cache(client, placed):
    from governance.models import Notice

    url = f"/c/{placed.slug}/"
    assert "Water pipes" not in client.get(url, **EN).content.decode()
    Notice.objects.create(community=placed, title="Water pipes", body="Gate B closed Monday.")
    html = client.get(url, **EN).content.decode()
    assert "Water pipes" in html and "Gate B closed Monday." in html
    assert f'href="/vote/feedback/{placed.slug}/"' in html
    Notice.objects.get(title="Water pipes").delete()
    assert "Water pipes" not in client.get(url, **EN).content.decode()


def test_rules_set_by_a_resolution_say_so(client, placed, staff_user):
    from governance.models import Resolution, RulesDecision

    resolution = Resolution.objects.create(
        community=placed,
        number=4,
        title="Riders hand off at the gate",
        text="…",
        state="passed",
        closed_at=timezone_now(),
    )
    rules = services.rules_publish(
        community=placed,
        acting_user=staff_user,
        entry_policy="no_entry",
        handoff_point="North gate cabinet",
    )
    RulesDecision.objects.create(rules=rules, resolution=resolution)
    html = client.get(f"/c/{placed.slug}/", **EN).content.decode()
    assert (
        "Set by owners&#x27; resolution #4 on" in html or "Set by owners' resolution #4 on" in html
    )


def timezone_now():
    from django.utils import timezone

    return timezone.now()


def test_a_site_map_file_lost_from_media_is_not_a_500(client, company):
    """Django reads a picture's size when a row without stored dimensions loads: a file
    missing from media (a restore without files) made every page of the community 500."""
    community = CommunityFactory(company=company, slug="lost-map")
    Community.objects.filter(pk=community.pk).update(
        site_map="site-maps/never-uploaded.png", site_map_width=None, site_map_height=None
    )
    assert client.get("/c/lost-map/").status_code == 200
