"""Registration at a gate: /r/<gate-code>/ with a one-click assertion, by hand, and every
refusal as a clear page with a 4xx status."""

from __future__ import annotations

import io

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from communities.tests.factories import CommunityFactory, GateFactory
from riders.models import AccessGrant, GrantSource, GrantStatus, Rider, RiderDevice
from riders.services.gates import gate_code_rotate
from riders.services.grants import grant_suspend
from riders.tests.factories import (
    AccessGrantFactory,
    RiderFactory,
    sign_assertion,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def client(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def link(gate, token: str) -> str:
    return reverse("riders:register", args=[gate.entry_code]) + "?assertion=" + token


def test_one_click_link_registers_the_rider_and_opens_the_pass(
    client, gate, platform, django_assert_max_num_queries
):
    token = sign_assertion(platform, sub="R77", name="李雷", plate="沪A12345")
    # Savepoints included; the view adds two (gate by code, device row), the rest is the
    # registration service (13 of our own, test_perf_paths.py) and gate sync's 3 writes.
    # No QR is drawn here.
    with django_assert_max_num_queries(18):
        response = client.get(link(gate, token))
    assert response.status_code == 302
    assert response["Location"] == reverse("riders:pass")
    rider = Rider.objects.get(platform=platform, platform_rider_id="R77")
    assert rider.name == "李雷" and rider.verified_by_platform and rider.vehicle_plate == "沪A12345"
    grant = AccessGrant.objects.get(rider=rider, community=gate.community)
    assert grant.status == GrantStatus.ACTIVE and grant.source == GrantSource.PLATFORM
    cookie = response.cookies[settings.RIDERS_DEVICE_COOKIE]
    assert cookie["httponly"] and cookie["samesite"] == "Lax" and not cookie["secure"]
    assert int(cookie["max-age"]) >= 300 * 24 * 3600
    assert RiderDevice.objects.filter(rider=rider).count() == 1


def test_cookie_is_secure_over_https(client, gate, platform):
    response = client.get(link(gate, sign_assertion(platform)), secure=True)
    assert response.status_code == 302
    assert response.cookies[settings.RIDERS_DEVICE_COOKIE]["secure"]


def test_a_second_link_on_the_same_phone_keeps_its_device(client, gate, platform):
    client.get(link(gate, sign_assertion(platform, sub="R1")))
    response = client.get(link(gate, sign_assertion(platform, sub="R1")))
    assert response.status_code == 302
    assert settings.RIDERS_DEVICE_COOKIE not in response.cookies
    assert RiderDevice.objects.count() == 1


def test_community_that_approves_by_hand_gives_a_pending_grant(client, company, platform):
    community = CommunityFactory(company=company, auto_approve_verified_riders=False)
    gate = GateFactory(community=community)
    response = client.get(link(gate, sign_assertion(platform)), follow=True)
    assert response.status_code == 200
    assert AccessGrant.objects.get().status == GrantStatus.PENDING
    assert "Waiting for approval at the property office." in response.content.decode()
    assert b"<svg" not in response.content


def test_link_used_twice_is_refused(client, gate, platform):
    token = sign_assertion(platform)
    assert client.get(link(gate, token)).status_code == 302
    response = client.get(link(gate, token))
    assert response.status_code == 410
    assert "This link was already used" in response.content.decode()


def test_expired_link_is_refused(client, gate, platform):
    token = sign_assertion(platform, iat=1_000_000, exp=1_000_300)
    response = client.get(link(gate, token))
    assert response.status_code == 410
    assert "This link has expired" in response.content.decode()
    assert not Rider.objects.exists()


def test_unknown_platform_is_refused(client, gate, platform):
    token = sign_assertion(platform, iss="nobody")
    response = client.get(link(gate, token))
    assert response.status_code == 403
    assert "This delivery platform is not known here" in response.content.decode()


@pytest.mark.parametrize("token", ["", "garbage", "a.b.c", "x" * 5000, "é" * 10])
def test_broken_link_is_a_clear_400(client, gate, platform, token):
    response = client.get(link(gate, token))
    assert response.status_code == 400
    assert "This link is not valid" in response.content.decode()
    assert not Rider.objects.exists()


def test_forged_signature_is_refused(client, gate, platform):
    token = sign_assertion(platform)
    head, body, sig = token.split(".")
    forged = ".".join([head, body, ("A" if sig[0] != "A" else "B") + sig[1:]])
    assert client.get(link(gate, forged)).status_code == 400


def test_no_entry_community_shows_the_hand_off_rules_and_gives_no_grant(client, company, platform):
    community = CommunityFactory(
        company=company, entry_policy="no_entry", handoff_point="Parcel shelf at the east gate"
    )
    gate = GateFactory(community=community)
    response = client.get(link(gate, sign_assertion(platform)))
    assert response.status_code == 403
    page = response.content.decode()
    assert f"Riders may not enter {community.name}" in page
    assert "Parcel shelf at the east gate" in page
    assert reverse("communities:rules", args=[community.slug]) in page
    assert not AccessGrant.objects.exists()


def test_suspended_rider_stays_suspended(client, gate, platform):
    rider = RiderFactory(platform=platform, platform_rider_id="R9")
    grant = AccessGrantFactory(rider=rider, community=gate.community)
    grant_suspend(grant=grant, reason="Rode on the lawn", acting_user=None)
    response = client.get(link(gate, sign_assertion(platform, sub="R9")))
    assert response.status_code == 403
    page = response.content.decode()
    assert "is suspended" in page and "Rode on the lawn" in page
    grant.refresh_from_db()
    assert grant.status == GrantStatus.SUSPENDED


def test_rider_deactivated_by_the_platform_gets_no_pass(client, gate, platform):
    RiderFactory(platform=platform, platform_rider_id="R9", platform_active=False)
    response = client.get(link(gate, sign_assertion(platform, sub="R9")))
    assert response.status_code == 403
    assert "deactivated" in response.content.decode()
    assert not AccessGrant.objects.exists()


def test_unknown_gate_code_is_a_404_page(client):
    response = client.get(reverse("riders:register", args=["no-such-code"]))
    assert response.status_code == 404
    assert "This gate code is unknown" in response.content.decode()


def test_old_code_after_rotation_says_it_was_replaced(client, gate, platform):
    old = gate.entry_code
    gate_code_rotate(gate=gate, acting_user=None)
    for url in (
        reverse("riders:register", args=[old]),
        reverse("riders:register", args=[old]) + "?assertion=" + sign_assertion(platform),
    ):
        response = client.get(url)
        assert response.status_code == 410
        page = response.content.decode()
        assert "This code was replaced" in page and "Scan the new code at the gate." in page
    assert not Rider.objects.exists()
    assert client.get(reverse("riders:register", args=[gate.entry_code])).status_code == 200


def test_welcome_page_shows_the_gate_policy_rules_link_and_form(client, gate, platform):
    response = client.get(reverse("riders:register", args=[gate.entry_code]))
    assert response.status_code == 200
    page = response.content.decode()
    assert gate.community.name in page and "North Gate" in page
    assert "Riders may enter after registering" in page
    assert reverse("communities:rules", args=[gate.community.slug]) in page
    assert 'name="platform_rider_id"' in page and "Demo Delivery" in page
    assert '<label for="id_name">' in page


def test_welcome_page_of_a_no_entry_community_has_no_form(client, company):
    community = CommunityFactory(
        company=company, entry_policy="no_entry", handoff_point="Gate shelf"
    )
    gate = GateFactory(community=community)
    page = client.get(reverse("riders:register", args=[gate.entry_code])).content.decode()
    assert "Gate shelf" in page and 'name="platform_rider_id"' not in page


def form_data(platform_, **extra):
    data = {
        "name": "韩梅梅",
        "phone": "13900001111",
        "platform": platform_.pk,
        "platform_rider_id": "M-501",
        "vehicle_plate": "",
    }
    data.update(extra)
    return data


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 40), "#336699").save(buffer, "PNG")
    return buffer.getvalue()


