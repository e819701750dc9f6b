"""A rider on a 360-px phone opens a rules page, types a house number and sees the
building highlighted on the community's own site map, with the nearest rider gate and
parking zone named. Real Chromium through Playwright; the screenshot is kept."""

from __future__ import annotations

import io
import os
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageDraw

from communities.models import Building
from communities.tests.factories import (
    BuildingFactory,
    CommunityFactory,
    DeliveryFacilityFactory,
    GateFactory,
    ParkingZoneFactory,
    RestStationFactory,
    UnitFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTH, HEIGHT = 800, 600
# number: (x %, y %)
BUILDINGS = {"1": (20, 25), "3": (45, 25), "5": (70, 25), "7": (80, 60), "9": (25, 70)}


def _site_map() -> SimpleUploadedFile:
    """A site map drawn the way a property office would: lawn, roads, building blocks."""
    image = Image.new("RGB", (WIDTH, HEIGHT), "#e8efe3")
    draw = ImageDraw.Draw(image)
    draw.rectangle([0, HEIGHT * 0.45, WIDTH, HEIGHT * 0.5], fill="#c9c9c9")  # main road
    draw.rectangle([WIDTH * 0.55, 0, WIDTH * 0.6, HEIGHT], fill="#c9c9c9")
    for x, y in BUILDINGS.values():
        cx, cy = WIDTH * x / 100, HEIGHT * y / 100
        draw.rectangle([cx - 45, cy - 28, cx + 45, cy + 28], fill="#b8a58c", outline="#6b5b45")
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return SimpleUploadedFile("garden-court.png", buffer.getvalue(), content_type="image/png")


@pytest.fixture
def mapped_community(company):
    community = CommunityFactory(company=company, slug="garden-court", name="Garden Court")
    community.site_map = _site_map()
    community.save()
    for number, (x, y) in BUILDINGS.items():
        building = BuildingFactory(
            community=community, number=number, x_pct=Decimal(x), y_pct=Decimal(y)
        )
        UnitFactory(building=building, entrance="2", number="1503")
    GateFactory(community=community, name="North Gate", x_pct=Decimal(75), y_pct=Decimal(3))
    GateFactory(community=community, name="East Gate", x_pct=Decimal(97), y_pct=Decimal(40))
    GateFactory(
        community=community,
        name="Garage Gate",
        open_to_riders=False,
        x_pct=Decimal(82),
        y_pct=Decimal(62),
    )
    ParkingZoneFactory(community=community, name="Zone A", x_pct=Decimal(90), y_pct=Decimal(70))
    ParkingZoneFactory(community=community, name="Zone B", x_pct=Decimal(10), y_pct=Decimal(47))
    RestStationFactory(community=community, name="Rider Hut", x_pct=Decimal(50), y_pct=Decimal(90))
    DeliveryFacilityFactory(
        community=community, name="North cabinet", x_pct=Decimal(68), y_pct=Decimal(6)
    )
    cache.clear()
    return community


def test_a_rider_finds_a_house_number_on_a_phone(
    live_server, phone_page, mapped_community, screenshot_dir
):
    page = phone_page
    outside_requests: list[str] = []
    page.on(
        "request",
        lambda r: None if r.url.startswith(live_server.url) else outside_requests.append(r.url),
    )
    page.set_extra_http_headers({"Accept-Language": "en"})
    page.goto(f"{live_server.url}/c/{mapped_community.slug}/")

    # The community's own map image loaded (no outside tiles).
    loaded = page.eval_on_selector(".sitemap-canvas img", "img => img.complete && img.naturalWidth")
    assert loaded == WIDTH
    assert page.locator(".policy h2").inner_text() == "Riders may ride in after registering."
    # Phone first: nothing overflows sideways at 360 px.
    assert page.evaluate("document.documentElement.scrollWidth") <= 360

    page.get_by_label("House number").fill("7-2-1503")
    page.get_by_role("button", name="Find").click()

    b7 = Building.objects.get(community=mapped_community, number="7")
    marker = page.locator(f"#mb{b7.pk}")
    marker.wait_for(state="attached")
    page.wait_for_selector(f"#mb{b7.pk}.is-highlighted")
    assert marker.get_attribute("aria-current") == "location"
    assert page.locator(".markers .is-highlighted").count() == 1
    result = page.locator("#finder-result")
    assert result.inner_text() == "Building 7: enter by East Gate, park at Zone A."
    # The nearest rider gate and zone are marked on the map and in the lists.
    assert "East Gate" in page.locator(".marker--gate.is-nearest").inner_text()
    assert "Zone A" in page.locator(".marker--parking.is-nearest").inner_text()
    assert page.locator(".place.is-nearest").count() == 2
    assert "q=7-2-1503" in page.url

    page.wait_for_timeout(400)  # let the smooth scroll settle before the picture
    path = os.path.join(screenshot_dir, "rules-finder-phone.png")
    page.screenshot(path=path, full_page=False)
    assert os.path.getsize(path) > 10_000
    assert outside_requests == []


def test_the_finder_works_without_javascript(browser, live_server, mapped_community):
    context = browser.new_context(
        viewport={"width": 360, "height": 740}, java_script_enabled=False, locale="en"
    )
    page = context.new_page()
    try:
        page.set_extra_http_headers({"Accept-Language": "en"})
        page.goto(f"{live_server.url}/c/{mapped_community.slug}/")
        page.get_by_label("House number").fill("7栋2单元1503室")
        page.get_by_role("button", name="Find").click()
        page.wait_for_load_state()
        b7 = Building.objects.get(community=mapped_community, number="7")
        assert "is-highlighted" in page.locator(f"#mb{b7.pk}").get_attribute("class")
        assert "enter by East Gate, park at Zone A" in page.locator("#finder-result").inner_text()
    finally:
        context.close()
