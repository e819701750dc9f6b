"""Issue 20, item 6: the new-resolution form shows only the chosen effect's fields; the
rider's page and "Publish new rules" are styled. 360×740 and 1280×800, zh-hans and en."""

import pytest

from riders.tests.factories import AccessGrantFactory
from tests.test_browser_staff_workplace import SIZES, _page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("lang", ["zh-hans", "en"])
@pytest.mark.parametrize("size", ["phone", "desktop"])
def test_resolution_form_shows_only_the_chosen_effect_and_staff_forms_are_styled(
    live_server, browser, screenshot_dir, staff_user, community, size, lang
):
    context, page = _page(browser, live_server, staff_user, size, lang)
    page.goto(f"{live_server.url}/vote/staff/{community.slug}/")
    page.wait_for_selector("#id_effect_type")
    assert page.locator(".staff-nav").count() == 1
    assert not page.is_visible("#id_policy") and not page.is_visible("#id_facility_name")
    page.select_option("#id_effect_type", "entry_policy")
    assert page.is_visible("#id_policy") and not page.is_visible("#id_facility_name")
    page.select_option("#id_effect_type", "facility")
    assert page.is_visible("#id_facility_name") and not page.is_visible("#id_policy")
    page.screenshot(
        path=f"{screenshot_dir}/staff-resolution-form-{size}-{lang}.png", full_page=True
    )

    grant = AccessGrantFactory(community=community, rider__photo="")
    page.goto(f"{live_server.url}/staff/riders/{grant.rider.pk}/")
    assert page.eval_on_selector(".rider-card", "e => getComputedStyle(e).display") == "flex"
    assert page.evaluate("document.documentElement.scrollWidth") <= SIZES[size][0]
    page.screenshot(path=f"{screenshot_dir}/staff-rider-{size}-{lang}.png", full_page=True)

    page.goto(f"{live_server.url}/admin/communities/community/{community.pk}/publish-rules/")
    stylesheets = page.evaluate("Array.from(document.styleSheets).map(s => s.href || '')")
    assert any(href.endswith("admin/css/forms.css") for href in stylesheets)
    page.screenshot(path=f"{screenshot_dir}/staff-publish-rules-{size}-{lang}.png", full_page=True)
    context.close()
