"""The Content-Security-Policy in Chromium: our pages and the API docs run with no
violation reported, and the policy does block an inline script."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.conf import settings
from django.test import Client

from communities.tests.factories import GateFactory
from riders.services.registration import device_issue
from riders.tests.factories import AccessGrantFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Records every violation the page reports, before any of the page's own code runs.
WATCH = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__csp.push(e.violatedDirective + " " + (e.blockedURI || "inline"));
});
"""


def _violations(page) -> list[str]:
    return page.evaluate("window.__csp")


def _visit(page, url: str, ready: str = "body") -> None:
    """Open `url`, wait for `ready`, and fail on any violation the page reported (the list
    starts empty on each page)."""
    page.goto(url)
    page.wait_for_selector(ready)
    assert _violations(page) == [], url


def _cookie(page, live_server, name: str, value: str) -> None:
    page.context.add_cookies([{"name": name, "value": value, "url": live_server.url}])


def test_our_pages_run_under_the_policy(live_server, phone_page, staff_user, community):
    gate = GateFactory(community=community, name="North Gate", x_pct=Decimal("40"))
    grant = AccessGrantFactory(community=community, rider__name="李雷")
    page = phone_page
    page.add_init_script(WATCH)
    console: list[str] = []
    page.on("console", lambda m: console.append(m.text))

    _visit(page, f"{live_server.url}/c/{community.slug}/")
    _visit(page, f"{live_server.url}/r/{gate.entry_code}/")
    _cookie(page, live_server, settings.RIDERS_DEVICE_COOKIE, device_issue(rider=grant.rider))
    _visit(page, f"{live_server.url}/pass/", "[data-role=qr] svg")
    client = Client()
    client.force_login(staff_user)
    _cookie(page, live_server, settings.SESSION_COOKIE_NAME, client.cookies["sessionid"].value)
    _visit(page, f"{live_server.url}/guard/{gate.entry_code}/")
    _visit(page, f"{live_server.url}/staff/", "main")
    _visit(page, f"{live_server.url}/staff/riders/", "main")
    _visit(page, f"{live_server.url}/guard/{gate.entry_code}/")
    page.click(".dir-button[data-direction=out]")  # guard.js runs
    assert page.get_attribute(".dir-button[data-direction=out]", "aria-pressed") == "true"
    assert _violations(page) == []
    assert not [line for line in console if "Content Security Policy" in line], console


def test_the_api_docs_render_under_the_policy(live_server, phone_page):
    page = phone_page
    page.add_init_script(WATCH)
    page.goto(f"{live_server.url}/api/docs/")
    page.wait_for_selector(".swagger-ui .info .title")
    assert "Last100 API" in page.inner_text(".swagger-ui .info .title")
    page.wait_for_selector(".opblock-summary-path")  # the schema was fetched and drawn
    assert _violations(page) == []


def test_the_policy_blocks_an_injected_inline_script(live_server, phone_page, community):
    page = phone_page
    page.add_init_script(WATCH)
    page.goto(f"{live_server.url}/c/{community.slug}/")
    page.evaluate(
        """() => {
          window.__ran = false;
          const s = document.createElement("script");
          s.textContent = "window.__ran = true";
          document.body.appendChild(s);
        }"""
    )
    page.wait_for_function("window.__csp.length > 0")
    assert page.evaluate("window.__ran") is False
    assert _violations(page)[0].startswith("script-src")


def test_the_admin_runs_under_the_policy(live_server, phone_page, superuser, community):
    page = phone_page
    page.add_init_script(WATCH)
    _visit(page, f"{live_server.url}/admin/login/")
    page.fill("#id_username", "root")
    page.fill("#id_password", "pw-root-123")
    page.click("input[type=submit]")
    page.wait_for_selector("#site-name")
    assert _violations(page) == []
    _visit(page, f"{live_server.url}/admin/communities/community/", "#result_list")
    _visit(page, f"{live_server.url}/admin/communities/community/{community.pk}/change/", "form")
