"""OpenAPI schema and the Swagger UI docs page, served without the internet."""

from __future__ import annotations

import re
from urllib.parse import urlparse

import pytest
from django.contrib.staticfiles import finders
from drf_spectacular.validation import validate_schema


@pytest.mark.django_db
def test_schema_is_valid_openapi_3_and_describes_the_communities_api(client):
    response = client.get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    schema = response.json()
    validate_schema(schema)  # raises on an invalid OpenAPI 3 document
    assert schema["openapi"].startswith("3.")
    paths = schema["paths"]
    assert "/api/v1/communities/" in paths
    detail = paths["/api/v1/communities/{slug}/"]["get"]
    assert set(detail["responses"]) == {"200", "404"}
    detail_schema = schema["components"]["schemas"]["CommunityDetail"]["properties"]
    assert "units" not in detail_schema
    assert {"rules", "gates", "parking_zones", "rest_stations", "facilities", "buildings"} <= set(
        detail_schema
    )


def _asset_urls(html: str) -> list[str]:
    return re.findall(r"""(?:src|href)\s*=\s*["']([^"']+)["']""", html)


@pytest.mark.django_db
def test_docs_page_loads_only_local_assets(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assets = _asset_urls(html)
    assert any(a.endswith("swagger-ui-bundle.js") for a in assets)
    assert not re.search(r"https?://", html), "the docs page names an outside address"
    assert '"validatorUrl": null' in html  # no call to the online validator either
    for asset in assets:
        parsed = urlparse(asset)
        assert not parsed.netloc and asset.startswith("/static/"), asset


@pytest.mark.django_db
def test_every_asset_of_the_docs_page_is_served(client, settings):
    html = client.get("/api/docs/").content.decode()
    for asset in _asset_urls(html):
        relative = asset.removeprefix(settings.STATIC_URL)
        assert finders.find(relative), asset
        response = client.get(asset)
        assert response.status_code == 200, asset
        body = b"".join(response.streaming_content) if response.streaming else response.content
        assert len(body) > 100, asset


@pytest.mark.browser
def test_docs_render_in_a_browser_without_the_internet(browser, live_server, screenshot_dir):
    """Swagger UI draws the communities endpoints and asks no outside host for anything."""
    import os

    local = urlparse(live_server.url).netloc
    outside: list[str] = []
    context = browser.new_context(viewport={"width": 1024, "height": 800})
    page = context.new_page()

    def guard(route):
        if urlparse(route.request.url).netloc == local:
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    page.route("**/*", guard)
    try:
        page.goto(f"{live_server.url}/api/docs/")
        page.wait_for_selector("text=/api/v1/communities/{slug}/", timeout=15_000)
        page.screenshot(path=os.path.join(screenshot_dir, "api-docs.png"))
    finally:
        context.close()
    assert outside == []
