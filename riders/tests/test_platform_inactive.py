"""Issue 16, finding 4: a platform the portal no longer accepts lets none of its riders in:
no pass tokens, denied at online verification, its grants off the controllers' lists, and
all of it back when the platform is accepted again."""

from __future__ import annotations

import json

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.urls import reverse

from communities.tests.factories import GateFactory
from core.models import AuditEntry
from gatesync.documents import list_entries
from gatesync.models import AccessChange, ChangeOp
from riders.models import GrantStatus, Reason
from riders.services.devices import device_issue
from riders.services.keys import pass_token_issue
from riders.services.platforms import platform_set_active
from riders.services.verification import pass_verify
from riders.tests.factories import AccessGrantFactory, PlatformFactory, RiderFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def platform():
    return PlatformFactory(code="gone", name="Gone Delivery")


@pytest.fixture
def grant(platform, community):
    return AccessGrantFactory(rider=RiderFactory(platform=platform), community=community)


def test_an_inactive_platforms_rider_gets_no_pass_tokens(client, grant, platform):
    client.cookies[settings.RIDERS_DEVICE_COOKIE] = device_issue(rider=grant.rider)
    assert client.get(reverse("riders:pass_tokens")).json()["passes"]
    platform_set_active(platform=platform, active=False)
    assert client.get(reverse("riders:pass_tokens")).json()["passes"] == []
    page = client.get(reverse("riders:pass"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "<svg" not in page and "Active: show this code" not in page
    assert "Your platform does not vouch for you now" in page


def test_an_inactive_platforms_pass_is_denied_at_online_verification(grant, platform, community):
    gate = GateFactory(community=community)
    token = pass_token_issue(grant=grant)  # issued while the platform was accepted
    platform_set_active(platform=platform, active=False)
    decision = pass_verify(token=token, gate=gate, direction="in")
    assert (decision.decision, decision.reason) == ("deny", Reason.SUSPENDED)


def test_an_inactive_platforms_grants_leave_the_controllers_lists_and_come_back(
    grant, platform, community
):
    assert [row[0] for row in list_entries(community.pk)] == [grant.pk]
    assert platform_set_active(platform=platform, active=False) == 1
    assert list_entries(community.pk) == []
    removal = AccessChange.objects.filter(community=community, grant_id=grant.pk).latest("version")
    assert (removal.op, removal.cause) == (ChangeOp.DEL, "platform_deactivate")
    grant.refresh_from_db()
    assert grant.status == GrantStatus.ACTIVE  # the grant itself is untouched
    # Idempotent: running it again logs nothing.
    assert platform_set_active(platform=platform, active=False) == 0

    assert platform_set_active(platform=platform, active=True) == 1
    assert [row[0] for row in list_entries(community.pk)] == [grant.pk]
    assert AuditEntry.objects.filter(action="platform_activate").exists()


def test_unticking_active_in_the_admin_takes_the_platforms_riders_off_the_lists(
    client, grant, platform, community
):
    admin = get_user_model().objects.create_superuser("root", "root@example.com", "pw-12345-x")
    client.force_login(admin)
    url = reverse("admin:riders_platform_change", args=[platform.pk])
    prefix = "keys"
    keys = list(platform.keys.all())
    data = {
        "code": platform.code,
        "name": platform.name,
        f"{prefix}-TOTAL_FORMS": str(len(keys)),
        f"{prefix}-INITIAL_FORMS": str(len(keys)),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }
    for i, key in enumerate(keys):
        data.update(
            {
                f"{prefix}-{i}-id": str(key.pk),
                f"{prefix}-{i}-platform": str(platform.pk),
                f"{prefix}-{i}-kid": key.kid,
                f"{prefix}-{i}-alg": key.alg,
                f"{prefix}-{i}-public_jwk": json.dumps(key.public_jwk),
                f"{prefix}-{i}-active": "on" if key.active else "",
            }
        )
    response = client.post(url, data)  # "active" left unticked
    assert response.status_code == 302, response.content.decode()[:2000]
    platform.refresh_from_db()
    assert not platform.active
    assert list_entries(community.pk) == []