def test_manual_registration_makes_a_pending_grant(client, gate, platform):
    photo = SimpleUploadedFile("me.png", png_bytes(), content_type="image/png")
    url = reverse("riders:register", args=[gate.entry_code])
    response = client.post(url, form_data(platform, photo=photo))
    assert response.status_code == 200
    assert "Waiting for approval at the property office" in response.content.decode()
    rider = Rider.objects.get(platform_rider_id="M-501")
    assert not rider.verified_by_platform and rider.photo
    grant = AccessGrant.objects.get(rider=rider)
    assert grant.status == GrantStatus.PENDING and grant.source == GrantSource.MANUAL
    assert response.cookies[settings.RIDERS_DEVICE_COOKIE]["httponly"]
    page = client.get(reverse("riders:pass")).content.decode()
    assert "韩梅梅" in page and "Waiting for approval" in page


@pytest.mark.parametrize(
    "field, value",
    [("name", ""), ("phone", "call me"), ("platform", "999999"), ("platform_rider_id", "")],
)
def test_manual_registration_errors_are_shown_on_the_form(client, gate, platform, field, value):
    url = reverse("riders:register", args=[gate.entry_code])
    response = client.post(url, form_data(platform, **{field: value}))
    assert response.status_code == 400
    assert 'class="field-error"' in response.content.decode()
    assert not Rider.objects.exists()


