"""An owner votes on a 360-px phone and watches the participation bar move; the vote
closes; the public result shows the figures; the community's rules page shows the new
policy the resolution set. Real Chromium through Playwright; screenshots are kept."""

from __future__ import annotations

import os
import re

import pytest
from django.core.cache import cache

from communities.tests.factories import CommunityFactory
from governance import services
from governance.models import Ballot, Choice, ResolutionState
from governance.tests.factories import (
    owner_with_login,
    owners_each_one_unit,
    resolution_opened,
    units_make,
    votes_cast,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_an_owner_votes_and_the_result_changes_the_rules_page(
    live_server, phone_page, screenshot_dir, company
):
    from playwright.sync_api import expect

    cache.clear()
    community = CommunityFactory(company=company, slug="lotus-garden", name="Lotus Garden")
    owner = owner_with_login("owner.li", name="Li Na")
    (unit,) = units_make(community, 1, "100.00")
    services.ownership_add(unit=unit, owner=owner, acting_user=None)
    neighbours = owners_each_one_unit(community, 3, "100.00")
    resolution = resolution_opened(
        community,
        title="Riders hand food over at the north gate",
        effect={
            "type": "entry_policy",
            "policy": "no_entry",
            "handoff_point": "Food shelves inside the north gate lobby",
        },
    )
    page = phone_page
    page.set_extra_http_headers({"Accept-Language": "en"})  # the tests read English text

    page.goto(f"{live_server.url}/vote/")
    page.get_by_label("User name").fill("owner.li")
    page.get_by_label("Password").fill("pw-owner-123")
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("link", name=re.compile("Riders hand food over")).click()
    owners_bar = page.locator("[data-bar='1'] .bar-text")
    expect(owners_bar).to_contain_text("0 of 4 owners")

    page.get_by_role("button", name="For", exact=True).click()
    receipt = page.locator(".receipt-code")
    expect(receipt).to_be_visible()  # the POST has been answered; now read the database
    expect(receipt).to_have_text(Ballot.objects.get().receipt)
    expect(owners_bar).to_contain_text("1 of 4 owners")
    assert page.locator("progress").nth(1).get_attribute("value") == "1"

    # Neighbours vote elsewhere; the open page's bars follow without a reload.
    votes_cast(resolution, neighbours[:2], Choice.FOR)
    page.evaluate("document.dispatchEvent(new Event('vote:refresh'))")
    expect(owners_bar).to_contain_text("3 of 4 owners (75.0 %)")
    expect(page.locator("[data-bar='1']")).to_have_class(re.compile("bar--met"))
    expect(owners_bar).to_contain_text("(reached)")
    page.screenshot(path=os.path.join(screenshot_dir, "vote-owner-phone.png"), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= 360

    closed = services.resolution_close(resolution=resolution, acting_user=None)
    assert closed.state == ResolutionState.PASSED_PENDING  # staff confirm the hand-off point
    closed = services.resolution_handoff_set(
        resolution=closed,
        handoff_point="Food shelves inside the north gate lobby",
        acting_user=None,
    )
    assert closed.state == ResolutionState.PASSED

    page.goto(f"{live_server.url}/vote/{resolution.pk}/result")
    expect(page.locator(".outcome")).to_contain_text("passed")
    expect(page.locator(".rule")).to_contain_text("Civil Code Art. 278")
    expect(page.locator("table").first).to_contain_text("300.00")
    expect(page.locator("body")).not_to_contain_text("Li Na")
    page.screenshot(path=os.path.join(screenshot_dir, "vote-result-phone.png"), full_page=True)

    page.goto(f"{live_server.url}/c/{community.slug}/")
    expect(page.locator("body")).to_contain_text("Food shelves inside the north gate lobby")
    page.screenshot(path=os.path.join(screenshot_dir, "vote-rules-after.png"), full_page=True)
