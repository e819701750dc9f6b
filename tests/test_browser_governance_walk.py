"""The owners change their mind, in a real browser (issue 19): staff put "no entry" to
the vote, owners vote, staff close it and confirm the hand-off point, the rider who had
access is refused as suspended; a later resolution reopens entry, and the same rider is
let in again, with the gates' change log saying so. Screenshots are kept."""

from __future__ import annotations

import datetime as dt
import os
import re

import pytest
from django.conf import settings
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from communities.tests.factories import CommunityFactory, GateFactory
from gatesync.models import AccessChange
from governance.models import Choice, Resolution, ResolutionState
from governance.tests.factories import owners_each_one_unit, resolution_opened, votes_cast
from riders.models import GrantStatus
from riders.tests.factories import (
    AccessGrantFactory,
    PlatformFactory,
    RiderFactory,
    sign_assertion,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _login(page, live_server, user) -> None:
    client = Client()
    client.force_login(user)
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    page.context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": live_server.url}]
    )


def test_forbid_vote_close_hand_off_reopen_and_the_rider_is_back_in(
    live_server, browser, phone_page, screenshot_dir, company, staff_user
):
    from playwright.sync_api import expect

    cache.clear()
    community = CommunityFactory(company=company, slug="willow-walk", name="Willow Walk")
    gate = GateFactory(community=community, name="North Gate")
    owners = owners_each_one_unit(community, 4, "100.00")
    platform = PlatformFactory(code="demo", name="Demo Delivery")
    rider = RiderFactory(platform=platform, platform_rider_id="R77", name="李雷")
    grant = AccessGrantFactory(rider=rider, community=community)
    shots = os.path.join(screenshot_dir, "governance-walk")
    os.makedirs(shots, exist_ok=True)

    staff = phone_page
    staff.set_extra_http_headers({"Accept-Language": "en"})
    _login(staff, live_server, staff_user)
    rider_context = browser.new_context(viewport={"width": 360, "height": 740}, is_mobile=True)
    rider_page = rider_context.new_page()
    rider_page.set_extra_http_headers({"Accept-Language": "en"})

    def rider_scans():
        token = sign_assertion(platform, sub="R77", name="李雷")
        return rider_page.goto(f"{live_server.url}/r/{gate.entry_code}/?assertion={token}")

    assert rider_scans().status == 200  # in: the pass page
    expect(rider_page).to_have_url(re.compile("/pass/"))

    # 1. Staff put "no entry" to the vote, through the staff page.
    staff.goto(f"{live_server.url}/vote/staff/{community.slug}/")
    staff.get_by_label("Title").fill("Riders hand food over at the north gate")
    staff.get_by_label("Text the owners read").fill("Riders stop at the north gate lobby.")
    staff.get_by_label("Effect when passed").select_option("entry_policy")
    staff.get_by_label("Entry policy").select_option("no_entry")
    staff.get_by_label("Hand-off point").fill("North gate lobby shelves")
    window = [timezone.localtime(timezone.now() + dt.timedelta(days=d)) for d in (-1, 30)]
    staff.get_by_label("Voting opens").fill(window[0].strftime("%Y-%m-%dT%H:%M"))
    staff.get_by_label("Voting closes").fill(window[1].strftime("%Y-%m-%dT%H:%M"))
    staff.get_by_role("button", name="Save draft").click()
    expect(staff.locator(".legal-basis")).to_contain_text("item 2")
    staff.get_by_role("button", name="Open voting").click()
    forbid = Resolution.objects.get(community=community, number=1)
    assert forbid.state == ResolutionState.OPEN

    # 2. Owners vote; 3. staff close it: passed, but hand-off rules needed.
    votes_cast(forbid, owners[:3], Choice.FOR)
    staff.get_by_role("button", name="Close voting now and count").click()
    expect(staff.locator(".meta")).to_contain_text("passed — hand-off rules needed")
    rules = staff.context.new_page()
    rules.set_extra_http_headers({"Accept-Language": "en"})
    rules.goto(f"{live_server.url}/c/{community.slug}/")
    expect(rules.locator(".decision-pending")).to_contain_text("The owners have decided")
    rules.screenshot(path=os.path.join(shots, "1-rules-decision-pending.png"), full_page=True)
    assert rider_scans().status == 200  # nothing changes before the hand-off point

    # 4. Staff confirm the hand-off point (pre-filled from the resolution; its English
    # twin is optional, labelled "Hand-off point in English (optional)").
    hand_off = staff.get_by_label("Hand-off point", exact=True)
    expect(hand_off).to_have_value("North gate lobby shelves")
    staff.screenshot(path=os.path.join(shots, "2-staff-confirm-hand-off.png"), full_page=True)
    staff.get_by_role("button", name="Publish the hand-off point").click()
    expect(staff.locator(".meta")).to_contain_text("passed")
    expect(staff.locator(".events")).to_contain_text("passed — hand-off rules needed → passed")
    rules.goto(f"{live_server.url}/c/{community.slug}/")
    expect(rules.locator("body")).to_contain_text("North gate lobby shelves")
    expect(rules.locator(".decision-pending")).to_have_count(0)
    response = rider_scans()
    assert response.status == 403
    expect(rider_page.locator("body")).to_contain_text("Riders may not enter Willow Walk")
    rider_page.screenshot(path=os.path.join(shots, "3-rider-suspended.png"), full_page=True)
    grant.refresh_from_db()
    assert grant.status == GrantStatus.SUSPENDED

    # 5. The owners reopen entry; staff close that vote too.
    reopen = resolution_opened(
        community,
        title="Riders may ride in again after registering",
        effect={"type": "entry_policy", "policy": "registered"},
    )
    votes_cast(reopen, owners, Choice.FOR)
    before = AccessChange.objects.filter(community=community).count()
    staff.goto(f"{live_server.url}/vote/staff/{community.slug}/{reopen.pk}/")
    staff.get_by_role("button", name="Close voting now and count").click()
    expect(staff.locator(".meta")).to_contain_text("passed")
    staff.screenshot(path=os.path.join(shots, "4-staff-reopened.png"), full_page=True)

    # 6. The suspended rider is back in, and the gates were told.
    grant.refresh_from_db()
    assert grant.status == GrantStatus.ACTIVE
    changes = list(AccessChange.objects.filter(community=community).order_by("version"))[before:]
    assert [(c.grant_id, c.cause) for c in changes if c.grant_id] == [(grant.pk, "reinstate")]
    assert rider_scans().status == 200
    expect(rider_page).to_have_url(re.compile("/pass/"))
    rider_page.screenshot(path=os.path.join(shots, "5-rider-back-in.png"), full_page=True)
    rules.goto(f"{live_server.url}/c/{community.slug}/")
    expect(rules.locator("body")).to_contain_text("after registering")
    rules.screenshot(path=os.path.join(shots, "6-rules-reopened.png"), full_page=True)

    # The public result page of the first vote, on a phone.
    staff.goto(f"{live_server.url}/vote/{forbid.pk}/result")
    expect(staff.locator(".outcome")).to_contain_text("passed")
    staff.screenshot(path=os.path.join(shots, "7-result-phone.png"), full_page=True)
    rider_context.close()
