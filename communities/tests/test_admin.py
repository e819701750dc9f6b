"""The admin for property staff: scoped by object permissions, rules published through
the service, the site map's marker picker, audit rows, bounded query counts. (Validation
messages: test_validation.py; the bulk import: test_import.py.)"""

import json
import re
from decimal import Decimal

import pytest
from django.urls import reverse

from communities.admin.community import BUILDINGS_INLINE_MAX
from communities.models import (
    Community,
    DeliveryFacility,
    Gate,
    ParkingZone,
    RestStation,
    StaffMembership,
    Unit,
)
from communities.tests.factories import BuildingFactory, CommunityFactory, GateFactory
from communities.tests.test_import import png_upload
from communities.tests.test_validation import community_payload
from core.models import AuditEntry

CHANGELIST = "/admin/communities/community/"


pytestmark = pytest.mark.usefixtures("english")  # messages asserted in English


@pytest.fixture
def other_community(other_company):
    return CommunityFactory(company=other_company, slug="sky-bay", name="Sky Bay Secret")


def test_staff_see_only_their_companys_communities(client, staff_user, community, other_community):
    client.force_login(staff_user)
    html = client.get(CHANGELIST).content.decode()
    assert "Garden Court" in html
    assert "Sky Bay Secret" not in html and "Blue Sky Property" not in html


SCOPED_CHANGELISTS = (
    CHANGELIST,
    "/admin/communities/gate/",
    "/admin/communities/building/",
    "/admin/communities/parkingzone/",
    "/admin/communities/reststation/",
    "/admin/communities/deliveryfacility/",
    "/admin/communities/deliveryrules/",
    "/admin/",
)


@pytest.fixture
def furnished(community):
    """The community with one of every place, each named so a leak would show."""
    GateFactory(community=community, name="Secret Gate")
    BuildingFactory(community=community, number="77", name="Secret Tower")
    ParkingZone.objects.create(community=community, name="Secret Parking", capacity=4)
    RestStation.objects.create(community=community, name="Secret Rest")
    DeliveryFacility.objects.create(
        community=community, kind="food_cabinet", name="Secret Cabinet", capacity=20
    )
    return community


def test_staff_of_another_company_get_nothing_not_even_names(client, other_staff_user, furnished):
    client.force_login(other_staff_user)
    for url in SCOPED_CHANGELISTS:
        response = client.get(url)
        assert response.status_code == 200, url
        html = response.content.decode()
        assert "Garden Court" not in html, url
        assert "Secret" not in html and "Green Leaf" not in html, url
    # Searching for the names finds nothing either.
    html = client.get("/admin/communities/gate/", {"q": "Secret"}).content.decode()
    assert "Secret Gate" not in html and "0 gates" in html


def test_staff_see_every_place_of_their_communities(client, staff_user, furnished):
    client.force_login(staff_user)
    expected = {
        "/admin/communities/gate/": "Secret Gate",
        "/admin/communities/building/": "Secret Tower",
        "/admin/communities/parkingzone/": "Secret Parking",
        "/admin/communities/reststation/": "Secret Rest",
        "/admin/communities/deliveryfacility/": "Secret Cabinet",
    }
    for url, name in expected.items():
        assert name in client.get(url).content.decode(), url


def test_a_superuser_sees_every_company(client, superuser, community, other_community):
    client.force_login(superuser)
    html = client.get(CHANGELIST).content.decode()
    assert "Garden Court" in html and "Sky Bay Secret" in html


def test_another_companys_pages_look_missing(client, other_staff_user, community):
    gate = GateFactory(community=community, name="Secret Gate")
    client.force_login(other_staff_user)
    for url in (
        reverse("admin:communities_community_change", args=[community.pk]),
        reverse("admin:communities_gate_change", args=[gate.pk]),
    ):
        response = client.get(url)
        assert response.status_code == 302, url  # the admin's "does not exist" redirect
        assert "Secret Gate" not in client.get(response["Location"]).content.decode()
    for url in (
        reverse("admin:communities_community_publish_rules", args=[community.pk]),
        reverse("admin:communities_community_import_units", args=[community.pk]),
    ):
        assert client.get(url).status_code == 404, url


