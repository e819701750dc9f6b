"""Issue 16, finding 7: a platform's deactivation outlives the rider erasing their data.
Registering again under the same platform rider id gives a rider the platform has still
deactivated, by the one-click link and by hand alike; the tombstone holds no name or
phone."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from riders.models import AccessGrant, Rider, RiderDeactivation
from riders.privacy import rider_erase
from riders.services.platforms import platform_rider_deactivate
from riders.tests.factories import RiderFactory, sign_assertion

pytestmark = pytest.mark.django_db


@pytest.fixture
def erased(platform):
    """A rider the platform deactivated, who then erased their data."""
    rider = RiderFactory(platform=platform, platform_rider_id="D-42", name="王五")
    platform_rider_deactivate(platform=platform, platform_rider_id="D-42")
    rider_erase(rider=rider)
    return rider


def test_erasing_ones_data_does_not_shed_the_platforms_deactivation(client, gate, platform, erased):
    token = sign_assertion(platform, sub="D-42", name="王五")
    url = reverse("riders:register", args=[gate.entry_code]) + "?assertion=" + token
    response = client.get(url, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 403
    assert "deactivated your rider account" in response.content.decode()
    again = Rider.objects.get(platform=platform, platform_rider_id="D-42")
    assert again.pk != erased.pk and not again.platform_active
    assert not AccessGrant.objects.filter(rider=again).exists()
    response = client.get(reverse("riders:pass_tokens"))
    assert response.status_code == 403 or response.json()["passes"] == []


def test_registering_by_hand_after_erasure_stays_deactivated(client, gate, platform, erased):
    data = {
        "name": "王五",
        "phone": "13900001111",
        "platform": platform.pk,
        "platform_rider_id": "D-42",
        "vehicle_plate": "",
    }
    response = client.post(
        reverse("riders:register", args=[gate.entry_code]), data, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 403
    again = Rider.objects.get(platform=platform, platform_rider_id="D-42")
    assert not again.platform_active
    assert not AccessGrant.objects.filter(rider=again).exists()


def test_typing_the_number_in_another_case_stays_deactivated(client, gate, platform, erased):
    data = {
        "name": "王五",
        "phone": "13900001111",
        "platform": platform.pk,
        "platform_rider_id": "d-42",
        "vehicle_plate": "",
    }
    response = client.post(
        reverse("riders:register", args=[gate.entry_code]), data, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 403
    again = Rider.objects.get(platform=platform, platform_rider_id="d-42")
    assert not again.platform_active
    assert not AccessGrant.objects.filter(rider=again).exists()


def test_a_number_typed_in_another_case_is_the_registered_rider(client, gate, platform):
    RiderFactory(platform=platform, platform_rider_id="M-501", name="张三")
    data = {
        "name": "李四",
        "phone": "13900002222",
        "platform": platform.pk,
        "platform_rider_id": "m-501",
        "vehicle_plate": "",
    }
    response = client.post(
        reverse("riders:register", args=[gate.entry_code]), data, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert "A rider with this number is registered already." in response.content.decode()
    assert list(
        Rider.objects.filter(platform=platform, platform_rider_id__iexact="m-501").values_list(
            "platform_rider_id", "name"
        )
    ) == [("M-501", "张三")]


def test_the_tombstone_holds_no_personal_data(platform, erased):
    tombstone = RiderDeactivation.objects.get(platform=platform, platform_rider_id="D-42")
    fields = {f.name for f in RiderDeactivation._meta.concrete_fields}
    assert fields == {"id", "platform", "platform_rider_id", "deactivated_at"}
    assert str(tombstone) == f"{platform.pk}:D-42"


def test_the_tombstone_costs_the_one_click_registration_no_statement(client, gate, platform):
    """Read inside the rider's upsert: a new rider's registration is still 8 statements
    (test_perf_paths.py), and a rider never deactivated is active."""
    token = sign_assertion(platform, sub="FRESH-1")
    url = reverse("riders:register", args=[gate.entry_code]) + "?assertion=" + token
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 302
    upsert = [q["sql"] for q in queries.captured_queries if "riders_riderdeactivation" in q["sql"]]
    assert len(upsert) == 1 and "riders_usedassertion" in upsert[0]
    assert Rider.objects.get(platform_rider_id="FRESH-1").platform_active
    assert settings.RIDERS_DEVICE_COOKIE in response.cookies
