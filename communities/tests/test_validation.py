"""What staff are told when a change does not make sense: every refusal is a form error
with a clear message on the page (never a 500, never an IntegrityError), and nothing is
written."""

import io
import os

import pytest
from django.urls import reverse
from PIL import Image

from communities.models import Building, DeliveryRules, Gate, ParkingZone, Unit
from communities.tests.factories import BuildingFactory, GateFactory
from communities.tests.test_import import png_upload

pytestmark = pytest.mark.usefixtures("english")  # messages asserted in English


@pytest.fixture
def mapped(community):
    """The community with a site map uploaded."""
    community.site_map = png_upload()
    community.save()
    return community


def _errors(response) -> str:
    assert response.status_code == 200, "expected the form again, with its errors"
    return response.content.decode()


def community_payload(community, inline="gates", **row):
    """The community's change form with no inline rows but one new row in `inline`."""
    data = {
        "company": community.company_id,
        "slug": community.slug,
        "name": community.name,
        "auto_approve_verified_riders": "on",
    }
    for prefix in ("gates", "parking_zones", "rest_stations", "facilities", "buildings"):
        data.update({f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0"})
    versions = list(community.rules_versions.order_by("-version"))
    data["rules_versions-INITIAL_FORMS"] = data["rules_versions-TOTAL_FORMS"] = str(len(versions))
    for i, rules in enumerate(versions):
        data[f"rules_versions-{i}-id"] = str(rules.pk)
        data[f"rules_versions-{i}-community"] = str(community.pk)
    data[f"{inline}-TOTAL_FORMS"] = "1"
    data.update({f"{inline}-0-{k}": v for k, v in row.items()})
    return data


def _change_url(community):
    return reverse("admin:communities_community_change", args=[community.pk])


# --- delivery rules ------------------------------------------------------------------


def test_no_entry_policy_needs_a_hand_off_point(client, staff_user, community):
    client.force_login(staff_user)
    url = reverse("admin:communities_community_publish_rules", args=[community.pk])
    html = _errors(client.post(url, {"entry_policy": "no_entry", "handoff_point": "  "}))
    assert "When riders may not enter, say where they hand the food over." in html
    assert DeliveryRules.objects.filter(community=community).count() == 1


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"rider_hours_start": "08:00"}, "Give both ends of the riders&#x27; hours"),
        (
            {"rider_hours_start": "08:00", "rider_hours_end": "08:00"},
            "start and end at the same time",
        ),
        ({"speed_limit_kmh": "0"}, "Ensure this value is greater than or equal to 1."),
        ({"speed_limit_kmh": "200"}, "Ensure this value is less than or equal to 60."),
        ({"rider_hours_start": "25:00", "rider_hours_end": "08:00"}, "Enter a valid time."),
    ],
)
def test_rules_with_senseless_hours_or_speed_are_refused(
    client, staff_user, community, fields, message
):
    client.force_login(staff_user)
    url = reverse("admin:communities_community_publish_rules", args=[community.pk])
    html = _errors(client.post(url, {"entry_policy": "registered", **fields}))
    assert message in html
    assert DeliveryRules.objects.filter(community=community).count() == 1


def test_a_hand_off_point_marker_needs_the_site_map(client, staff_user, community):
    client.force_login(staff_user)
    url = reverse("admin:communities_community_publish_rules", args=[community.pk])
    data = {"entry_policy": "no_entry", "handoff_point": "North gate", "x_pct": "5", "y_pct": "5"}
    assert "Upload the community&#x27;s site map first" in _errors(client.post(url, data))
    community.site_map = png_upload()
    community.save()
    assert client.post(url, data).status_code == 302
    assert community.rules_versions.order_by("-version").first().x_pct == 5


# --- places on the community's page --------------------------------------------------


@pytest.mark.parametrize(
    ("inline", "row", "message"),
    [
        ("gates", {"name": "N", "opens_at": "08:00"}, "Give both the opening and the closing"),
        ("gates", {"name": "N", "opens_at": "08:00", "closes_at": "08:00"}, "are the same"),
        ("gates", {"name": "N", "x_pct": "120", "y_pct": "5"}, "less than or equal to 100"),
        ("gates", {"name": "N", "x_pct": "-1", "y_pct": "5"}, "greater than or equal to 0"),
        ("gates", {"name": "N", "x_pct": "20"}, "Set both coordinates of the marker"),
        ("parking_zones", {"name": "P", "capacity": "-3"}, "greater than or equal to 0"),
        ("facilities", {"kind": "food_cabinet", "name": "F", "capacity": "-1"}, "greater than"),
        (
            "rest_stations",
            {"name": "R", "closes_at": "18:00"},
            "Give both the opening and the closing",
        ),
    ],
)
def test_inline_rows_that_make_no_sense_are_refused_with_a_message(
    client, staff_user, mapped, inline, row, message
):
    client.force_login(staff_user)
    html = _errors(client.post(_change_url(mapped), community_payload(mapped, inline, **row)))
    assert message in html
    assert not Gate.objects.filter(community=mapped).exists()
    assert not ParkingZone.objects.filter(community=mapped).exists()


def test_hours_past_midnight_are_fine(client, staff_user, mapped):
    client.force_login(staff_user)
    data = community_payload(mapped, "gates", name="Night", opens_at="22:00", closes_at="06:00")
    assert client.post(_change_url(mapped), data).status_code == 302
    assert Gate.objects.get(community=mapped, name="Night").is_all_day is False


