"""Issue 16, finding 9: opening someone else's one-click link must not silently take this
phone from the rider it belongs to. The link asks first; only a POST (CSRF-protected)
replaces the binding, and until then nothing is written."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from riders.models import Rider, RiderDevice, UsedAssertion
from riders.services.registration import rider_for_device
from riders.tests.factories import sign_assertion

pytestmark = pytest.mark.django_db


def _link(gate, token: str) -> str:
    return reverse("riders:register", args=[gate.entry_code]) + "?assertion=" + token


def _phone_of(platform, gate, sub: str) -> Client:
    phone = Client(enforce_csrf_checks=True, HTTP_ACCEPT_LANGUAGE="en")
    response = phone.get(_link(gate, sign_assertion(platform, sub=sub, name="Owner of phone")))
    assert response.status_code == 302
    return phone


def test_someone_elses_link_does_not_silently_rebind_this_phone(platform, gate):
    phone = _phone_of(platform, gate, "OWNER-1")
    cookie = phone.cookies[settings.RIDERS_DEVICE_COOKIE].value
    token = sign_assertion(platform, sub="SENDER-9", name="Sender")
    response = phone.get(_link(gate, token))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Replace the pass on this phone?" in page and 'method="post"' in page
    assert "csrfmiddlewaretoken" in page
    assert settings.RIDERS_DEVICE_COOKIE not in response.cookies
    # Nothing written: no rider, the link still unused, the phone still the owner's.
    assert not Rider.objects.filter(platform_rider_id="SENDER-9").exists()
    assert UsedAssertion.objects.count() == 1  # the owner's own link only
    assert rider_for_device(cookie).platform_rider_id == "OWNER-1"


def test_replacing_the_binding_needs_a_post_with_the_csrf_token(platform, gate):
    phone = _phone_of(platform, gate, "OWNER-1")
    token = sign_assertion(platform, sub="NEW-2", name="New Owner")
    page = phone.get(_link(gate, token))
    url = reverse("riders:register", args=[gate.entry_code])
    # A cross-site form (no CSRF token) cannot do it.
    forged = phone.post(url, {"assertion": token, "replace": "1"})
    assert forged.status_code == 403
    assert not Rider.objects.filter(platform_rider_id="NEW-2").exists()
    csrf = page.context["csrf_token"]
    response = phone.post(
        url, {"assertion": token, "replace": "1", "csrfmiddlewaretoken": str(csrf)}
    )
    assert response.status_code == 302 and response["Location"] == reverse("riders:pass")
    new_cookie = response.cookies[settings.RIDERS_DEVICE_COOKIE].value
    assert rider_for_device(new_cookie).platform_rider_id == "NEW-2"
    # The previous rider's list of phones no longer shows this one.
    assert not RiderDevice.objects.filter(rider__platform_rider_id="OWNER-1").exists()


def test_the_riders_own_link_on_their_phone_asks_nothing(platform, gate):
    phone = _phone_of(platform, gate, "OWNER-1")
    response = phone.get(_link(gate, sign_assertion(platform, sub="OWNER-1")))
    assert response.status_code == 302
