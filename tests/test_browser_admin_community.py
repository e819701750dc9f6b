"""Issue 20, items 4–5: the admin's community change page has no axe violations (WCAG 2.1
AA), is no wider than the screen, and its map editor sits beside its rows with labelled
markers. axe-core is vendored under tests/vendor/axe-core (never fetched at test time)."""

import io
import json
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from communities.tests.factories import (
    BuildingFactory,
    CommunityFactory,
    DeliveryFacilityFactory,
    GateFactory,
    ParkingZoneFactory,
    RestStationFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
SIZES = {"phone": (360, 740), "desktop": (1280, 800)}


def _site_map() -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (800, 600), "#e8efe3").save(buffer, "PNG")
    return SimpleUploadedFile("map.png", buffer.getvalue(), content_type="image/png")


@pytest.fixture
def furnished(company):
    community = CommunityFactory(company=company, slug="willow", name="柳岸花园")
    community.site_map = _site_map()
    community.save()
    for n in range(4):
        BuildingFactory(
            community=community, number=str(n + 1), x_pct=Decimal(20 + n * 10), y_pct=Decimal(30)
        )
    GateFactory(community=community, name="North Gate", x_pct=Decimal(50), y_pct=Decimal(2))
    GateFactory(community=community, name="East Gate")
    ParkingZoneFactory(community=community)
    RestStationFactory(community=community)
    DeliveryFacilityFactory(community=community)
    return community


def _page(browser, live_server, user, size, lang):
    width, height = SIZES[size]
    context = browser.new_context(
        viewport={"width": width, "height": height},
        extra_http_headers={"Accept-Language": lang},
        bypass_csp=True,  # to inject axe; the page's own policy is tested elsewhere
    )
    client = Client()
    client.force_login(user)
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": live_server.url}]
    )
    return context, context.new_page()


def _axe(page) -> list[dict]:
    page.add_script_tag(content=AXE.read_text())
    result = page.evaluate(
        """() => axe.run(document, {runOnly: {type: 'tag',
             values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})"""
    )
    return [
        {"id": v["id"], "nodes": len(v["nodes"]), "first": v["nodes"][0]["target"]}
        for v in result["violations"]
    ]


@pytest.mark.parametrize("lang", ["zh-hans", "en"])
@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_admin_community_page_has_no_axe_violations_and_fits_the_screen(
    live_server, browser, screenshot_dir, staff_user, furnished, size, lang
):
    context, page = _page(browser, live_server, staff_user, size, lang)
    page.goto(f"{live_server.url}/admin/communities/community/{furnished.pk}/change/")
    page.wait_for_selector("#community_form")
    violations = _axe(page)
    assert violations == [], json.dumps(violations, ensure_ascii=False, indent=1)
    assert page.evaluate("document.documentElement.scrollWidth") <= SIZES[size][0]
    page.screenshot(path=f"{screenshot_dir}/admin-community-{size}-{lang}.png", full_page=True)
    context.close()
