"""The machine entrance (portal/machine.py): gate controllers' signed requests skip the
session, CSRF, lockout and page-policy layers; everything else keeps the full stack."""

from __future__ import annotations

import json
import time

import pytest
from django.core.cache import cache

from communities.tests.factories import GateControllerFactory
from portal.machine import EntranceDispatcher, is_machine_request
from riders.models import AccessEvent
from riders.services.keys import pass_token_issue
from riders.tests.factories import AccessGrantFactory, controller_meta
from tests.entrance import EntranceClient

VERIFY = "/api/v1/gates/verify"


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()


@pytest.fixture
def controller(gate):
    return GateControllerFactory(gate=gate, secret="controller-secret")


def _signed(
    controller, payload: dict, *, secret: str | None = None, path: str = "/api/v1/gates/verify"
) -> tuple[bytes, dict]:
    body = json.dumps(payload).encode()
    return body, controller_meta(controller, "POST", path, body, secret=secret)


@pytest.mark.parametrize(
    ("path", "headers", "machine"),
    [
        ("/api/v1/gates/verify", {"HTTP_X_L100_CONTROLLER": "7"}, True),
        ("/api/v1/gates/heartbeat", {"HTTP_X_L100_CONTROLLER": "7"}, True),
        ("/api/v1/gates/verify", {}, False),  # a guard's phone: its session, full stack
        ("/api/v1/gates/verify", {"HTTP_X_L100_CONTROLLER": ""}, False),
        ("/api/v1/keys", {"HTTP_X_L100_CONTROLLER": "7"}, False),
        ("/staff/", {"HTTP_X_L100_CONTROLLER": "7"}, False),
        ("/admin/api/v1/gates/", {"HTTP_X_L100_CONTROLLER": "7"}, False),
    ],
)
def test_only_controller_requests_to_gate_endpoints_take_the_machine_stack(path, headers, machine):
    environ = {"PATH_INFO": path, **headers}
    assert is_machine_request(environ) is machine
    taken = []
    dispatcher = EntranceDispatcher(
        site=lambda environ, start_response: taken.append("site") or [b""],
        machine=lambda environ, start_response: taken.append("machine") or [b""],
    )
    dispatcher(environ, lambda *args: None)
    assert taken == ["machine" if machine else "site"]


def test_a_signed_scan_answers_without_cookies_or_page_policy(controller, gate, rider, community):
    grant = AccessGrantFactory(rider=rider, community=community)
    body, headers = _signed(
        controller, {"token": pass_token_issue(grant=grant), "gate": gate.entry_code}
    )
    response = EntranceClient().post(
        VERIFY, body, content_type="application/json", HTTP_ACCEPT_LANGUAGE="en", **headers
    )
    assert response.status_code == 200
    assert response.json()["decision"] == "open"
    assert response.json()["message"] == "Pass valid"
    assert AccessEvent.objects.get().source == "online"
    assert not response.cookies  # no session, no CSRF cookie
    assert "Content-Security-Policy" not in response
    assert "Cookie" not in response.get("Vary", "")
    assert response["X-Content-Type-Options"] == "nosniff"  # SecurityMiddleware still runs


def test_a_forged_signature_is_refused_even_with_a_staff_session(
    controller, gate, rider, community, staff_user
):
    """The controller header sends the request down the machine stack, where no session
    is read: a guard cannot borrow a controller's identity, nor a forger a guard's."""
    grant = AccessGrantFactory(rider=rider, community=community)
    client = EntranceClient()
    client.force_login(staff_user)
    body, headers = _signed(
        controller,
        {"token": pass_token_issue(grant=grant), "gate": gate.entry_code},
        secret="wrong",
    )
    response = client.post(VERIFY, body, content_type="application/json", **headers)
    assert response.status_code == 403
    assert not AccessEvent.objects.exists()


def test_the_machine_stack_still_checks_the_host(controller, gate, settings):
    settings.ALLOWED_HOSTS = ["portal.example"]
    body, headers = _signed(controller, {"token": "x", "gate": gate.entry_code})
    response = EntranceClient().post(
        VERIFY, body, content_type="application/json", HTTP_HOST="evil.example", **headers
    )
    assert response.status_code == 400
    assert not AccessEvent.objects.exists()


def test_a_signed_heartbeat_through_the_machine_stack(controller):
    payload = {"version": 0, "clock": int(time.time()), "seq": 1, "digest": "0" * 64}
    body, headers = _signed(controller, payload, path="/api/v1/gates/heartbeat")
    response = EntranceClient().post(
        "/api/v1/gates/heartbeat", body, content_type="application/json", **headers
    )
    assert response.status_code == 200, response.content
    assert not response.cookies


@pytest.mark.parametrize(
    ("accept", "language", "message"),
    [("en", "en", "Pass valid"), ("zh-CN,zh;q=0.9", "zh-hans", None), ("", "zh-hans", None)],
)
def test_a_signed_scan_answers_in_the_accepted_language_without_localemiddleware(
    controller, gate, rider, community, settings, accept, language, message
):
    """The portal's own locale layer (portal.locale.LocaleMiddleware, no path-prefix
    look-ups) decides the language as Django's LocaleMiddleware does, and says so in
    Content-Language and Vary."""
    assert "django.middleware.locale.LocaleMiddleware" not in settings.MACHINE_MIDDLEWARE
    grant = AccessGrantFactory(rider=rider, community=community)
    body, headers = _signed(
        controller, {"token": pass_token_issue(grant=grant), "gate": gate.entry_code}
    )
    response = EntranceClient().post(
        VERIFY, body, content_type="application/json", HTTP_ACCEPT_LANGUAGE=accept, **headers
    )
    assert response.status_code == 200
    assert response["Content-Language"] == language
    assert "Accept-Language" in response["Vary"]
    if message:
        assert response.json()["message"] == message
    else:
        assert response.json()["message"] != "Pass valid"  # the Chinese label
