import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from communities.tests.factories import CommunityFactory
from core.models import AuditEntry
from riders.models import AccessGrant, GrantStatus
from riders.tests.factories import AccessGrantFactory, RiderFactory

pytestmark = pytest.mark.django_db


def _action(rider, grant, action):
    return reverse("riders:staff_grant_action", args=[rider.pk, grant.pk, action])


def test_search_finds_by_name_id_and_plate_in_own_communities(
    client, staff_user, community, other_company, django_assert_max_num_queries
):
    other = CommunityFactory(company=other_company)
    mine = AccessGrantFactory(
        community=community, rider__name="王小明", rider__vehicle_plate="沪A12345"
    ).rider
    AccessGrantFactory(community=other, rider__name="王大明")
    for n in range(10):
        AccessGrantFactory(community=community, rider__name=f"王 {n}")
    client.force_login(staff_user)
    url = reverse("riders:staff_riders")
    with django_assert_max_num_queries(8):
        response = client.get(url, {"q": "王"})
    names = [r.name for r in response.context["riders"]]
    assert "王小明" in names and "王大明" not in names and len(names) == 11
    assert [r.pk for r in client.get(url, {"q": mine.platform_rider_id}).context["riders"]] == [
        mine.pk
    ]
    assert [r.pk for r in client.get(url, {"q": "沪A 12345"}).context["riders"]] == [mine.pk]
    assert client.get(url, {"q": "nobody"}).context["riders"] == []


def test_rider_page_shows_only_own_grants_and_404_for_other_company(
    client, staff_user, other_staff_user, community, other_company
):
    grant = AccessGrantFactory(community=community)
    other = AccessGrantFactory(community=CommunityFactory(company=other_company), rider=grant.rider)
    client.force_login(staff_user)
    response = client.get(reverse("riders:staff_rider", args=[grant.rider.pk]))
    assert response.status_code == 200
    assert [g.pk for g in response.context["grants"]] == [grant.pk]
    assert other.community.name not in response.content.decode()
    only_other = AccessGrantFactory(community=other.community).rider
    assert client.get(reverse("riders:staff_rider", args=[only_other.pk])).status_code == 404
    client.force_login(other_staff_user)
    response = client.post(_action(grant.rider, grant, "revoke"), {f"g{grant.pk}-reason": "x"})
    assert response.status_code == 404
    grant.refresh_from_db()
    assert grant.status == GrantStatus.ACTIVE


def test_suspend_and_revoke_need_a_reason_and_go_through_the_service(client, staff_user, community):
    grant = AccessGrantFactory(community=community)
    rider = grant.rider
    client.force_login(staff_user)
    response = client.post(_action(rider, grant, "suspend"), {f"g{grant.pk}-reason": "  "})
    assert response.status_code == 400
    assert (
        "required" in response.content.decode().lower()
        or "reason" in response.content.decode().lower()
    )
    grant.refresh_from_db()
    assert grant.status == GrantStatus.ACTIVE
    response = client.post(
        _action(rider, grant, "suspend"), {f"g{grant.pk}-reason": "Rude at gate"}
    )
    assert response.status_code == 302
    grant.refresh_from_db()
    assert grant.status == GrantStatus.SUSPENDED and grant.reason == "Rude at gate"
    response = client.post(
        _action(rider, grant, "revoke"), {f"g{grant.pk}-reason": "Again", "confirm": "yes"}
    )
    grant.refresh_from_db()
    assert grant.status == GrantStatus.REVOKED
    assert AuditEntry.objects.filter(object_id=str(grant.pk)).count() >= 2
    # Revoked access cannot be revoked twice: a clear 400, not a 500.
    response = client.post(
        _action(rider, grant, "revoke"), {f"g{grant.pk}-reason": "Again", "confirm": "yes"}
    )
    assert response.status_code == 400
    response = client.post(_action(rider, grant, "reinstate"))
    grant.refresh_from_db()
    assert grant.status == GrantStatus.ACTIVE


