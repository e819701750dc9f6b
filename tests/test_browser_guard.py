"""Guard console in a phone-sized Chromium: paste a fresh pass → OPEN with the rider's
name; paste a pass of a revoked grant → DENIED; staff of another company get 404."""

import pytest
from django.conf import settings
from django.test import Client

from communities.tests.factories import GateFactory
from riders.services.grants import grant_revoke
from riders.services.keys import pass_token_issue
from riders.tests.factories import AccessGrantFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _login(page, live_server, user) -> None:
    client = Client()
    client.force_login(user)
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    page.context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": live_server.url}]
    )


def _paste(page, token: str) -> None:
    page.fill("#token", token)
    page.click("#paste-form button[type=submit]")
    page.wait_for_selector("#result:not([hidden])")


def test_guard_pastes_passes_open_then_denied(
    live_server, phone_page, screenshot_dir, staff_user, other_staff_user, community
):
    gate = GateFactory(community=community, name="North Gate")
    grant = AccessGrantFactory(community=community, rider__name="李雷")
    page = phone_page
    _login(page, live_server, staff_user)
    page.goto(f"{live_server.url}/guard/{gate.entry_code}/")
    assert page.get_attribute(".dir-button[data-direction=in]", "aria-pressed") == "true"
    page.click(".dir-button[data-direction=out]")
    assert page.get_attribute(".dir-button[data-direction=out]", "aria-pressed") == "true"
    page.click(".dir-button[data-direction=in]")

    _paste(page, pass_token_issue(grant=grant))
    assert page.inner_text("#result-word") == "OPEN"
    assert "李雷" in page.inner_text("#result-name")
    assert "result--open" in page.get_attribute("#result", "class")
    page.screenshot(path=f"{screenshot_dir}/guard-phone.png")
    page.click("#result-close")
    page.wait_for_selector("#events li.event--open")

    grant_revoke(grant=grant, reason="Lost the pass", acting_user=staff_user)
    _paste(page, pass_token_issue(grant=grant))
    assert page.inner_text("#result-word") == "DENIED"
    assert "revoked" in page.inner_text("#result-reason").lower()
    page.screenshot(path=f"{screenshot_dir}/guard-phone-denied.png")
    page.keyboard.press("Escape")
    page.wait_for_selector("#events li.event--deny")
    assert page.locator("#events li").count() == 2

    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360

    other = page.context.browser.new_context()
    other_page = other.new_page()
    _login(other_page, live_server, other_staff_user)
    response = other_page.goto(f"{live_server.url}/guard/{gate.entry_code}/")
    assert response.status == 404
    other.close()


def test_guard_without_manage_permission_can_scan_and_rider_pages_fit_a_phone(
    live_server, phone_page, screenshot_dir, staff_user, community, guard
):
    gate = GateFactory(community=community, name="East Gate")
    grant = AccessGrantFactory(
        community=community, rider__name="韩梅梅", rider__vehicle_plate="沪A1"
    )
    page = phone_page
    _login(page, live_server, guard)
    page.goto(f"{live_server.url}/guard/{gate.entry_code}/")
    assert page.locator("text=Give this gate a new code").count() == 0
    _paste(page, pass_token_issue(grant=grant))
    assert page.inner_text("#result-word") == "OPEN"

    response = page.goto(f"{live_server.url}/staff/riders/?q=韩")
    assert response.status == 200 and page.locator("table").count() == 0  # no manage perm

    _login(page, live_server, staff_user)
    page.goto(f"{live_server.url}/staff/riders/?q=沪A1")
    page.click("text=韩梅梅")
    page.wait_for_selector("h1:has-text('韩梅梅')")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.fill(f"#id_g{grant.pk}-reason", "Blocked the fire lane")
    page.click("button:has-text('Suspend')")
    page.wait_for_selector(".status--suspended")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.screenshot(path=f"{screenshot_dir}/staff-rider-phone.png", full_page=True)
