"""Issue 20, guards: their own log-in page (Last100, language switch), a home listing
their gates, log-out on the console, a rider without a photo, and an ended session that
says "log in again" and keeps the scan instead of showing DENIED. At 360×740 and
1280×800, in Chinese and English; screenshots under var/screenshots/."""

import pytest
from django.contrib.sessions.models import Session

from riders.services.keys import pass_token_issue
from riders.tests.factories import AccessGrantFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SIZES = {"phone": (360, 740), "desktop": (1280, 800)}
WORDS = {
    "zh-hans": {"open": "放行", "unchecked": "未核验", "denied": "拒绝", "no_photo": "没有存档"},
    "en": {"open": "OPEN", "unchecked": "NOT CHECKED", "denied": "DENIED", "no_photo": "No photo"},
}


def _context(browser, size: str, lang: str):
    width, height = SIZES[size]
    return browser.new_context(
        viewport={"width": width, "height": height},
        is_mobile=size == "phone",
        has_touch=size == "phone",
        extra_http_headers={"Accept-Language": lang},
    )


def _paste(page, token: str) -> None:
    page.fill("#token", token)
    page.click("#paste-form button[type=submit]")
    page.wait_for_selector("#result:not([hidden])")


@pytest.mark.parametrize("lang", ["zh-hans", "en"])
@pytest.mark.parametrize("size", ["phone", "desktop"])
def test_guard_logs_in_finds_their_gate_and_an_ended_session_keeps_the_scan(
    live_server, browser, screenshot_dir, staff_user, community, gate, size, lang
):
    words = WORDS[lang]
    grant = AccessGrantFactory(community=community, rider__name="李雷", rider__photo="")
    context = _context(browser, size, lang)
    page = context.new_page()
    page.goto(f"{live_server.url}/guard/{gate.entry_code}/")
    assert "/guard/login/" in page.url  # not the admin's log-in
    assert page.locator(".brand").inner_text() == "Last100"
    assert page.locator(".lang-switch a").count() == 2
    page.screenshot(path=f"{screenshot_dir}/guard-login-{size}-{lang}.png", full_page=True)
    page.fill("#id_username", staff_user.username)
    page.fill("#id_password", "pw-staff-123")
    page.click("form.login-form button[type=submit]")
    page.wait_for_selector("h1#scan-heading, #guard")  # back on the console it came from
    page.goto(f"{live_server.url}/guard/")
    page.wait_for_selector(".gate-list")
    page.screenshot(path=f"{screenshot_dir}/guard-home-{size}-{lang}.png", full_page=True)
    page.click(f"a[href='/guard/{gate.entry_code}/']")
    page.wait_for_selector("#guard")
    assert page.locator(".guard-top form[action='/guard/logout/'] button").is_visible()

    token = pass_token_issue(grant=grant)
    _paste(page, token)
    assert page.inner_text("#result-word") == words["open"]
    assert words["no_photo"] in page.inner_text("#result-no-photo")
    page.screenshot(path=f"{screenshot_dir}/guard-no-photo-{size}-{lang}.png")
    page.click("#result-close")

    # The idle time-out ends the session on the server (as core.security does).
    Session.objects.all().delete()
    token = pass_token_issue(grant=grant)  # a new pass: the first one was used
    _paste(page, token)
    assert page.inner_text("#result-word") == words["unchecked"]
    assert words["denied"] not in page.inner_text("#result")
    assert "result--denied" not in page.get_attribute("#result", "class")
    assert page.locator("#result-login-link").is_visible()
    assert page.input_value("#token") == token  # the scan is kept
    page.screenshot(path=f"{screenshot_dir}/guard-session-ended-{size}-{lang}.png")

    # Log in again in another tab; back on the console the kept scan is checked.
    with context.expect_page() as tab_info:
        page.click("#result-login-link")
    tab = tab_info.value
    tab.wait_for_selector("#id_username")
    tab.fill("#id_username", staff_user.username)
    tab.fill("#id_password", "pw-staff-123")
    tab.click("form.login-form button[type=submit]")
    tab.wait_for_selector("#guard")
    tab.close()
    page.click("#result-close")
    page.click("#paste-form button[type=submit]")
    page.wait_for_selector("#result.result--open")
    assert page.inner_text("#result-word") == words["open"]
    assert page.evaluate("document.documentElement.scrollWidth") <= SIZES[size][0]

    page.click("#result-close")
    page.click(".guard-top form[action='/guard/logout/'] button")
    page.wait_for_selector("#id_username")
    context.close()
