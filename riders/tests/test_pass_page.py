"""The rider's pass: /pass/ and /pass/tokens."""

from __future__ import annotations

import re
import time

import pytest
import zxingcpp
from django.conf import settings
from django.urls import reverse
from PIL import Image, ImageDraw

from communities.services import rules_publish
from communities.tests.factories import CommunityFactory
from core.qr import qr_svg
from riders.models import GrantStatus
from riders.services.devices import device_issue
from riders.services.grants import grant_revoke, grant_suspend
from riders.services.keys import pass_token_decode
from riders.tests.factories import AccessGrantFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def client(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


@pytest.fixture
def signed_in(client, rider):
    client.cookies[settings.RIDERS_DEVICE_COOKIE] = device_issue(rider=rider)
    return client


def svg_to_image(svg: str, scale: int = 8) -> Image.Image:
    """Draw our own SVG (a rect and one path of `Mx yhNv1h-Nz` runs) with PIL."""
    size = int(re.search(r'viewBox="0 0 (\d+) \d+"', svg).group(1))
    image = Image.new("L", (size * scale, size * scale), 255)
    draw = ImageDraw.Draw(image)
    for x, y, n in re.findall(r"M(\d+) (\d+)h(\d+)v1h-\d+z", svg):
        x, y, n = int(x), int(y), int(n)
        draw.rectangle([x * scale, y * scale, (x + n) * scale - 1, (y + 1) * scale - 1], fill=0)
    return image


def test_qr_svg_reads_back_as_the_token():
    token = "eyJhbGciOiJFZERTQSJ9." + "x" * 260 + ".sig"
    svg = qr_svg(token, title="Pass for <Garden>")
    assert svg.startswith("<svg") and "&lt;Garden&gt;" in svg and "<Garden>" not in svg
    found = zxingcpp.read_barcodes(svg_to_image(svg))
    assert [r.text for r in found] == [token]


def test_without_a_device_cookie_the_page_explains_how_to_get_a_pass(client):
    response = client.get(reverse("riders:pass"))
    assert response.status_code == 200
    assert "No pass on this phone yet" in response.content.decode()
    assert client.get(reverse("riders:pass_tokens")).status_code == 403


def test_an_unknown_cookie_is_no_pass(client):
    client.cookies[settings.RIDERS_DEVICE_COOKIE] = "forged-token"
    assert "No pass on this phone yet" in client.get(reverse("riders:pass")).content.decode()


def test_active_grant_shows_a_qr_of_a_fresh_signed_pass(signed_in, rider, community):
    grant = AccessGrantFactory(rider=rider, community=community)
    response = signed_in.get(reverse("riders:pass"))
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"] or "no-cache" in response["Cache-Control"]
    page = response.content.decode()
    assert "李雷" in page and "Demo Delivery" in page and "Xuhui Station" in page
    assert "Garden Court" in page and "Active: show this code at the gate." in page
    assert reverse("communities:rules", args=[community.slug]) in page
    assert f'data-grant="{grant.pk}"' in page
    svg = re.search(r"<svg.*?</svg>", page, re.S).group(0)
    token = zxingcpp.read_barcodes(svg_to_image(svg))[0].text
    claims = pass_token_decode(token)
    assert (claims.grant_id, claims.community_id, claims.rider_id) == (
        grant.pk,
        community.pk,
        rider.pk,
    )
    assert claims.expires_at - claims.issued_at <= 30
    assert 'src="/static/js/pass.js"' in page and "<script>" not in page


def test_tokens_endpoint_gives_a_new_code_each_time(signed_in, rider, community):
    grant = AccessGrantFactory(rider=rider, community=community)
    first = signed_in.get(reverse("riders:pass_tokens")).json()
    second = signed_in.get(reverse("riders:pass_tokens")).json()
    assert [p["grant_id"] for p in first["passes"]] == [grant.pk]
    assert first["passes"][0]["token"] != second["passes"][0]["token"]
    entry = first["passes"][0]
    assert entry["svg"].startswith("<svg")
    assert 0 < entry["expires_at"] - time.time() <= 31
    assert pass_token_decode(entry["token"]).grant_id == grant.pk
    assert first["refresh_seconds"] == 15


def test_revoked_grant_loses_its_code(signed_in, rider, community):
    grant = AccessGrantFactory(rider=rider, community=community)
    grant_revoke(grant=grant, reason="Fake identity", acting_user=None)
    assert signed_in.get(reverse("riders:pass_tokens")).json()["passes"] == []
    page = signed_in.get(reverse("riders:pass")).content.decode()
    assert "<svg" not in page and "Withdrawn. Fake identity" in page


def test_every_state_is_said_in_words(signed_in, rider, company):
    states = {
        GrantStatus.PENDING: "Waiting for approval at the property office.",
        GrantStatus.SUSPENDED: "Suspended. Speeding",
        GrantStatus.REVOKED: "Withdrawn.",
    }
    for status in states:
        community = CommunityFactory(company=company)
        grant = AccessGrantFactory(rider=rider, community=community, status=GrantStatus.PENDING)
        if status == GrantStatus.SUSPENDED:
            grant_suspend(grant=grant, reason="Speeding", acting_user=None)
        elif status == GrantStatus.REVOKED:
            grant_revoke(grant=grant, reason="Left", acting_user=None)
    page = signed_in.get(reverse("riders:pass")).content.decode()
    for text in states.values():
        assert text in page
    assert "<svg" not in page


def test_no_entry_community_shows_the_hand_off_point_not_a_code(signed_in, rider, community):
    AccessGrantFactory(rider=rider, community=community)
    rules_publish(
        community=community,
        acting_user=None,
        entry_policy="no_entry",
        handoff_point="Shelf by the east gate",
    )
    page = signed_in.get(reverse("riders:pass")).content.decode()
    assert "Shelf by the east gate" in page and "<svg" not in page
    assert signed_in.get(reverse("riders:pass_tokens")).json()["passes"] == []


def test_a_rider_sees_only_their_own_grants(signed_in, rider, community):
    AccessGrantFactory(community=community)  # someone else's
    page = signed_in.get(reverse("riders:pass")).content.decode()
    assert "<svg" not in page and "You have not registered at any community yet" in page


def test_many_communities_cost_the_same_queries(
    signed_in, rider, company, django_assert_max_num_queries
):
    for _ in range(12):
        AccessGrantFactory(rider=rider, community=CommunityFactory(company=company))
    signed_in.get(reverse("riders:pass"))  # the signing key is created on first use
    with django_assert_max_num_queries(3):
        response = signed_in.get(reverse("riders:pass"))
    assert response.content.decode().count("<svg") == 12
    with django_assert_max_num_queries(3):
        assert len(signed_in.get(reverse("riders:pass_tokens")).json()["passes"]) == 12


@pytest.mark.parametrize("seed", range(20))
def test_random_pass_sized_tokens_always_read_back(seed):
    import random
    import string

    rng = random.Random(seed)
    alphabet = string.ascii_letters + string.digits + "-_."
    token = "".join(rng.choice(alphabet) for _ in range(rng.randint(250, 330)))
    found = zxingcpp.read_barcodes(svg_to_image(qr_svg(token), scale=4))
    assert [r.text for r in found] == [token]
