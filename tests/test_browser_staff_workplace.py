"""Issue 20, items 1–4 in a browser: the dashboard's pending figure opens the riders'
queue; approve in one tap; revoke and a new gate code ask first and say what was done;
one navigation; cards, not squeezed tables, on a phone. At 360×740 and 1280×800, in
Chinese and English; screenshots under var/screenshots/."""

import pytest
from django.conf import settings
from django.test import Client

from communities.tests.factories import GateFactory
from riders.models import GrantStatus
from riders.tests.factories import AccessGrantFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SIZES = {"phone": (360, 740), "desktop": (1280, 800)}
SAID = {
    "zh-hans": {
        "approved": "已批准 王小明 在 柳岸花园 的通行权限",
        "revoked": "已撤销 韩梅梅 在 柳岸花园 的通行权限",
        "new_code": "已换新码",
    },
    "en": {
        "approved": "Approved 王小明's access to 柳岸花园",
        "revoked": "Revoked 韩梅梅's access to 柳岸花园",
        "new_code": "has a new code",
    },
}


def _page(browser, live_server, user, size, lang):
    width, height = SIZES[size]
    context = browser.new_context(
        viewport={"width": width, "height": height},
        is_mobile=size == "phone",
        has_touch=size == "phone",
        extra_http_headers={"Accept-Language": lang},
    )
    client = Client()
    client.force_login(user)
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": live_server.url}]
    )
    return context, context.new_page()


def _fits(page, size) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= SIZES[size][0]


@pytest.mark.parametrize("lang", ["zh-hans", "en"])
@pytest.mark.parametrize("size", ["phone", "desktop"])
def test_staff_work_from_the_queue_and_confirm_what_cannot_be_undone(
    live_server, browser, screenshot_dir, staff_user, other_staff_user, community, size, lang
):
    community.name = "柳岸花园"
    community.save()
    gate = GateFactory(community=community, name="North Gate")
    pending = AccessGrantFactory(
        community=community,
        status=GrantStatus.PENDING,
        valid_until=None,
        rider__name="王小明",
        rider__vehicle_plate="沪A12345",
    )
    AccessGrantFactory(community=community, status=GrantStatus.PENDING, rider__name="欧阳娜娜")
    active = AccessGrantFactory(community=community, rider__name="韩梅梅")
    said = SAID[lang]
    context, page = _page(browser, live_server, staff_user, size, lang)

    page.goto(f"{live_server.url}/staff/")
    assert page.locator(".staff-nav a").count() == 6
    page.click("[data-figure=pending] a")
    page.wait_for_selector(".queue")
    assert "show=pending" in page.url
    assert page.locator(".queue-card").count() == 2 and page.locator("table").count() == 0
    card = page.locator(".queue-card", has_text="王小明")
    assert "沪A12345" in card.inner_text() and pending.rider.platform.name in card.inner_text()
    name_box = card.locator(".queue-name a").bounding_box()
    assert name_box["width"] > name_box["height"]  # never 王/小/明 one per line
    _fits(page, size)
    page.screenshot(path=f"{screenshot_dir}/staff-queue-{size}-{lang}.png", full_page=True)
    card.locator("button.button--ok").click()
    page.wait_for_selector(".message--success")
    assert said["approved"] in page.inner_text(".messages")
    assert page.locator(".queue-card").count() == 1
    page.screenshot(path=f"{screenshot_dir}/staff-queue-approved-{size}-{lang}.png")

    page.goto(f"{live_server.url}/staff/riders/{active.rider.pk}/")
    page.fill(f"#id_g{active.pk}-reason", "Lost the pass")
    page.click("button.button--danger")
    page.wait_for_selector(".confirm-box")
    _fits(page, size)
    page.screenshot(path=f"{screenshot_dir}/staff-revoke-confirm-{size}-{lang}.png")
    page.click(".confirm-actions button.button--danger")
    page.wait_for_selector(".message--success")
    assert said["revoked"] in page.inner_text(".messages")

    page.goto(f"{live_server.url}/guard/{gate.entry_code}/")
    page.click(f"a[href='/staff/gates/{gate.pk}/rotate']")
    page.wait_for_selector(".confirm-box")
    page.screenshot(path=f"{screenshot_dir}/staff-new-code-confirm-{size}-{lang}.png")
    page.click(".confirm-actions button.button--danger")
    page.wait_for_selector(".message--success")
    assert said["new_code"] in page.inner_text(".messages")
    _fits(page, size)
    context.close()

    context, page = _page(browser, live_server, other_staff_user, size, lang)
    assert page.goto(f"{live_server.url}/staff/riders/{active.rider.pk}/").status == 404
    page.goto(f"{live_server.url}/staff/riders/?show=all")
    assert page.locator(".queue-card").count() == 0
    context.close()
