"""Admin writes leave an audit row: who, when, the changed fields before and after; never
a controller's secret, never a whole phone number."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from communities.admin.audit import SECRET_CHANGED, model_diff
from communities.models import Gate, GateController
from communities.tests.factories import GateControllerFactory, GateFactory
from communities.tests.test_validation import community_payload
from core.models import AuditEntry
from riders.tests.factories import RiderFactory

pytestmark = pytest.mark.django_db

SECRET = "very-s3cret-value"


@pytest.fixture
def loopback_controllers(settings):
    """These controllers sit on loopback, like the gate-sync tests' simulators; the portal
    refuses such endpoints unless the operator allows them (core/netguard.py)."""
    settings.GATESYNC_ALLOWED_PRIVATE_NETWORKS = ["127.0.0.0/8"]


def _gate_data(gate: Gate, **changes) -> dict:
    data = {
        "community": gate.community_id,
        "name": gate.name,
        "open_to_riders": "on" if gate.open_to_riders else "",
        "x_pct": str(gate.x_pct),
        "y_pct": str(gate.y_pct),
        "notes": gate.notes,
        "controllers-TOTAL_FORMS": "0",
        "controllers-INITIAL_FORMS": "0",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v != ""}


def _controller_data(controller: GateController, **changes) -> dict:
    data = {
        "gate": controller.gate_id,
        "name": controller.name,
        "driver": controller.driver,
        "protocol": controller.protocol,
        "endpoint": controller.endpoint,
        "username": controller.username,
        "secret": controller.secret,
        "enabled": "on" if controller.enabled else "",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v != ""}


def _no_secret_anywhere() -> None:
    stored = json.dumps(list(AuditEntry.objects.values("before", "after")))
    assert SECRET not in stored


def test_a_gate_changed_in_the_admin_records_who_and_the_fields_before_and_after(
    client, staff_user, community
):
    gate = GateFactory(community=community, name="North Gate", notes="")
    client.force_login(staff_user)
    url = reverse("admin:communities_gate_change", args=[gate.pk])
    answer = client.post(url, _gate_data(gate, name="North Gate (new)", open_to_riders=""))
    assert answer.status_code == 302
    entry = AuditEntry.objects.get(action="gate_change")
    assert entry.actor == staff_user
    assert entry.community_id == community.pk
    assert entry.object_id == str(gate.pk)
    assert entry.before == {"name": "North Gate", "open_to_riders": True}
    assert entry.after == {"name": "North Gate (new)", "open_to_riders": False}


def test_saving_a_gate_unchanged_writes_no_audit_row(client, staff_user, community):
    gate = GateFactory(community=community, notes="")
    client.force_login(staff_user)
    url = reverse("admin:communities_gate_change", args=[gate.pk])
    assert client.post(url, _gate_data(gate)).status_code == 302
    assert not AuditEntry.objects.filter(action="gate_change").exists()


def test_a_controllers_secret_is_logged_as_changed_never_by_value(
    client, staff_user, gate, loopback_controllers
):
    controller = GateControllerFactory(gate=gate, secret="old-secret-1")
    client.force_login(staff_user)
    url = reverse("admin:communities_gatecontroller_change", args=[controller.pk])
    answer = client.post(
        url, _controller_data(controller, secret=SECRET, endpoint="http://127.0.0.1:9200/")
    )
    assert answer.status_code == 302
    controller.refresh_from_db()
    assert controller.secret == SECRET
    entry = AuditEntry.objects.get(action="gatecontroller_change")
    assert entry.community_id == gate.community_id
    assert entry.before == {"secret": "(hidden)", "endpoint": "http://127.0.0.1:9100/"}
    assert entry.after == {"secret": SECRET_CHANGED, "endpoint": "http://127.0.0.1:9200/"}
    assert "old-secret-1" not in json.dumps([entry.before, entry.after])
    _no_secret_anywhere()


def test_a_controller_added_and_changed_inline_on_the_gate_page_is_audited_without_its_secret(
    client, staff_user, community, loopback_controllers
):
    gate = GateFactory(community=community, notes="")
    kept = GateControllerFactory(gate=gate, name="Left lane", secret="old-secret-2")
    client.force_login(staff_user)
    data = _gate_data(gate)
    data.update(
        {
            "controllers-TOTAL_FORMS": "2",
            "controllers-INITIAL_FORMS": "1",
            "controllers-0-id": str(kept.pk),
            "controllers-0-gate": str(gate.pk),
            "controllers-0-name": "Left lane",
            "controllers-0-driver": kept.driver,
            "controllers-0-endpoint": kept.endpoint,
            "controllers-0-secret": SECRET,
            "controllers-0-enabled": "on",
            "controllers-1-gate": str(gate.pk),
            "controllers-1-name": "Right lane",
            "controllers-1-driver": "http_json",
            "controllers-1-endpoint": "http://127.0.0.1:9300/",
            "controllers-1-secret": SECRET,
            "controllers-1-enabled": "on",
        }
    )
    answer = client.post(reverse("admin:communities_gate_change", args=[gate.pk]), data)
    assert answer.status_code == 302, answer.content.decode()[:2000]
    added = AuditEntry.objects.get(action="gatecontroller_add")
    assert added.actor == staff_user and added.community_id == community.pk
    assert added.after["name"] == "Right lane" and added.after["secret"] == SECRET_CHANGED
    changed = AuditEntry.objects.get(action="gatecontroller_change")
    assert changed.object_id == str(kept.pk)
    assert changed.before == {"secret": "(hidden)"}
    assert changed.after == {"secret": SECRET_CHANGED}
    _no_secret_anywhere()


def test_the_gate_page_never_shows_a_controllers_secret_and_an_empty_box_keeps_it(
    client, staff_user, community, loopback_controllers
):
    gate = GateFactory(community=community, notes="")
    kept = GateControllerFactory(gate=gate, name="Left lane", secret="old-secret-3")
    client.force_login(staff_user)
    url = reverse("admin:communities_gate_change", args=[gate.pk])
    assert "old-secret-3" not in client.get(url).content.decode()
    data = _gate_data(gate)
    data.update(
        {
            "controllers-TOTAL_FORMS": "1",
            "controllers-INITIAL_FORMS": "1",
            "controllers-0-id": str(kept.pk),
            "controllers-0-gate": str(gate.pk),
            "controllers-0-name": "Left lane",
            "controllers-0-driver": kept.driver,
            "controllers-0-endpoint": kept.endpoint,
            "controllers-0-secret": "",
            "controllers-0-enabled": "on",
        }
    )
    answer = client.post(url, data)
    assert answer.status_code == 302, answer.content.decode()[:2000]
    kept.refresh_from_db()
    assert kept.secret == "old-secret-3"
    assert not AuditEntry.objects.filter(action="gatecontroller_change").exists()


def test_deleting_a_gate_in_the_admin_keeps_what_it_was(client, staff_user, community):
    gate = GateFactory(community=community, name="East Gate")
    client.force_login(staff_user)
    url = reverse("admin:communities_gate_delete", args=[gate.pk])
    assert client.post(url, {"post": "yes"}).status_code == 302
    entry = AuditEntry.objects.get(action="gate_delete")
    assert entry.object_id == str(gate.pk) and entry.actor == staff_user
    assert entry.before["name"] == "East Gate" and entry.after is None


def test_deleting_gates_in_bulk_writes_one_row_each(client, staff_user, community):
    gates = [GateFactory(community=community) for _ in range(3)]
    client.force_login(staff_user)
    answer = client.post(
        reverse("admin:communities_gate_changelist"),
        {"action": "delete_selected", "_selected_action": [g.pk for g in gates], "post": "yes"},
    )
    assert answer.status_code == 302
    rows = AuditEntry.objects.filter(action="gate_delete")
    assert sorted(rows.values_list("object_id", flat=True)) == sorted(str(g.pk) for g in gates)
    assert set(rows.values_list("community_id", flat=True)) == {community.pk}


def test_a_community_changed_in_the_admin_records_before_and_after(client, staff_user, community):
    client.force_login(staff_user)
    data = community_payload(community, "gates") | {"gates-TOTAL_FORMS": "0"}  # no new row
    data["name"] = "Garden Court East"
    answer = client.post(reverse("admin:communities_community_change", args=[community.pk]), data)
    assert answer.status_code == 302, answer.content.decode()[:2000]
    entry = AuditEntry.objects.get(action="community_change")
    assert entry.actor == staff_user and entry.community_id == community.pk
    assert entry.before["name"] == "Garden Court" and entry.after["name"] == "Garden Court East"


def test_a_rider_changed_in_the_admin_is_audited(client, superuser, platform):
    rider = RiderFactory(platform=platform, name="Old Name", vehicle_plate="")
    client.force_login(superuser)
    url = reverse("admin:riders_rider_change", args=[rider.pk])
    data = {"name": "New Name", "station": rider.station, "vehicle_plate": "沪A00001"}
    assert client.post(url, data).status_code == 302
    entry = AuditEntry.objects.get(action="rider_change")
    assert entry.actor == superuser
    assert entry.before == {"name": "Old Name", "vehicle_plate": ""}
    assert entry.after == {"name": "New Name", "vehicle_plate": "沪A00001"}


def test_a_platform_changed_in_the_admin_is_audited(client, superuser, platform):
    client.force_login(superuser)
    url = reverse("admin:riders_platform_change", args=[platform.pk])
    data = {
        "name": "Demo Delivery 2",
        "code": platform.code,
        "active": "on",
        "keys-TOTAL_FORMS": "0",
        "keys-INITIAL_FORMS": "0",
    }
    assert client.post(url, data).status_code == 302
    entry = AuditEntry.objects.get(action="platform_change")
    assert entry.before == {"name": "Demo Delivery"} and entry.after == {"name": "Demo Delivery 2"}


def test_phones_in_a_diff_are_masked_and_secrets_never_written():
    before, after = model_diff(
        {"phone": "13812345678", "secret": "a", "name": "x"},
        {"phone": "13987654321", "secret": "b", "name": "x"},
    )
    assert before == {"phone": "138****5678", "secret": "(hidden)"}
    assert after == {"phone": "139****4321", "secret": SECRET_CHANGED}