def test_a_marker_needs_a_site_map(client, staff_user, community):
    client.force_login(staff_user)
    data = community_payload(community, "gates", name="North", x_pct="10", y_pct="20")
    html = _errors(client.post(_change_url(community), data))
    assert "Upload the community&#x27;s site map first" in html
    assert not Gate.objects.filter(community=community).exists()


def test_a_site_map_uploaded_with_the_marker_is_enough(client, staff_user, community):
    client.force_login(staff_user)
    data = community_payload(community, "gates", name="North", x_pct="10", y_pct="20")
    data["site_map"] = png_upload()
    assert client.post(_change_url(community), data).status_code == 302
    assert Gate.objects.get(community=community).x_pct == 10


def test_markers_placed_earlier_do_not_block_edits_after_the_map_is_removed(
    client, staff_user, community
):
    gate = GateFactory(community=community, name="Old", x_pct=10, y_pct=10)  # no map
    client.force_login(staff_user)
    url = reverse("admin:communities_gate_change", args=[gate.pk])
    data = {
        "community": community.pk,
        "name": "Old gate, renamed",
        "open_to_riders": "on",
        "x_pct": "10.00",
        "y_pct": "10.00",
        "controllers-TOTAL_FORMS": "0",
        "controllers-INITIAL_FORMS": "0",
    }
    assert client.post(url, data).status_code == 302
    data.update(x_pct="11")
    assert "Upload the community&#x27;s site map first" in _errors(client.post(url, data))


# --- buildings and units -------------------------------------------------------------


def _building_data(building, *units, x="50", y="50"):
    data = {
        "community": building.community_id,
        "number": building.number,
        "name": "",
        "x_pct": x,
        "y_pct": y,
        "units-TOTAL_FORMS": str(len(units)),
        "units-INITIAL_FORMS": "0",
    }
    for i, (entrance, number, area) in enumerate(units):
        data.update(
            {
                f"units-{i}-entrance": entrance,
                f"units-{i}-number": number,
                f"units-{i}-exclusive_area": area,
            }
        )
    return data


def test_house_numbers_are_unique_per_building_within_one_save(client, staff_user, community):
    building = BuildingFactory(community=community, number="7")
    client.force_login(staff_user)
    url = reverse("admin:communities_building_change", args=[building.pk])
    data = _building_data(building, ("2", "1503", "89.5"), ("2", "1503", "92"))
    assert "Please correct the duplicate data for" in _errors(client.post(url, data))
    assert not building.units.exists()


def test_house_numbers_are_unique_per_building_against_saved_units(client, staff_user, community):
    building = BuildingFactory(community=community, number="7")
    Unit.objects.create(building=building, entrance="2", number="1503", exclusive_area=80)
    client.force_login(staff_user)
    url = reverse("admin:communities_building_change", args=[building.pk])
    data = _building_data(building, ("2", "1503", "92"))
    html = _errors(client.post(url, data))
    assert "already exists" in html
    assert building.units.count() == 1
    # The same number in another entrance is another home.
    data = _building_data(building, ("3", "1503", "92"))
    assert client.post(url, data).status_code == 302
    assert building.units.count() == 2


def test_a_units_area_must_be_positive(client, staff_user, community):
    building = BuildingFactory(community=community, number="7")
    client.force_login(staff_user)
    url = reverse("admin:communities_building_change", args=[building.pk])
    html = _errors(client.post(url, _building_data(building, ("", "101", "0"))))
    assert "Ensure this value is greater than or equal to 0.01." in html


def test_building_numbers_are_unique_in_a_community(client, staff_user, community):
    BuildingFactory(community=community, number="7")
    client.force_login(staff_user)
    data = {
        "community": community.pk,
        "number": "7",
        "name": "",
        "units-TOTAL_FORMS": "0",
        "units-INITIAL_FORMS": "0",
    }
    html = _errors(client.post(reverse("admin:communities_building_add"), data))
    assert "already exists" in html
    assert Building.objects.filter(community=community).count() == 1


def test_a_site_map_over_5_mb_is_refused(client, staff_user, community):
    noise = Image.frombytes("RGB", (1400, 1400), os.urandom(1400 * 1400 * 3))
    buffer = io.BytesIO()
    noise.save(buffer, "PNG", compress_level=0)
    assert buffer.tell() > 5 * 1024 * 1024
    from django.core.files.uploadedfile import SimpleUploadedFile

    data = community_payload(community, "gates", name="G")
    data["gates-TOTAL_FORMS"] = "0"
    data["site_map"] = SimpleUploadedFile("big.png", buffer.getvalue(), content_type="image/png")
    client.force_login(staff_user)
    assert "larger than 5 MB" in _errors(client.post(_change_url(community), data))
    community.refresh_from_db()
    assert not community.site_map


def test_a_building_number_taken_in_the_community_is_refused_on_its_page(
    client, staff_user, mapped
):
    BuildingFactory(community=mapped, number="7")
    client.force_login(staff_user)
    data = community_payload(mapped, "buildings", number="7", name="Again")
    html = _errors(client.post(_change_url(mapped), data))
    assert "Building with this Community and Building number already exists." in html
    assert Building.objects.filter(community=mapped).count() == 1


def test_a_gate_name_taken_in_the_community_is_refused_on_its_page(client, staff_user, mapped):
    GateFactory(community=mapped, name="North")
    client.force_login(staff_user)
    html = _errors(
        client.post(_change_url(mapped), community_payload(mapped, "gates", name="North"))
    )
    assert "already exists" in html
    assert Gate.objects.filter(community=mapped).count() == 1
