"""Issue 16, finding 1: a platform's signed assertion is the only proof of a platform rider
id. A record made with the hand-registration form is unverified; when the platform first
vouches for that id, the devices and photo the form gave it are dropped, and the rider
sees (and can remove) the devices holding their pass."""

from __future__ import annotations

import io

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from PIL import Image

from core.models import AuditEntry
from riders.models import AccessGrant, Rider, RiderDevice
from riders.services.grants import grant_approve
from riders.services.keys import pass_token_issue
from riders.services.registration import device_issue, rider_for_device
from riders.services.verification import pass_verify
from riders.tests.factories import RiderFactory, sign_assertion

pytestmark = pytest.mark.django_db

VICTIM_ID = "M-7788"


def _client() -> Client:
    client = Client()
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def _photo() -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (16, 16), "#992233").save(buffer, "PNG")
    return SimpleUploadedFile("face.png", buffer.getvalue(), content_type="image/png")


def _register_by_hand(client: Client, gate, platform, **extra) -> None:
    data = {
        "name": "Impostor",
        "phone": "13900009999",
        "platform": platform.pk,
        "platform_rider_id": VICTIM_ID,
        "vehicle_plate": "",
        "photo": _photo(),
    }
    data.update(extra)
    response = client.post(reverse("riders:register", args=[gate.entry_code]), data)
    assert response.status_code == 200, response.content.decode()[:500]


def _one_click(client: Client, gate, platform, **claims):
    token = sign_assertion(platform, sub=VICTIM_ID, name="Real Rider", **claims)
    return client.get(reverse("riders:register", args=[gate.entry_code]) + "?assertion=" + token)


def test_registering_a_riders_number_first_by_hand_does_not_keep_their_pass(
    gate, platform, django_capture_on_commit_callbacks
):
    impostor, real = _client(), _client()
    _register_by_hand(impostor, gate, platform)
    impostor_cookie = impostor.cookies[settings.RIDERS_DEVICE_COOKIE].value
    hand_made = Rider.objects.get(platform=platform, platform_rider_id=VICTIM_ID)
    photo_name = hand_made.photo.name
    storage = hand_made.photo.storage
    assert photo_name and storage.exists(photo_name)

    with django_capture_on_commit_callbacks(execute=True):
        response = _one_click(real, gate, platform)
    assert response.status_code == 302

    rider = Rider.objects.get(platform=platform, platform_rider_id=VICTIM_ID)
    assert rider.verified_by_platform and rider.name == "Real Rider"
    # The impostor's phone opens nothing any more; the real rider's phone holds the pass.
    assert rider_for_device(impostor_cookie) is None
    page = impostor.get(reverse("riders:pass")).content.decode()
    assert "Real Rider" not in page
    assert impostor.get(reverse("riders:pass_tokens")).status_code == 403
    assert list(rider.devices.values_list("verified", flat=True)) == [True]
    assert rider_for_device(real.cookies[settings.RIDERS_DEVICE_COOKIE].value) == rider
    # A guard must never see the rider's name beside the impostor's face.
    assert not rider.photo and not storage.exists(photo_name)
    assert AuditEntry.objects.filter(
        action="rider_unverified_dropped", object_id=str(rider.pk)
    ).exists()


def test_the_guard_sees_no_hand_made_photo_beside_a_name_the_platform_vouched_for(gate, platform):
    impostor, real = _client(), _client()
    _register_by_hand(impostor, gate, platform)
    hand_made = Rider.objects.get(platform=platform, platform_rider_id=VICTIM_ID)
    # Even if staff had approved the hand-made record at the office.
    grant = AccessGrant.objects.get(rider=hand_made, community=gate.community)
    grant_approve(grant=grant, acting_user=None)
    assert _one_click(real, gate, platform).status_code == 302
    grant.refresh_from_db()
    decision = pass_verify(token=pass_token_issue(grant=grant), gate=gate, direction="in")
    assert decision.rider is not None and decision.rider.name == "Real Rider"
    assert not decision.rider.photo


