"""Object-level cases of issue #16 the URL matrix cannot express with one object per
row: another rider's device, a pass of this community shown at another company's gate,
another rider's one-click link opened on the rider's phone. docs/security-matrix.md."""

from __future__ import annotations

import json

import pytest
from django.conf import settings
from django.urls import reverse

from riders.models import AccessEvent, Rider, RiderDevice
from riders.services.devices import device_issue, rider_for_device
from riders.services.keys import pass_token_issue
from riders.tests.factories import RiderFactory, sign_assertion

from .conftest import RoleClient, World

pytestmark = pytest.mark.django_db


def test_a_rider_cannot_remove_another_riders_device(world: World):
    stranger = RiderFactory(platform=world.platform, platform_rider_id="R-stranger")
    device_issue(rider=stranger, verified=True)
    theirs = RiderDevice.objects.get(rider=stranger)
    response = RoleClient("rider", world).request(
        "post", reverse("riders:my_device_remove", args=[theirs.pk])
    )
    assert response.status_code == 404
    assert RiderDevice.objects.filter(pk=theirs.pk).exists()


def test_another_companys_guard_learns_nothing_of_a_rider_from_their_pass(world: World):
    response = RoleClient("staff_there", world).request(
        "post",
        reverse("riders-verify"),
        {"token": pass_token_issue(grant=world.grant), "gate": world.other_gate.entry_code},
        content_type="application/json",
    )
    assert response.status_code == 200
    body = response.json()
    assert (body["decision"], body["reason"], body["rider"]) == ("deny", "other_community", None)
    assert world.rider.name not in json.dumps(body, ensure_ascii=False)
    event = AccessEvent.objects.filter(gate=world.other_gate).get()
    assert event.rider_id is None and event.grant_id is None


def test_another_riders_link_does_not_take_the_riders_phone_without_asking(world: World):
    rider_browser = RoleClient("rider", world)
    token = sign_assertion(world.platform, sub="R-sender", name="Sender")
    response = rider_browser.request(
        "get", reverse("riders:register", args=[world.gate.entry_code]) + "?assertion=" + token
    )
    assert response.status_code == 200
    assert settings.RIDERS_DEVICE_COOKIE not in response.cookies
    assert rider_for_device(world.device_token) == world.rider
    assert not Rider.objects.filter(platform_rider_id="R-sender").exists()
