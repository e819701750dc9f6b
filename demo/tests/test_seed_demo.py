"""seed_demo: the demo data is complete, idempotent and extensible app by app."""

from __future__ import annotations

import importlib.machinery
import io
import sys
import types

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import transaction
from django.test import override_settings
from PIL import Image

from communities.models import (
    Building,
    Community,
    DeliveryFacility,
    DeliveryRules,
    Gate,
    ParkingZone,
    PropertyCompany,
    RestStation,
    StaffMembership,
    Unit,
)
from communities.permissions import GUARD, MANAGE_RIDERS, communities_for_user
from core.models import AuditEntry
from demo import communities as demo
from demo.management.commands import seed_demo

COUNTED = (
    PropertyCompany,
    Community,
    DeliveryRules,
    Building,
    Unit,
    Gate,
    ParkingZone,
    RestStation,
    DeliveryFacility,
    StaffMembership,
    AuditEntry,
    get_user_model(),
)


def _run() -> str:
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def _counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in COUNTED}


@pytest.fixture(scope="module")
def seeded_once(django_db_setup, django_db_blocker, tmp_path_factory):
    """seed_demo run once for this module, in a transaction rolled back at the module's end;
    each test runs in a savepoint inside it (as Django's setUpTestData does). The demo casts
    its ~1,500 ballots through `ballot_cast`, which costs seconds: once, not once a test."""
    media = tmp_path_factory.mktemp("demo") / "media"
    with django_db_blocker.unblock(), override_settings(MEDIA_ROOT=media), transaction.atomic():
        yield media, _run()
        transaction.set_rollback(True)


@pytest.fixture
def seeded(seeded_once, db, settings):
    settings.MEDIA_ROOT, output = seeded_once
    return output


def test_running_twice_changes_no_rows_and_draws_no_new_maps(seeded, settings):
    before = _counts()
    maps = sorted(p.name for p in (settings.MEDIA_ROOT / "site-maps").iterdir())
    stamps = dict(Community.objects.values_list("slug", "updated_at"))

    _run()

    assert _counts() == before
    assert sorted(p.name for p in (settings.MEDIA_ROOT / "site-maps").iterdir()) == maps
    # Nothing was rewritten, so no community's cached pages were thrown away.
    assert dict(Community.objects.values_list("slug", "updated_at")) == stamps


def test_demo_has_two_companies_and_every_entry_policy(seeded):
    assert PropertyCompany.objects.count() == 2
    policies = {}
    for community in Community.objects.select_related("company"):
        rules = community.rules_versions.order_by("-version").first()
        policies.setdefault(rules.entry_policy, []).append(community)
    assert set(policies) == {"open", "registered", "no_entry"}
    assert {c.company.slug for cs in policies.values() for c in cs} == {"green-leaf", "blue-sky"}
    for community in Community.objects.all():
        assert community.company.communities.exists()
    no_entry = policies["no_entry"][0].rules_versions.order_by("-version").first()
    assert no_entry.handoff_point and no_entry.has_marker


def test_every_community_is_furnished_and_mapped(seeded):
    for community in Community.objects.all():
        assert 6 <= community.buildings.count() <= 12
        assert community.gates.count() >= 2
        assert community.gates.filter(open_to_riders=False).exists()
        assert community.parking_zones.exists() and community.rest_stations.exists()
        assert community.facilities.exists()
        assert not Building.objects.filter(community=community, x_pct__isnull=True).exists()
        assert Unit.objects.filter(building__community=community, exclusive_area__gt=0).exists()
        with Image.open(community.site_map.path) as image:
            assert image.size == (community.site_map_width, community.site_map_height)
            assert image.format == "PNG" and 1000 <= image.width <= 1400
    kinds = set(DeliveryFacility.objects.values_list("kind", flat=True))
    assert kinds == set(DeliveryFacility.Kind.values)
    assert ParkingZone.objects.filter(has_charging=True, capacity__gt=0).exists()
    assert RestStation.objects.filter(has_water=True, opens_at__isnull=False).exists()


def test_the_finder_demo_unit_7_2_1503_exists(seeded):
    unit = Unit.objects.select_related("building").get(
        building__community__slug="willow-garden",
        building__number="7",
        entrance="2",
        number="1503",
    )
    assert unit.label == "7-2-1503"


def test_building_markers_sit_on_their_drawn_footprints(seeded):
    """The map is drawn from the layout that places the markers: the pixel under a
    building's marker is the building's roof colour."""
    community = Community.objects.get(slug="willow-garden")
    with Image.open(community.site_map.path) as image:
        rgb = image.convert("RGB")
        for building in community.buildings.all():
            x = int(float(building.x_pct) * rgb.width / 100)
            y = int(float(building.y_pct) * rgb.height / 100)
            # Just beside the centre (the number is drawn on the centre itself).
            assert rgb.getpixel((x, y - 40)) == (0xF4, 0xEF, 0xE3), building.number


def test_demo_log_ins_work_and_see_only_their_company(seeded, client):
    user_model = get_user_model()
    for username, password, _role in demo.demo_credentials():
        assert client.login(username=username, password=password), username
        client.logout()
    green = user_model.objects.get(username="green.staff")
    blue = user_model.objects.get(username="blue.staff")
    green_slugs = set(communities_for_user(green).values_list("slug", flat=True))
    blue_slugs = set(communities_for_user(blue).values_list("slug", flat=True))
    assert green_slugs and blue_slugs and not green_slugs & blue_slugs
    assert user_model.objects.get(username="admin").is_superuser
    guard = user_model.objects.get(username="green.guard")
    guarded = set(communities_for_user(guard, perm=GUARD).values_list("slug", flat=True))
    assert guarded == green_slugs
    assert not communities_for_user(guard, perm=MANAGE_RIDERS).exists()


def test_a_changed_demo_password_is_put_back(seeded, client):
    user = get_user_model().objects.get(username="green.staff")
    user.set_password("something-else")
    user.save()
    _run()
    assert client.login(username="green.staff", password="last100-green")


def test_output_lists_log_ins_and_pages(seeded, settings):
    for username, password, _role in demo.demo_credentials():
        assert username in seeded and password in seeded
    base = settings.PORTAL_BASE_URL
    for path in ("/", "/c/willow-garden/", "/c/sky-harbour/", "/admin/", "/api/docs/"):
        assert f"{base}{path} " in seeded
    assert f"{base}/healthz" in seeded


def test_other_apps_add_their_demo_data_through_a_demo_module(db, settings, tmp_path, monkeypatch):
    settings.MEDIA_ROOT = tmp_path / "media"
    calls = []

    def fake_seed(stdout):
        calls.append(stdout)
        return ["one-click link: http://example.invalid/r/abc/"]

    module = types.ModuleType("demo.h3_fake_app")
    module.__spec__ = importlib.machinery.ModuleSpec("demo.h3_fake_app", None)
    module.seed = fake_seed
    monkeypatch.setitem(sys.modules, "demo.h3_fake_app", module)
    monkeypatch.setattr(seed_demo, "DEMO_APPS", ("h3_fake_app", "h3_app_without_demo"))

    output = _run()

    assert len(calls) == 1
    assert "h3_fake_app:\n  one-click link: http://example.invalid/r/abc/" in output
    assert "h3_app_without_demo" not in output
