"""Done when (issue 3): in real Chromium at phone size, the platform's one-click link opens
the pass; the QR code read back from a screenshot opens the gate through the verify
endpoint; after revocation the same flow denies."""

from __future__ import annotations

import json
import os
import urllib.request

import pytest
import zxingcpp
from PIL import Image

from communities.tests.factories import CommunityFactory, GateControllerFactory, GateFactory
from gatesync.auth import TO_PORTAL, signed_headers_v2
from riders.models import AccessGrant, GrantStatus
from riders.services.grants import grant_revoke
from riders.tests.factories import PlatformFactory, sign_assertion

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def verify(live_server, controller, token: str, gate_code: str) -> dict:
    body = json.dumps({"token": token, "gate": gate_code, "direction": "in"}).encode()
    headers = signed_headers_v2(
        controller_id=controller.pk,
        secret=controller.secret,
        direction=TO_PORTAL,
        method="POST",
        path="/api/v1/gates/verify",
        body=body,
    )
    request = urllib.request.Request(
        live_server.url + "/api/v1/gates/verify",
        data=body,
        method="POST",
        headers={"Content-Type": "application/json", **headers},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def open_link_and_wait_for_qr(page, live_server, gate, assertion: str) -> float:
    """Milliseconds from the start of the navigation (redirect included: performance.now()
    counts from it) until the pass's QR code is on screen."""
    page.goto(f"{live_server.url}/r/{gate.entry_code}/?assertion={assertion}", wait_until="commit")
    page.wait_for_selector(".pass .qr svg", state="visible")
    return page.evaluate("performance.now()")


def qr_from_screenshot(path: str) -> str:
    found = zxingcpp.read_barcodes(Image.open(path))
    assert len(found) == 1, f"expected one QR code in {path}, found {len(found)}"
    return found[0].text


def test_one_click_link_to_pass_to_gate_and_back_after_revocation(
    live_server, phone_page, screenshot_dir, company
):
    community = CommunityFactory(company=company, slug="garden-court", name="Garden Court")
    gate = GateFactory(community=community, name="North Gate")
    controller = GateControllerFactory(gate=gate, secret="gate-secret-1")
    platform = PlatformFactory(code="demo", name="Demo Delivery")
    assertion = sign_assertion(platform, sub="R42", name="李雷", station="Xuhui Station")
    page = phone_page
    page.context.set_extra_http_headers({"Accept-Language": "en"})

    # A first rider on another phone warms the server (the first request of a process
    # imports and compiles what later requests reuse); both times are printed.
    other = page.context.browser.new_context(viewport={"width": 360, "height": 740})
    cold_ms = open_link_and_wait_for_qr(
        other.new_page(), live_server, gate, sign_assertion(platform, sub="R41", name="韩梅梅")
    )
    other.close()

    # Open the one-click link, as the platform's app would, and wait for the QR code.
    page_ms = open_link_and_wait_for_qr(page, live_server, gate, assertion)
    print(f"\none-click link -> pass QR on screen: {page_ms:.0f} ms ({cold_ms:.0f} ms cold)")
    # The time is printed, not judged: its bar (1 s, docs/riders.md) is a measurement on a
    # quiet machine, never a wall-clock threshold in a test; a hang fails the wait above.
    assert page.url == f"{live_server.url}/pass/"

    # Fits a 360-px phone: nothing wider than the viewport.
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert page.get_by_role("heading", name="李雷").is_visible()
    assert page.get_by_text("Active: show this code at the gate.").is_visible()

    shot = os.path.join(screenshot_dir, "pass-phone.png")
    page.screenshot(path=shot)
    token = qr_from_screenshot(shot)
    answer = verify(live_server, controller, token, gate.entry_code)
    assert (answer["decision"], answer["reason"]) == ("open", "ok")
    assert answer["rider"]["name"] == "李雷"

    # pass.js: back online after a moment offline, it fetches a fresh code at once.
    page.context.set_offline(True)
    page.wait_for_selector("#offline-banner", state="visible")
    assert "You are offline" in page.inner_text("#offline-banner")
    page.screenshot(path=os.path.join(screenshot_dir, "pass-phone-offline.png"))
    page.context.set_offline(False)
    page.wait_for_selector("li.pass[data-token]")
    assert page.is_hidden("#offline-banner")
    fresh = page.get_attribute("li.pass", "data-token")
    assert fresh and fresh != token

    # Staff revoke the rider: the next refresh greys the code, a reload shows no code, and
    # the code read before is denied at the gate.
    grant = AccessGrant.objects.get(rider__platform_rider_id="R42", community=community)
    grant_revoke(grant=grant, reason="Identity not confirmed", acting_user=None)
    page.context.set_offline(True)
    page.context.set_offline(False)
    page.wait_for_selector("li.pass.pass--gone")
    assert page.locator("li.pass .qr svg").count() == 0
    page.reload()
    assert page.locator("svg").count() == 0
    assert page.get_by_text("Withdrawn. Identity not confirmed", exact=True).is_visible()
    page.screenshot(path=os.path.join(screenshot_dir, "pass-phone-revoked.png"))
    answer = verify(live_server, controller, fresh, gate.entry_code)
    assert (answer["decision"], answer["reason"]) == ("deny", "revoked")
    grant.refresh_from_db()
    assert grant.status == GrantStatus.REVOKED


def test_gate_welcome_page_and_form_errors_fit_a_phone(
    live_server, phone_page, screenshot_dir, company
):
    community = CommunityFactory(company=company, slug="garden-court", name="Garden Court")
    gate = GateFactory(community=community, name="North Gate")
    PlatformFactory(code="demo", name="Demo Delivery")
    page = phone_page
    page.context.set_extra_http_headers({"Accept-Language": "en"})
    page.goto(f"{live_server.url}/r/{gate.entry_code}/")
    assert page.get_by_role("heading", name="Welcome to Garden Court").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.screenshot(path=os.path.join(screenshot_dir, "register-phone.png"), full_page=True)
    page.get_by_label("Your name").fill("韩梅梅")
    page.get_by_label("Mobile phone").fill("call me")
    page.get_by_role("button", name="Register").click()
    page.wait_for_selector(".field-error")
    assert "Enter a phone number of digits" in page.inner_text(".field--error")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.screenshot(path=os.path.join(screenshot_dir, "register-phone-errors.png"), full_page=True)
