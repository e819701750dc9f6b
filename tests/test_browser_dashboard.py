"""The staff dashboard in real Chromium, at phone (360 px) and desktop size, with charts
drawn from a week of seeded events; screenshots go to var/screenshots/. Staff of another
company get 404 on the community's page and see no card of it."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone

from communities.tests.factories import GateControllerFactory
from dashboard.tests.factories import seed_known_day
from riders.models import AccessEvent, Decision, Direction, EventSource, Reason

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _login(page, live_server, user) -> None:
    client = Client()
    client.force_login(user)
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    page.context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": live_server.url}]
    )


CONTRAST_JS = """
(selector) => {
  const rgb = (c) => c.match(/[\\d.]+/g).slice(0, 4).map(Number);
  const lum = ([r, g, b]) => {
    const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  const worst = [];
  for (const el of document.querySelectorAll(selector)) {
    const style = getComputedStyle(el);
    const fg = rgb(el instanceof SVGElement ? style.fill : style.color);
    let node = el, bg = [255, 255, 255];
    while (node && node.nodeType === 1) {
      const c = rgb(getComputedStyle(node).backgroundColor);
      if (c.length < 4 || c[3] > 0) { bg = c; break; }
      node = node.parentElement;
    }
    const [a, b] = [lum(fg), lum(bg)].sort((x, y) => y - x);
    worst.push((a + 0.05) / (b + 0.05));
  }
  return Math.min(...worst);
}
"""


def _seed_week(community) -> None:
    """Today's known figures plus a week of entries with a daily rhythm and some denials."""
    seeded = seed_known_day(community, now=timezone.now())
    north, south = seeded["gates"]
    GateControllerFactory(gate=south, name="South box")
    riders = list(seeded["riders"].values())
    start = timezone.now().replace(minute=0, second=0, microsecond=0) - dt.timedelta(days=7)
    events = []
    for hour in range(7 * 24):
        at = start + dt.timedelta(hours=hour)
        local = timezone.localtime(at).hour
        busy = 6 if local in (11, 12, 17, 18) else 2 if 8 <= local <= 21 else 0
        for n in range(busy + hour % 3):
            rider = riders[n % len(riders)]
            minute = dt.timedelta(minutes=(7 * n) % 50)
            events.append(
                AccessEvent(
                    gate=north if n % 2 else south,
                    rider=rider,
                    direction=Direction.IN,
                    decision=Decision.OPEN,
                    reason=Reason.OK,
                    source=EventSource.CONTROLLER,
                    occurred_at=at + minute,
                )
            )
        if local == 22:
            events.append(
                AccessEvent(
                    gate=north,
                    rider=None,
                    direction=Direction.IN,
                    decision=Decision.DENY,
                    reason=Reason.OUTSIDE_HOURS,
                    source=EventSource.CONTROLLER,
                    occurred_at=at,
                )
            )
    # Older than DASHBOARD_INSIDE_MAX_HOURS, so today's known "riders inside" stay as seeded.
    until = timezone.now() - dt.timedelta(hours=settings.DASHBOARD_INSIDE_MAX_HOURS + 1)
    AccessEvent.objects.bulk_create([e for e in events if e.occurred_at < until])


def test_dashboard_charts_at_phone_and_desktop_size(
    live_server, browser, phone_page, screenshot_dir, staff_user, other_staff_user, community
):
    _seed_week(community)
    page = phone_page
    _login(page, live_server, staff_user)
    page.goto(f"{live_server.url}/staff/")
    assert page.locator(".card").count() == 1
    assert page.locator("svg.chart[role=img]").count() == 4
    assert page.locator("#all-entries rect.chart__bar").count() > 50
    assert page.inner_text('.card [data-figure="inside"]') == "2"
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.screenshot(path=f"{screenshot_dir}/dashboard-phone.png", full_page=True)
    # WCAG AA: 4.5:1 for text, on the card's figures, chips, alerts and the charts' text.
    for selector in (
        ".figures dt",
        ".figure",
        ".figure--deny",
        ".chip--deny",
        ".sync-alert li",
        ".chart text",
        ".dash-nav a",
        ".chart-box figcaption",
    ):
        assert page.evaluate(CONTRAST_JS, selector) >= 4.5, selector

    # Keyboard: the skip link, then the links up to the community's card.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip-link"
    for _ in range(12):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.textContent") == community.name:
            break
    else:
        pytest.fail("the community's card link is not reachable by keyboard")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/staff/c/{community.slug}/")
    assert page.locator("#inside tbody tr").count() == 2
    assert "138****5678" in page.inner_text("#inside")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.screenshot(path=f"{screenshot_dir}/dashboard-community-phone.png", full_page=True)

    desktop = browser.new_context(viewport={"width": 1280, "height": 900})
    wide = desktop.new_page()
    _login(wide, live_server, staff_user)
    wide.goto(f"{live_server.url}/staff/")
    wide.screenshot(path=f"{screenshot_dir}/dashboard-desktop.png", full_page=True)
    wide.emulate_media(media="print")
    assert wide.locator(".site-header").is_hidden()
    wide.screenshot(path=f"{screenshot_dir}/dashboard-print.png", full_page=True)
    wide.emulate_media(media="screen")
    wide.goto(f"{live_server.url}/staff/c/{community.slug}/?decision=deny")
    assert wide.locator("#events tbody tr.event--open").count() == 0
    assert wide.locator("#events tbody tr.event--deny").count() > 6
    wide.screenshot(path=f"{screenshot_dir}/dashboard-community-desktop.png", full_page=True)
    desktop.close()

    other = browser.new_context()
    other_page = other.new_page()
    _login(other_page, live_server, other_staff_user)
    other_page.goto(f"{live_server.url}/staff/")
    assert other_page.locator(".card").count() == 0
    assert community.name not in other_page.content()
    response = other_page.goto(f"{live_server.url}/staff/c/{community.slug}/")
    assert response.status == 404
    other.close()
