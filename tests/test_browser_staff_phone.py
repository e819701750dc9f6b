"""Issue 20, item 4: on a phone, tables are cards (names never one character a line) and
chart labels are at least 12 px; at 360×740 and 1280×800, in Chinese and English."""

import pytest

from riders.models import AccessEvent
from riders.tests.factories import AccessGrantFactory
from tests.test_browser_dashboard import _seed_week
from tests.test_browser_staff_workplace import SIZES, _page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SMALLEST_CHART_TEXT_JS = """() => Math.min(...Array.from(document.querySelectorAll('.chart text'))
  .map(t => t.getScreenCTM().a * parseFloat(getComputedStyle(t).fontSize)))"""
NARROWEST_NAME_JS = """() => Math.min(...Array.from(document.querySelectorAll(
  '#inside td:first-child a, #events td:last-child a')).map(a => {
    const r = a.getBoundingClientRect(); return r.width / r.height; }))"""


@pytest.mark.parametrize("lang", ["zh-hans", "en"])
@pytest.mark.parametrize("size", ["phone", "desktop"])
def test_dashboard_charts_legible_and_tables_as_cards_on_a_phone(
    live_server, browser, screenshot_dir, staff_user, community, size, lang
):
    _seed_week(community)
    grant = AccessGrantFactory(community=community, rider__name="王小明")
    gate = community.gates.first()
    AccessEvent.objects.create(
        gate=gate,
        rider=grant.rider,
        grant=grant,
        direction="in",
        decision="open",
        reason="ok",
        source="guard",
    )
    context, page = _page(browser, live_server, staff_user, size, lang)
    page.goto(f"{live_server.url}/staff/")
    page.wait_for_selector(".chart")
    assert page.evaluate(SMALLEST_CHART_TEXT_JS) >= 12
    page.screenshot(path=f"{screenshot_dir}/staff-dashboard-{size}-{lang}.png", full_page=True)
    page.goto(f"{live_server.url}/staff/c/{community.slug}/")
    page.wait_for_selector("#events")
    assert page.evaluate(SMALLEST_CHART_TEXT_JS) >= 12
    assert page.evaluate(NARROWEST_NAME_JS) > 1  # 王小明 on one line, not 王/小/明
    assert page.evaluate("document.documentElement.scrollWidth") <= SIZES[size][0]
    if size == "phone":
        assert page.eval_on_selector("#events tr", "r => getComputedStyle(r).display") == "block"
    page.screenshot(path=f"{screenshot_dir}/staff-community-{size}-{lang}.png", full_page=True)
    context.close()