def test_foreign_key_choices_hold_only_own_communities(
    client, staff_user, community, other_community
):
    client.force_login(staff_user)
    html = client.get(reverse("admin:communities_gate_add")).content.decode()
    assert "Garden Court" in html and "Sky Bay Secret" not in html


def test_staff_create_a_community_for_their_own_company_only(
    client, staff_user, company, other_company
):
    client.force_login(staff_user)
    html = client.get(reverse("admin:communities_community_add")).content.decode()
    assert "Green Leaf Property" in html and "Blue Sky Property" not in html
    response = client.post(
        reverse("admin:communities_community_add"),
        {
            "company": company.pk,
            "slug": "new-place",
            "name": "New Place",
            "auto_approve_verified_riders": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    created = Community.objects.get(slug="new-place")
    assert created.rules_versions.count() == 1
    assert staff_user.has_perm("communities.change_community", created)
    refused = client.post(
        reverse("admin:communities_community_add"),
        {"company": other_company.pk, "slug": "sneaky", "name": "Sneaky"},
    )
    assert refused.status_code == 200 and not Community.objects.filter(slug="sneaky").exists()


def test_changelist_query_count_does_not_grow_with_communities(
    client, staff_user, company, django_assert_max_num_queries
):
    client.force_login(staff_user)
    CommunityFactory(company=company)
    with django_assert_max_num_queries(12) as few:
        client.get(CHANGELIST)
    for _ in range(15):
        CommunityFactory(company=company)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(CHANGELIST)


def test_change_page_queries_stay_bounded_with_many_buildings(
    client, staff_user, community, django_assert_max_num_queries
):
    url = reverse("admin:communities_community_change", args=[community.pk])
    client.force_login(staff_user)
    BuildingFactory(community=community, number="0")
    GateFactory(community=community)
    with django_assert_max_num_queries(40) as few:
        client.get(url)
    for n in range(BUILDINGS_INLINE_MAX - 1):
        BuildingFactory(community=community, number=str(n + 1))
        GateFactory(community=community)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(url)
    assert response.status_code == 200
    assert 'name="buildings-TOTAL_FORMS"' in response.content.decode()


def test_a_community_with_hundreds_of_buildings_links_to_their_list(
    client, staff_user, community, django_assert_max_num_queries
):
    from communities.models import Building

    community.site_map = png_upload()
    community.save()
    Building.objects.bulk_create(
        Building(community=community, number=str(n), x_pct=1 + n % 90, y_pct=50) for n in range(200)
    )
    client.force_login(staff_user)
    url = reverse("admin:communities_community_change", args=[community.pk])
    with django_assert_max_num_queries(30):
        response = client.get(url)
    html = response.content.decode()
    assert "buildings-TOTAL_FORMS" not in html
    assert "200 buildings: too many to edit here" in html
    assert f"/admin/communities/building/?community={community.pk}" in html
    markers = json.loads(response.context["map_markers_json"])
    assert sum(m["kind"] == "building" for m in markers) == 200  # still seen on the map
    assert len(response.content) < 150_000
    # The page still saves without a buildings formset.
    data = community_payload(community, "gates", name="East Gate")
    assert client.post(url, data).status_code == 302
    assert Building.objects.filter(community=community).count() == 200
    listing = client.get(f"/admin/communities/building/?community={community.pk}")
    assert "200 buildings" in listing.content.decode()


def test_the_site_map_panel_appears_once_a_map_is_uploaded(client, staff_user, community):
    from communities.tests.test_import import png_upload

    community.site_map = png_upload()
    community.save()
    client.force_login(staff_user)
    html = client.get(
        reverse("admin:communities_community_change", args=[community.pk])
    ).content.decode()
    assert "data-marker-map" in html and "js/marker-picker.js" in html
    assert 'class="marker-place button"' in html or "Place on map" in html


def test_audit_entries_are_for_superusers_only(client, staff_user, superuser):
    client.force_login(staff_user)
    assert client.get("/admin/core/auditentry/").status_code == 403
    client.force_login(superuser)
    assert client.get("/admin/core/auditentry/").status_code == 200


def test_publishing_rules_makes_a_new_version(client, staff_user, community):
    community.site_map = png_upload()
    community.save()
    client.force_login(staff_user)
    url = reverse("admin:communities_community_publish_rules", args=[community.pk])
    response = client.post(
        url,
        {
            "entry_policy": "no_entry",
            "handoff_point": "Cabinet by the north gate",
            "speed_limit_kmh": "10",
            "x_pct": "12.5",
            "y_pct": "40",
        },
    )
    assert response.status_code == 302
    current = community.rules_versions.order_by("-version").first()
    assert (current.version, current.entry_policy, current.speed_limit_kmh) == (2, "no_entry", 10)
    assert current.created_by == staff_user
    assert AuditEntry.objects.filter(action="rules_publish", object_id=str(current.pk)).exists()
    # Nothing in the admin edits a published version.
    assert client.get(reverse("admin:communities_deliveryrules_add")).status_code == 403
    view = client.get(reverse("admin:communities_deliveryrules_change", args=[current.pk]))
    assert view.status_code == 200 and 'name="entry_policy"' not in view.content.decode()


def test_a_gate_saved_from_the_community_page_shows_on_the_rules_page_and_is_audited(
    client, staff_user, community
):
    community.site_map = png_upload()
    community.save()
    client.force_login(staff_user)
    url = reverse("admin:communities_community_change", args=[community.pk])
    data = community_payload(community, "gates", name="North Gate", open_to_riders="on")
    data.update({"gates-0-x_pct": "10.5", "gates-0-y_pct": "20"})
    response = client.post(url, data)
    assert response.status_code == 302, re.findall(
        r'class="errorlist[^>]*>(.*?)</ul>', response.content.decode()
    )
    gate = Gate.objects.get(community=community)
    assert (gate.x_pct, gate.y_pct) == (Decimal("10.50"), Decimal("20.00"))
    assert "North Gate" in client.get(f"/c/{community.slug}/").content.decode()
    entry = AuditEntry.objects.get(action="gate_add", object_id=str(gate.pk))
    assert (entry.actor, entry.community_id) == (staff_user, community.pk)


def test_the_map_shows_the_communitys_other_places_faintly(client, staff_user, community):
    community.site_map = png_upload()
    community.save()
    gate = GateFactory(community=community, name="North Gate", x_pct=10, y_pct=20)
    BuildingFactory(community=community, number="7", x_pct=Decimal("30"), y_pct=Decimal("40"))
    GateFactory(community=community, name="Unplaced", x_pct=None, y_pct=None)
    client.force_login(staff_user)
    response = client.get(reverse("admin:communities_gate_change", args=[gate.pk]))
    html = response.content.decode()
    assert "data-marker-map" in html and 'name="x_pct"' in html
    markers = json.loads(response.context["map_markers_json"])
    assert {(m["kind"], m["label"], m["x"], m["y"]) for m in markers} == {
        ("building", "Building 7", 30.0, 40.0)
    }  # the gate being edited is drawn from its own fields; unplaced gates not at all
    assert "data-markers=" in html and "Building 7" in html


def test_an_add_page_opened_for_a_community_shows_its_map(
    client, staff_user, other_staff_user, community
):
    community.site_map = png_upload()
    community.save()
    url = reverse("admin:communities_parkingzone_add") + f"?community={community.pk}"
    client.force_login(staff_user)
    assert "data-marker-map" in client.get(url).content.decode()
    client.force_login(other_staff_user)
    html = client.get(url).content.decode()
    assert "data-marker-map" not in html and community.site_map.url not in html


@pytest.mark.parametrize(
    "url",
    [
        "/admin/communities/gate/",
        "/admin/communities/building/",
        "/admin/communities/parkingzone/",
        "/admin/communities/deliveryrules/",
    ],
)
def test_place_changelists_query_count_does_not_grow(
    client, staff_user, company, url, django_assert_max_num_queries
):
    def add_community():
        c = CommunityFactory(company=company)
        GateFactory(community=c)
        building = BuildingFactory(community=c)
        Unit.objects.create(building=building, number="101", exclusive_area=50)
        ParkingZone.objects.create(community=c, name="P")

    client.force_login(staff_user)
    add_community()
    with django_assert_max_num_queries(15) as few:
        assert client.get(url).status_code == 200
    for _ in range(10):
        add_community()
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(url)


def test_building_page_queries_stay_bounded_with_many_units(
    client, staff_user, community, django_assert_max_num_queries
):
    building = BuildingFactory(community=community, number="7")
    Unit.objects.create(building=building, number="100", exclusive_area=50)
    url = reverse("admin:communities_building_change", args=[building.pk])
    client.force_login(staff_user)
    with django_assert_max_num_queries(30) as few:
        client.get(url)
    Unit.objects.bulk_create(
        Unit(building=building, entrance="1", number=str(n), exclusive_area=60) for n in range(80)
    )
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(url).status_code == 200


def test_companies_and_memberships_are_for_superusers_only(client, staff_user, superuser, company):
    client.force_login(staff_user)
    for url in ("/admin/communities/propertycompany/", "/admin/communities/staffmembership/"):
        assert client.get(url).status_code == 403, url
    assert "Property companies" not in client.get("/admin/").content.decode()
    client.force_login(superuser)
    assert (
        "Green Leaf Property" in client.get("/admin/communities/propertycompany/").content.decode()
    )


def test_ending_a_staff_membership_ends_the_community_permissions(
    client, staff_user, superuser, community
):
    assert staff_user.has_perm("communities.change_community", community)
    membership = StaffMembership.objects.get(user=staff_user)
    client.force_login(superuser)
    url = reverse("admin:communities_staffmembership_delete", args=[membership.pk])
    assert client.post(url, {"post": "yes"}).status_code == 302
    staff_user = type(staff_user).objects.get(pk=staff_user.pk)  # fresh permission cache
    assert not staff_user.has_perm("communities.change_community", community)
    assert AuditEntry.objects.filter(action="company_staff_remove").exists()
    client.force_login(staff_user)
    assert "Garden Court" not in client.get(CHANGELIST).content.decode()


# --- the marker picker in a real browser ---------------------------------------------


def _browser_login(page, live_server, user) -> None:
    from django.conf import settings
    from django.test import Client

    client = Client()
    client.force_login(user)
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    page.context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": live_server.url}]
    )


def _click_map_at(page, x_frac: float, y_frac: float) -> None:
    box = page.locator("[data-marker-map] img").bounding_box()
    page.locator("[data-marker-map] img").click(
        position={"x": box["width"] * x_frac, "y": box["height"] * y_frac}
    )


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_clicking_the_site_map_places_the_marker_on_a_phone(
    live_server, phone_page, screenshot_dir, staff_user, community
):
    community.site_map = png_upload((800, 600))
    community.save()
    gate = GateFactory(community=community, name="North Gate", x_pct=10, y_pct=20)
    BuildingFactory(community=community, number="7", x_pct=Decimal("30"), y_pct=Decimal("40"))
    page = phone_page
    _browser_login(page, live_server, staff_user)
    page.goto(f"{live_server.url}/admin/communities/gate/{gate.pk}/change/")
    # The gate's own marker is active; the building is drawn faintly beside it.
    page.wait_for_selector(".marker-dot.is-active")
    assert page.locator(".marker-dot.is-other").count() == 1
    assert page.locator("[data-marker-map] img").bounding_box()["width"] <= 360
    _click_map_at(page, 0.5, 0.25)
    x = float(page.input_value("#id_x_pct"))
    y = float(page.input_value("#id_y_pct"))
    assert abs(x - 50) < 1 and abs(y - 25) < 1
    assert re.fullmatch(r"\d+\.\d\d", page.input_value("#id_x_pct"))  # two decimals
    page.screenshot(path=f"{screenshot_dir}/admin-marker-phone.png", full_page=False)
    # Typing moves the dot too (keyboard users never need the map).
    page.fill("#id_y_pct", "80")
    top = page.locator(".marker-dot.is-active").evaluate("d => d.style.top")
    assert top == "80%"
    page.click("input[name=_save]")
    page.wait_for_url("**/admin/communities/gate/")
    gate.refresh_from_db()
    assert abs(float(gate.x_pct) - 50) < 1 and gate.y_pct == Decimal("80.00")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_place_on_map_buttons_choose_the_row_on_the_community_page(
    live_server, browser, screenshot_dir, staff_user, community
):
    community.site_map = png_upload((800, 600))
    community.save()
    GateFactory(community=community, name="North Gate", x_pct=10, y_pct=20)
    GateFactory(community=community, name="South Gate", x_pct=None, y_pct=None)
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    try:
        _browser_login(page, live_server, staff_user)
        page.goto(f"{live_server.url}/admin/communities/community/{community.pk}/change/")
        page.wait_for_selector("[data-marker-map] img")
        _click_map_at(page, 0.5, 0.5)  # two rows: nothing chosen yet, nothing changes
        assert "button first" in page.text_content("[data-marker-status]")
        assert page.input_value("#id_gates-1-x_pct") == ""
        south = page.locator("#gates-1 .marker-place")
        south.focus()
        page.keyboard.press("Enter")  # a real button: the keyboard works
        assert south.get_attribute("aria-pressed") == "true"
        _click_map_at(page, 0.75, 0.5)
        assert abs(float(page.input_value("#id_gates-1-x_pct")) - 75) < 1
        assert page.input_value("#id_gates-0-x_pct") == "10.00"  # the other row untouched
        page.screenshot(path=f"{screenshot_dir}/admin-community-map.png", full_page=True)
    finally:
        context.close()


def test_a_forged_community_id_in_a_post_is_refused(client, other_staff_user, community):
    client.force_login(other_staff_user)
    data = {
        "community": community.pk,
        "name": "Planted Gate",
        "controllers-TOTAL_FORMS": "0",
        "controllers-INITIAL_FORMS": "0",
    }
    response = client.post(reverse("admin:communities_gate_add"), data)
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert not Gate.objects.filter(name="Planted Gate").exists()
    forged = client.post(
        reverse("admin:communities_community_publish_rules", args=[community.pk]),
        {"entry_policy": "open"},
    )
    assert forged.status_code == 404 and community.rules_versions.count() == 1


def test_gate_page_queries_stay_bounded_with_many_controllers(
    client, staff_user, community, django_assert_max_num_queries
):
    from communities.models import GateController

    gate = GateFactory(community=community)

    def add(n):
        GateController.objects.bulk_create(
            GateController(gate=gate, name=f"c{gate.pk}-{i}", endpoint="http://10.0.0.9/")
            for i in range(n)
        )

    add(1)
    url = reverse("admin:communities_gate_change", args=[gate.pk])
    client.force_login(staff_user)
    with django_assert_max_num_queries(30) as few:
        client.get(url)
    add(30)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(url).status_code == 200


@pytest.mark.parametrize("value", ["abc", "1'", "-1", "99999999999999999999999"])
def test_a_community_list_filter_value_that_is_not_a_visible_community_lists_nothing(
    client, staff_user, community, other_community, value
):
    BuildingFactory(community=community, number="7")
    BuildingFactory(community=other_community, number="8")
    client.force_login(staff_user)
    client.raise_request_exception = False
    response = client.get(reverse("admin:communities_building_changelist"), {"community": value})
    assert response.status_code == 200
    assert response.context["cl"].result_count == 0
    foreign = client.get(
        reverse("admin:communities_building_changelist"), {"community": other_community.pk}
    )
    assert foreign.status_code == 200 and foreign.context["cl"].result_count == 0
    own = client.get(reverse("admin:communities_building_changelist"), {"community": community.pk})
    assert own.context["cl"].result_count == 1


@pytest.mark.parametrize("value", ["abc", "1'"])
def test_a_company_list_filter_value_that_is_not_a_number_lists_nothing(
    client, staff_user, community, value
):
    client.force_login(staff_user)
    client.raise_request_exception = False
    response = client.get(reverse("admin:communities_community_changelist"), {"company": value})
    assert response.status_code == 200
    assert response.context["cl"].result_count == 0


def test_staff_set_their_communitys_city_and_district_and_no_one_elses(
    client, staff_user, other_staff_user, community
):
    """The street office's list and the platforms' ranking filter on these fields."""
    url = reverse("admin:communities_community_change", args=[community.pk])
    data = community_payload(community, "gates")
    data["gates-TOTAL_FORMS"] = "0"
    data.update({"city": "上海市", "district": "静安区"})
    client.force_login(other_staff_user)
    client.post(url, data)
    community.refresh_from_db()
    assert (community.city, community.district) == ("", "")
    client.force_login(staff_user)
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    community.refresh_from_db()
    assert (community.city, community.district) == ("上海市", "静安区")
