"""Issue 16, finding 3: forwarded headers (X-Forwarded-For, X-Forwarded-Proto, ...) are
believed only from SECURITY_TRUSTED_PROXIES. A client that writes them itself, or talks
to the portal directly, is counted by its own address: rotating the header buys neither
more registrations nor more password guesses, nor an HTTPS-only cookie over HTTP."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from django.test import Client
from django.urls import reverse

from communities.tests.factories import GateFactory
from core.security.client import client_ip
from riders.tests.factories import PlatformFactory, sign_assertion

pytestmark = pytest.mark.django_db

PROXY = "10.0.0.5"
CLIENT = "203.0.113.7"
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


@pytest.fixture
def proxied(settings):
    """As production: one reverse proxy of ours, at PROXY."""
    settings.SECURITY_TRUSTED_PROXIES = [PROXY, "fd00::/8"]
    # What production set before this fix (one proxy, counted from the right of the header,
    # whoever sent it); the portal no longer reads it. It keeps these tests honest against
    # the old code.
    settings.SECURITY_PROXY_COUNT = 1
    return settings


def test_a_forwarded_for_header_is_ignored_unless_a_trusted_proxy_sent_it(rf, proxied):
    spoofed = rf.get("/", REMOTE_ADDR=CLIENT, HTTP_X_FORWARDED_FOR="6.6.6.6")
    assert client_ip(spoofed) == CLIENT
    through_proxy = rf.get("/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=f"6.6.6.6, {CLIENT}")
    assert client_ip(through_proxy) == CLIENT  # not the left part the client wrote
    # Two proxies of ours in a row: the first address that is not ours.
    chained = rf.get("/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=f"6.6.6.6, {CLIENT}, {PROXY}")
    assert client_ip(chained) == CLIENT
    assert client_ip(rf.get("/", REMOTE_ADDR=PROXY)) == PROXY
    garbled = rf.get("/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="not-an-address")
    assert client_ip(garbled) == PROXY


def test_rotating_x_forwarded_for_does_not_lift_the_registration_limit(settings, proxied):
    settings.SECURITY_RATELIMIT_ENABLED = True
    settings.SECURITY_RATE_LIMITS = {**settings.SECURITY_RATE_LIMITS, "register": "2/m"}
    cache.clear()
    gate = GateFactory()
    url = reverse("riders:register", args=[gate.entry_code])
    answers = [
        Client().get(url, REMOTE_ADDR=CLIENT, HTTP_X_FORWARDED_FOR=f"198.51.100.{n}", **EN)
        for n in range(4)
    ]
    cache.clear()
    assert [a.status_code for a in answers] == [200, 200, 429, 429]


def test_rotating_x_forwarded_for_does_not_escape_the_log_in_lock_out(client, superuser, proxied):
    answers = [
        client.post(
            "/admin/login/",
            {"username": "root", "password": "wrong", "next": "/admin/"},
            REMOTE_ADDR=CLIENT,
            HTTP_X_FORWARDED_FOR=f"198.51.100.{n}",
            **EN,
        )
        for n in range(settings.AXES_FAILURE_LIMIT + 1)
    ]
    assert answers[-1].status_code == 429
    # The right password, with yet another made-up address: still locked.
    locked = client.post(
        "/admin/login/",
        {"username": "root", "password": "pw-root-123", "next": "/admin/"},
        REMOTE_ADDR=CLIENT,
        HTTP_X_FORWARDED_FOR="192.0.2.250",
        **EN,
    )
    assert locked.status_code == 429


def test_x_forwarded_proto_from_a_client_does_not_make_the_request_https(settings, proxied):
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    platform = PlatformFactory(code="demo")
    gate = GateFactory()

    def register(remote: str):
        token = sign_assertion(platform)
        url = reverse("riders:register", args=[gate.entry_code]) + "?assertion=" + token
        return Client().get(url, REMOTE_ADDR=remote, HTTP_X_FORWARDED_PROTO="https", **EN)

    spoofed = register(CLIENT)
    assert spoofed.status_code == 302
    assert not spoofed.cookies[settings.RIDERS_DEVICE_COOKIE]["secure"]
    through_proxy = register(PROXY)
    assert through_proxy.cookies[settings.RIDERS_DEVICE_COOKIE]["secure"]


def test_a_mistyped_trusted_proxy_fails_at_start_up():
    from portal.settings.security import trusted_proxies

    assert trusted_proxies(["127.0.0.1", "10.0.0.0/8", "::1"]) == ["127.0.0.1", "10.0.0.0/8", "::1"]
    with pytest.raises(ImproperlyConfigured):
        trusted_proxies(["10.0.0.300"])
