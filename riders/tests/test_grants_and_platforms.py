"""The grant service's transitions, the platform API and the admin scope."""

import pytest
from django.core.exceptions import ValidationError

from communities.tests.factories import CommunityFactory
from core.models import AuditEntry
from riders.models import AccessGrant
from riders.services import grants
from riders.services.gates import gate_code_rotate, gate_for_code
from riders.tests.factories import AccessGrantFactory, RiderFactory, sign_assertion


@pytest.fixture
def pending(rider, community):
    return AccessGrantFactory(rider=rider, community=community, status="pending", valid_until=None)


def test_approve_makes_a_pending_grant_active_for_twelve_months(pending, staff_user):
    grant = grants.grant_approve(grant=pending, acting_user=staff_user)
    grant.refresh_from_db()
    assert grant.status == "active" and grant.approved_by == staff_user
    assert 364 <= (grant.valid_until - grant.valid_from).days <= 366
    assert AuditEntry.objects.filter(action="grant_approve", object_id=str(grant.pk)).exists()


def test_suspend_and_revoke_need_a_reason(pending, staff_user):
    with pytest.raises(ValidationError):
        grants.grant_suspend(grant=pending, reason="  ", acting_user=staff_user)
    grants.grant_revoke(grant=pending, reason="fake documents", acting_user=staff_user)
    pending.refresh_from_db()
    assert (pending.status, pending.reason) == ("revoked", "fake documents")


def test_impossible_transitions_are_refused_clearly(pending, staff_user):
    grants.grant_revoke(grant=pending, reason="x", acting_user=staff_user)
    with pytest.raises(ValidationError, match="already revoked"):
        grants.grant_revoke(grant=pending, reason="again", acting_user=staff_user)
    with pytest.raises(ValidationError, match="waiting for approval"):
        grants.grant_approve(grant=pending, acting_user=staff_user)


def test_a_stale_copy_cannot_overwrite_a_concurrent_change(pending, staff_user):
    stale = AccessGrant.objects.get(pk=pending.pk)
    grants.grant_approve(grant=pending, acting_user=staff_user)
    with pytest.raises(ValidationError, match="Someone else changed"):
        grants.grant_revoke(grant=stale, reason="late", acting_user=staff_user)


def test_reinstate_brings_a_suspended_grant_back(pending, staff_user):
    grants.grant_approve(grant=pending, acting_user=staff_user)
    grants.grant_suspend(grant=pending, reason="check", acting_user=staff_user)
    grants.grant_reinstate(grant=pending, acting_user=staff_user)
    pending.refresh_from_db()
    assert pending.status == "active"


def test_validity_must_end_after_it_starts(pending, staff_user):
    with pytest.raises(ValidationError):
        grants.grant_set_validity(
            grant=pending,
            valid_from=pending.valid_from,
            valid_until=pending.valid_from,
            acting_user=staff_user,
        )


def test_manual_registration_waits_for_approval(platform, gate):
    from riders.services.registration import (
        rider_register_manual,
    )

    registration = rider_register_manual(
        gate=gate,
        name="王五",
        phone="13900001111",
        platform=platform,
        platform_rider_id="M-1",
        vehicle_plate="沪A12345",
    )
    assert registration.outcome == "pending"
    assert not registration.rider.verified_by_platform


def test_manual_registration_cannot_take_over_someone_elses_rider_number(platform, gate, rider):
    from riders.services.registration import (
        device_issue,
        rider_for_device,
        rider_register_manual,
    )

    with pytest.raises(ValidationError) as excinfo:
        rider_register_manual(
            gate=gate,
            name="Impostor",
            phone="13900000000",
            platform=platform,
            platform_rider_id=rider.platform_rider_id,
        )
    assert excinfo.value.code == "taken"
    rider.refresh_from_db()
    assert rider.name == "李雷"
    # The rider's own phone, bound by the platform's link.
    own_phone = rider_for_device(device_issue(rider=rider, verified=True))
    again = rider_register_manual(
        gate=gate,
        name="李雷",
        phone="",
        platform=platform,
        platform_rider_id=rider.platform_rider_id,
        device_rider=own_phone,
    )
    assert again.rider == rider


