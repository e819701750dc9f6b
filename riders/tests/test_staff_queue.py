"""Issue 20, item 1: /staff/riders/ is the queue staff work from."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from communities.tests.factories import CommunityFactory
from core.models import AuditEntry
from riders.models import AccessGrant, GrantStatus
from riders.tests.factories import AccessGrantFactory

pytestmark = pytest.mark.django_db

QUEUE = "/staff/riders/"


def _names(response):
    return [g.rider.name for g in response.context["grants"]]


def test_queue_shows_pending_riders_with_platform_and_plate_in_constant_queries(
    client, staff_user, community, other_company, django_assert_max_num_queries
):
    AccessGrantFactory(community=community, rider__name="王小明", rider__vehicle_plate="沪A1")
    for n in range(12):
        AccessGrantFactory(community=community, rider__name=f"待审 {n}", status=GrantStatus.PENDING)
    AccessGrantFactory(
        community=CommunityFactory(company=other_company),
        rider__name="别家骑手",
        status=GrantStatus.PENDING,
    )
    client.force_login(staff_user)
    with django_assert_max_num_queries(9):
        response = client.get(QUEUE, HTTP_ACCEPT_LANGUAGE="en")
    names = _names(response)
    assert len(names) == 12 and all(n.startswith("待审") for n in names)
    page = response.content.decode()
    assert "别家骑手" not in page and "王小明" not in page
    assert page.count('value="approve"') >= 1 and page.count("/decline") == 12
    grant = response.context["grants"][0]
    assert grant.rider.platform.name in page and "No photo on file" in page


def test_queue_filters_by_suspended_expiring_and_community(client, staff_user, company, community):
    second = CommunityFactory(company=company, name="Second")
    now = timezone.now()
    AccessGrantFactory(community=community, rider__name="soon", valid_until=now + dt.timedelta(5))
    AccessGrantFactory(community=community, rider__name="later", valid_until=now + dt.timedelta(90))
    AccessGrantFactory(community=community, rider__name="off", status=GrantStatus.SUSPENDED)
    AccessGrantFactory(community=second, rider__name="wait2", status=GrantStatus.PENDING)
    AccessGrantFactory(community=community, rider__name="wait1", status=GrantStatus.PENDING)
    client.force_login(staff_user)
    assert _names(client.get(QUEUE, {"show": "expiring"})) == ["soon"]
    assert _names(client.get(QUEUE, {"show": "suspended"})) == ["off"]
    assert _names(client.get(QUEUE, {"community": second.pk})) == ["wait2"]
    assert sorted(_names(client.get(QUEUE))) == ["wait1", "wait2"]
    # Nonsense filters are cleaned away, never a 500.
    assert client.get(QUEUE, {"show": "x", "community": "y", "page": "z"}).status_code == 200


def test_one_tap_approve_and_decline_with_reason_return_to_the_queue(client, staff_user, community):
    first = AccessGrantFactory(community=community, status=GrantStatus.PENDING, valid_until=None)
    second = AccessGrantFactory(community=community, status=GrantStatus.PENDING)
    client.force_login(staff_user)
    url = reverse("riders:staff_grant_action", args=[first.rider.pk, first.pk, "approve"])
    response = client.post(url, {"next": QUEUE + "?show=pending"})
    assert response["Location"] == QUEUE + "?show=pending"
    first.refresh_from_db()
    assert first.status == GrantStatus.ACTIVE and first.valid_until
    url = reverse("riders:staff_grant_action", args=[second.rider.pk, second.pk, "decline"])
    assert client.post(url, {"next": QUEUE, f"g{second.pk}-reason": " "}).status_code == 400
    response = client.post(
        url,
        {"next": QUEUE, f"g{second.pk}-reason": "Not our courier"},
        follow=True,
        HTTP_ACCEPT_LANGUAGE="en",
    )
    second.refresh_from_db()
    assert second.status == GrantStatus.REVOKED and second.reason == "Not our courier"
    assert [str(m) for m in response.context["messages"]] == [
        f"Declined {second.rider.name}'s request for {community.name}"
    ]
    # An off-site "next" is never followed (back to the queue instead).
    third = AccessGrantFactory(community=community, status=GrantStatus.PENDING)
    url = reverse("riders:staff_grant_action", args=[third.rider.pk, third.pk, "approve"])
    response = client.post(url, {"next": "https://evil.example/staff/riders/"})
    assert response["Location"] == QUEUE


def test_bulk_actions_write_an_audit_row_each_and_never_touch_another_company(
    client, staff_user, community, other_company
):
    pending = [
        AccessGrantFactory(community=community, status=GrantStatus.PENDING) for _ in range(3)
    ]
    foreign = AccessGrantFactory(
        community=CommunityFactory(company=other_company), status=GrantStatus.PENDING
    )
    client.force_login(staff_user)
    bulk = reverse("riders:staff_grants_bulk")
    ids = [g.pk for g in pending]
    response = client.post(bulk, {"action": "approve", "grant": [*ids, foreign.pk]})
    assert response.status_code == 404
    assert AccessGrant.objects.filter(status=GrantStatus.ACTIVE).count() == 0
    before = AuditEntry.objects.filter(action="grant_approve").count()
    response = client.post(bulk, {"action": "approve", "grant": ids, "next": QUEUE})
    assert response["Location"] == QUEUE
    assert AccessGrant.objects.filter(pk__in=ids, status=GrantStatus.ACTIVE).count() == 3
    assert AuditEntry.objects.filter(action="grant_approve").count() == before + 3
    # Revoking several asks first and needs a reason.
    client.post(bulk, {"action": "revoke", "grant": ids})
    response = client.post(bulk, {"action": "revoke", "grant": ids, "bulk-reason": "Left"})
    assert response.status_code == 200 and "confirm" in response.content.decode()
    assert AccessGrant.objects.filter(pk__in=ids, status=GrantStatus.REVOKED).count() == 0
    client.post(bulk, {"action": "revoke", "grant": ids, "bulk-reason": "Left", "confirm": "yes"})
    assert AccessGrant.objects.filter(pk__in=ids, status=GrantStatus.REVOKED).count() == 3
    assert AuditEntry.objects.filter(action="grant_revoke").count() == 3
    foreign.refresh_from_db()
    assert foreign.status == GrantStatus.PENDING
    assert client.post(bulk, {"action": "approve", "grant": ["x"]}).status_code == 404
