"""The admin for property staff: scoped by object permissions, rules published through
the service, markers and validation with clear messages."""

import re

import pytest
from django.urls import reverse

from communities.models import Community, DeliveryRules, Gate
from communities.tests.factories import BuildingFactory, CommunityFactory, GateFactory

CHANGELIST = "/admin/communities/community/"


@pytest.fixture(autouse=True)
def english(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"


@pytest.fixture
def other_community(other_company):
    return CommunityFactory(company=other_company, slug="sky-bay", name="Sky Bay Secret")


def test_staff_see_only_their_companys_communities(client, staff_user, community, other_community):
    client.force_login(staff_user)
    html = client.get(CHANGELIST).content.decode()
    assert "Garden Court" in html
    assert "Sky Bay Secret" not in html and "Blue Sky Property" not in html


def test_staff_of_another_company_get_nothing_not_even_names(client, other_staff_user, community):
    client.force_login(other_staff_user)
    for url in (
        CHANGELIST,
        "/admin/communities/gate/",
        "/admin/communities/building/",
        "/admin/communities/deliveryrules/",
        "/admin/",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert "Garden Court" not in response.content.decode(), url


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


def test_publishing_no_entry_without_a_hand_off_point_is_refused_with_a_message(
    client, staff_user, community
):
    client.force_login(staff_user)
    url = reverse("admin:communities_community_publish_rules", args=[community.pk])
    response = client.post(url, {"entry_policy": "no_entry", "handoff_point": ""})
    assert response.status_code == 200
    assert "say where they hand the food over" in response.content.decode()
    assert DeliveryRules.objects.filter(community=community).count() == 1


def test_publishing_rules_makes_a_new_version(client, staff_user, community):
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


def _inline_payload(community, **gate):
    data = {
        "company": community.company_id,
        "slug": community.slug,
        "name": community.name,
        "auto_approve_verified_riders": "on",
    }
    for prefix in (
        "gates",
        "parking_zones",
        "rest_stations",
        "facilities",
        "buildings",
        "rules_versions",
    ):
        data.update({f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0"})
    data["rules_versions-INITIAL_FORMS"] = str(community.rules_versions.count())
    data["rules_versions-TOTAL_FORMS"] = str(community.rules_versions.count())
    for i, rules in enumerate(community.rules_versions.order_by("-version")):
        data[f"rules_versions-{i}-id"] = str(rules.pk)
        data[f"rules_versions-{i}-community"] = str(community.pk)
    data.update({"gates-TOTAL_FORMS": "1"})
    data.update({f"gates-0-{k}": v for k, v in gate.items()})
    return data


@pytest.mark.parametrize(
    ("gate", "message"),
    [
        ({"name": "North", "opens_at": "08:00"}, "Give both the opening and the closing time"),
        ({"name": "North", "opens_at": "08:00", "closes_at": "08:00"}, "are the same"),
        ({"name": "North", "x_pct": "120", "y_pct": "5"}, "Ensure this value is less than"),
        ({"name": "North", "x_pct": "20"}, "Set both coordinates of the marker"),
    ],
)
def test_inline_validation_messages(client, staff_user, community, gate, message):
    client.force_login(staff_user)
    url = reverse("admin:communities_community_change", args=[community.pk])
    response = client.post(url, _inline_payload(community, **gate))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Gate.objects.filter(community=community).exists()


def test_a_gate_saved_from_the_community_page_shows_on_the_rules_page(
    client, staff_user, community
):
    client.force_login(staff_user)
    url = reverse("admin:communities_community_change", args=[community.pk])
    response = client.post(
        url,
        _inline_payload(
            community, name="North Gate", open_to_riders="on", x_pct="10.5", y_pct="20"
        ),
    )
    assert response.status_code == 302, re.findall(
        r'class="errorlist[^>]*>(.*?)</ul>', response.content.decode()
    )
    assert "North Gate" in client.get(f"/c/{community.slug}/").content.decode()


def test_house_numbers_are_unique_per_building_with_a_clear_message(client, staff_user, community):
    building = BuildingFactory(community=community, number="7")
    client.force_login(staff_user)
    url = reverse("admin:communities_building_change", args=[building.pk])
    data = {
        "community": community.pk,
        "number": "7",
        "name": "",
        "x_pct": "50",
        "y_pct": "50",
        "units-TOTAL_FORMS": "2",
        "units-INITIAL_FORMS": "0",
        "units-0-entrance": "2",
        "units-0-number": "1503",
        "units-0-exclusive_area": "89.5",
        "units-1-entrance": "2",
        "units-1-number": "1503",
        "units-1-exclusive_area": "92",
    }
    response = client.post(url, data)
    assert response.status_code == 200
    assert "Please correct the duplicate data" in response.content.decode()
    assert not building.units.exists()


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
    with django_assert_max_num_queries(40) as few:
        client.get(url)
    for n in range(60):
        BuildingFactory(community=community, number=str(n + 1))
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(url)
    assert response.status_code == 200


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
    assert client.get("/admin/portal/auditentry/").status_code == 403
    client.force_login(superuser)
    assert client.get("/admin/portal/auditentry/").status_code == 200