def test_rotating_a_gate_code_remembers_the_old_one(gate, staff_user):
    old = gate.entry_code
    gate_code_rotate(gate=gate, acting_user=staff_user)
    assert gate.entry_code != old and len(gate.entry_code) >= 22
    assert gate_for_code(old) == (gate, True)
    assert gate_for_code(gate.entry_code)[0] == gate
    assert gate_for_code("nope") == (None, False)


def _deactivation(platform, rider_id, **claims):
    from django.conf import settings

    body = {"aud": f"{settings.PORTAL_BASE_URL}/api/v1/platform", "sub": rider_id}
    body["action"] = "deactivate"
    body.update(claims)
    return sign_assertion(platform, **body)


def test_a_platform_deactivates_its_rider_and_every_grant_is_suspended(client, platform, rider):
    AccessGrantFactory(rider=rider, community=CommunityFactory())
    AccessGrantFactory(rider=rider, community=CommunityFactory())
    url = f"/api/v1/platform/riders/{rider.platform_rider_id}/deactivate"
    token = _deactivation(platform, rider.platform_rider_id)
    response = client.post(url, token, content_type="application/jose")
    assert response.status_code == 200, response.content
    assert response.json()["grants_suspended"] == 2
    assert set(AccessGrant.objects.values_list("status", flat=True)) == {"suspended"}
    rider.refresh_from_db()
    assert not rider.platform_active
    again = client.post(url, token, content_type="application/jose")
    assert again.status_code == 400 and again.json()["code"] == "replayed"


@pytest.mark.parametrize(
    "token_for",
    [
        lambda p, rid: sign_assertion(p, sub=rid),  # a registration assertion: wrong audience
        lambda p, rid: _deactivation(p, "someone-else"),
        lambda p, rid: _deactivation(p, rid, action="promote"),
        lambda p, rid: "garbage",
    ],
)
def test_platform_requests_that_do_not_match_are_refused(client, platform, rider, token_for):
    AccessGrantFactory(rider=rider)
    url = f"/api/v1/platform/riders/{rider.platform_rider_id}/deactivate"
    response = client.post(
        url, token_for(platform, rider.platform_rider_id), content_type="application/jose"
    )
    assert response.status_code == 400
    assert AccessGrant.objects.get().status == "active"


def test_deactivating_an_unknown_rider_is_404(client, platform):
    response = client.post(
        "/api/v1/platform/riders/NOBODY/deactivate",
        _deactivation(platform, "NOBODY"),
        content_type="application/jose",
    )
    assert response.status_code == 404


def test_staff_see_only_riders_and_grants_of_their_communities(
    client, staff_user, other_staff_user, community
):
    mine = AccessGrantFactory(community=community, rider=RiderFactory(name="Mine Rider"))
    AccessGrantFactory(rider=RiderFactory(name="Foreign Rider"))
    client.force_login(staff_user)
    html = client.get("/admin/riders/rider/").content.decode()
    assert "Mine Rider" in html and "Foreign Rider" not in html
    assert "138****5678" in html and "13812345678" not in html
    client.force_login(other_staff_user)
    html = client.get("/admin/riders/accessgrant/").content.decode()
    assert "Mine Rider" not in html
    assert client.get(f"/admin/riders/accessgrant/{mine.pk}/change/").status_code == 302


def test_staff_approve_from_the_admin_through_the_service(client, staff_user, community):
    grant = AccessGrantFactory(community=community, status="pending", valid_until=None)
    client.force_login(staff_user)
    response = client.post(
        "/admin/riders/accessgrant/",
        {"action": "approve", "_selected_action": [grant.pk]},
    )
    assert response.status_code == 302
    grant.refresh_from_db()
    assert grant.status == "active"
    assert AuditEntry.objects.filter(action="grant_approve").exists()


@pytest.mark.django_db
@pytest.mark.parametrize("value", ["1'", "abc"])
def test_the_grant_list_filter_answers_an_empty_list_for_a_value_that_is_not_a_community(
    client, staff_user, community, value
):
    from django.urls import reverse

    AccessGrantFactory(community=community)
    client.force_login(staff_user)
    client.raise_request_exception = False
    url = reverse("admin:riders_accessgrant_changelist")
    response = client.get(url, {"community": value})
    assert response.status_code == 200
    assert response.context["cl"].result_count == 0
    assert client.get(url, {"community": community.pk}).context["cl"].result_count == 1
