"""Issue 21.5: every page has a favicon (no 404 in any console) and a meta description."""

from __future__ import annotations

import re

import pytest
from django.contrib.staticfiles import finders
from django.urls import reverse

pytestmark = pytest.mark.django_db


def _head(html: str) -> str:
    return html[: html.index("</head>")]


@pytest.mark.parametrize("lang", ["zh-hans", "en"])
def test_public_pages_carry_an_icon_and_a_description(client, community, gate, lang):
    for url in (
        "/",
        reverse("communities:rules", args=[community.slug]),
        reverse("riders:register", args=[gate.entry_code]),
        reverse("riders:pass"),
        "/vote/",
    ):
        response = client.get(url, HTTP_ACCEPT_LANGUAGE=lang, follow=True)
        head = _head(response.content.decode())
        description = re.search(r'<meta name="description" content="([^"]+)">', head)
        assert description and len(description.group(1)) > 20, url
        icons = re.findall(r'<link rel="(?:icon|apple-touch-icon)" href="/static/([^"]+)"', head)
        assert icons, url
        for path in icons:
            assert finders.find(path), f"{url}: {path} missing"


def test_rules_page_description_names_the_community(client, community):
    html = client.get(
        reverse("communities:rules", args=[community.slug]), HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    assert f'<meta name="description" content="Delivery rules of {community.name}' in html


def test_favicon_ico_is_found_not_404(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 302
    assert finders.find(response["Location"].removeprefix("/static/"))