def test_a_file_that_is_not_an_image_is_refused(client, gate, platform):
    bogus = SimpleUploadedFile("me.png", b"not an image", content_type="image/png")
    url = reverse("riders:register", args=[gate.entry_code])
    response = client.post(url, form_data(platform, photo=bogus))
    assert response.status_code == 400
    assert not Rider.objects.exists()


def test_typing_someone_elses_rider_number_does_not_take_their_pass(client, gate, platform):
    victim = RiderFactory(platform=platform, platform_rider_id="M-501", name="Wang Wu")
    AccessGrantFactory(rider=victim, community=gate.community)
    url = reverse("riders:register", args=[gate.entry_code])
    response = client.post(url, form_data(platform, name="Impostor"))
    assert response.status_code == 409
    assert settings.RIDERS_DEVICE_COOKIE not in response.cookies
    victim.refresh_from_db()
    assert victim.name == "Wang Wu"
    assert not RiderDevice.objects.exists()


def test_a_fullwidth_variant_of_someone_elses_number_is_the_same_number(client, gate, platform):
    victim = RiderFactory(platform=platform, platform_rider_id="M-501", name="Wang Wu")
    url = reverse("riders:register", args=[gate.entry_code])
    response = client.post(url, form_data(platform, platform_rider_id="Ｍ-５０１\u200b"))
    assert response.status_code == 409
    victim.refresh_from_db()
    assert victim.name == "Wang Wu" and not RiderDevice.objects.exists()


def test_other_methods_are_refused(client, gate):
    assert client.put(reverse("riders:register", args=[gate.entry_code])).status_code == 405


def test_form_errors_are_tied_to_their_fields_for_screen_readers(client, gate, platform):
    url = reverse("riders:register", args=[gate.entry_code])
    page = client.post(url, form_data(platform, phone="call me")).content.decode()
    assert 'aria-invalid="true"' in page
    assert 'aria-describedby="id_phone_helptext id_phone_error"' in page
    assert 'id="id_phone_helptext"' in page and 'id="id_phone_error"' in page


def test_pages_answer_in_the_riders_language(client, gate, platform):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "zh-CN,zh;q=0.9"
    welcome = client.get(reverse("riders:register", args=[gate.entry_code]))
    refusal = client.get(reverse("riders:register", args=["no-such-code"]))
    assert welcome.status_code == 200 and refusal.status_code == 404
    for response in (welcome, refusal):
        assert '<html lang="zh-hans">' in response.content.decode()