def test_a_rider_who_registered_by_hand_keeps_their_own_phone_after_the_platform_vouches(
    gate, platform
):
    phone = _client()
    _register_by_hand(phone, gate, platform, name="Real Rider")
    old_cookie = phone.cookies[settings.RIDERS_DEVICE_COOKIE].value
    response = _one_click(phone, gate, platform)
    assert response.status_code == 302
    # The form's device went; this phone got one bound by the platform instead.
    new_cookie = response.cookies[settings.RIDERS_DEVICE_COOKIE].value
    assert new_cookie != old_cookie and rider_for_device(old_cookie) is None
    rider = rider_for_device(new_cookie)
    assert rider is not None and rider.current_device.verified
    assert phone.get(reverse("riders:pass")).status_code == 200
    # And the next link on this phone needs no new device.
    again = _one_click(phone, gate, platform)
    assert settings.RIDERS_DEVICE_COOKIE not in again.cookies
    assert RiderDevice.objects.filter(rider=rider).count() == 1


def test_a_phone_the_form_bound_cannot_change_a_vouched_riders_photo(gate, platform):
    """Devices bound by the form before this fix survive until the platform's next link:
    they must not change what the platform vouched for."""
    rider = RiderFactory(platform=platform, platform_rider_id=VICTIM_ID, verified_by_platform=True)
    legacy = _client()
    legacy.cookies[settings.RIDERS_DEVICE_COOKIE] = device_issue(rider=rider, verified=False)
    data = {
        "name": "Impostor",
        "phone": "13900009999",
        "platform": platform.pk,
        "platform_rider_id": VICTIM_ID,
        "vehicle_plate": "",
        "photo": _photo(),
    }
    response = legacy.post(reverse("riders:register", args=[gate.entry_code]), data)
    assert response.status_code == 409
    rider.refresh_from_db()
    assert not rider.photo


def test_the_rider_sees_which_phones_hold_their_pass_and_removes_one(
    gate, platform, django_assert_num_queries
):
    first, second = _client(), _client()
    assert _one_click(first, gate, platform).status_code == 302
    assert _one_click(second, gate, platform).status_code == 302
    rider = Rider.objects.get(platform=platform, platform_rider_id=VICTIM_ID)
    assert rider.devices.count() == 2
    # The device with its rider, then grants, events and devices: one query per list,
    # however many phones.
    with django_assert_num_queries(4):
        page = first.get(reverse("riders:my_data")).content.decode()
    assert page.count("/pass/my-data/devices/") == 2 and "This phone" in page
    for _ in range(3):
        device_issue(rider=rider, verified=True)
    with django_assert_num_queries(4):
        page = first.get(reverse("riders:my_data")).content.decode()
    assert page.count("/pass/my-data/devices/") == 5
    other = rider_for_device(second.cookies[settings.RIDERS_DEVICE_COOKIE].value).current_device
    response = first.post(reverse("riders:my_device_remove", args=[other.pk]))
    assert response.status_code == 302
    assert not RiderDevice.objects.filter(pk=other.pk).exists()
    assert second.get(reverse("riders:pass_tokens")).status_code == 403
    assert first.get(reverse("riders:pass_tokens")).status_code == 200


def test_a_rider_cannot_remove_another_riders_phone(gate, platform):
    mine, theirs = _client(), _client()
    assert _one_click(mine, gate, platform).status_code == 302
    token = sign_assertion(platform, sub="OTHER-1", name="Other")
    theirs.get(reverse("riders:register", args=[gate.entry_code]) + "?assertion=" + token)
    other_device = RiderDevice.objects.get(rider__platform_rider_id="OTHER-1")
    response = mine.post(reverse("riders:my_device_remove", args=[other_device.pk]))
    assert response.status_code == 404
    assert RiderDevice.objects.filter(pk=other_device.pk).exists()
    # Without a pass cookie at all: nothing either.
    assert (
        _client().post(reverse("riders:my_device_remove", args=[other_device.pk])).status_code
        == 404
    )