def test_approve_defaults_to_twelve_months_and_validity_can_be_set(client, staff_user, community):
    grant = AccessGrantFactory(community=community, status=GrantStatus.PENDING, valid_until=None)
    client.force_login(staff_user)
    response = client.post(_action(grant.rider, grant, "approve"), {f"v{grant.pk}-valid_until": ""})
    assert response.status_code == 302
    grant.refresh_from_db()
    assert grant.status == GrantStatus.ACTIVE
    assert abs((grant.valid_until - timezone.now()) - dt.timedelta(days=365)) < dt.timedelta(
        minutes=1
    )
    day = timezone.localdate() + dt.timedelta(days=30)
    client.post(
        _action(grant.rider, grant, "validity"), {f"v{grant.pk}-valid_until": day.isoformat()}
    )
    grant.refresh_from_db()
    assert timezone.localtime(grant.valid_until).date() == day
    response = client.post(
        _action(grant.rider, grant, "validity"),
        {f"v{grant.pk}-valid_until": (day - dt.timedelta(days=400)).isoformat()},
    )
    assert response.status_code == 400
    grant.refresh_from_db()
    assert timezone.localtime(grant.valid_until).date() == day


def test_unknown_action_and_anonymous(client, staff_user, community):
    grant = AccessGrantFactory(community=community)
    assert client.get(reverse("riders:staff_riders")).status_code == 302
    client.force_login(staff_user)
    assert client.post(_action(grant.rider, grant, "delete")).status_code == 404
    assert AccessGrant.objects.filter(pk=grant.pk).exists()
    assert RiderFactory._meta.model.objects.count() == 1


def test_rider_page_queries_do_not_grow_with_grants_and_events(
    client, staff_user, company, django_assert_max_num_queries
):
    from communities.tests.factories import GateFactory
    from riders.models import AccessEvent

    rider = RiderFactory()
    for _ in range(6):
        grant = AccessGrantFactory(rider=rider, community=CommunityFactory(company=company))
        gate = GateFactory(community=grant.community)
        for _ in range(4):
            AccessEvent.objects.create(
                gate=gate,
                rider=rider,
                grant=grant,
                direction="in",
                decision="open",
                reason="ok",
                source="guard",
            )
    client.force_login(staff_user)
    with django_assert_max_num_queries(10):
        response = client.get(reverse("riders:staff_rider", args=[rider.pk]))
    assert len(response.context["grants"]) == 6 and len(response.context["events"]) == 20


def test_revoke_asks_first_and_every_action_says_what_was_done(client, staff_user, community):
    community.name = "柳岸花园"
    community.save()
    grant = AccessGrantFactory(
        community=community,
        rider__name="王小明",
        status=GrantStatus.PENDING,
        valid_until=None,
    )
    rider = grant.rider
    client.force_login(staff_user)

    def post(action, data=None, lang="en"):
        return client.post(
            _action(rider, grant, action), data or {}, follow=True, HTTP_ACCEPT_LANGUAGE=lang
        )

    def said(response):
        return [str(m) for m in response.context["messages"]]

    response = post("approve", {f"v{grant.pk}-valid_until": ""})
    until = timezone.localtime(AccessGrant.objects.get(pk=grant.pk).valid_until)
    assert said(response) == [f"Approved 王小明's access to 柳岸花园 until {until:%Y-%m-%d}"]
    response = post("revoke", {f"g{grant.pk}-reason": "Lost"})
    assert "Yes, revoke" in response.content.decode()
    grant.refresh_from_db()
    assert grant.status == GrantStatus.ACTIVE  # not before the confirmation
    response = post("revoke", {f"g{grant.pk}-reason": "Lost", "confirm": "yes"})
    grant.refresh_from_db()
    assert grant.status == GrantStatus.REVOKED
    assert said(response) == ["Revoked 王小明's access to 柳岸花园"]
    assert said(post("reinstate", lang="zh-hans")) == ["已恢复 王小明 在 柳岸花园 的通行权限"]
    response = post("revoke", {f"g{grant.pk}-reason": "丢失", "confirm": "yes"}, lang="zh-hans")
    assert said(response) == ["已撤销 王小明 在 柳岸花园 的通行权限"]
