"""Street offices: their members see the ranked list and the index pages of their district's
communities — every company's — and nothing else; staff see nothing of the offices' pages."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.http import Http404
from django.urls import reverse

from communities.permissions import CHANGE
from communities.tests.factories import CommunityFactory, GateFactory
from coordination import services
from coordination.models import StreetOffice
from coordination.permissions import district_communities_for_user, district_community_for_user
from riders.tests.factories import AccessGrantFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def jingan(company, other_company):
    """Three communities of 上海市 静安区 (two companies), one of 徐汇区, one without."""
    return {
        "ours": CommunityFactory(
            company=company, name="Green Jingan", city="上海市", district="静安区"
        ),
        "theirs": CommunityFactory(
            company=other_company, name="Blue Jingan", city="上海市", district="静安区"
        ),
        "xuhui": CommunityFactory(
            company=company, name="Green Xuhui", city="上海市", district="徐汇区"
        ),
        "beijing": CommunityFactory(
            company=company, name="Beijing Jingan", city="北京市", district="静安区"
        ),
        "blank": CommunityFactory(company=company, name="No District", address="静安区 1 号"),
    }


@pytest.fixture
def officer(db):
    user = get_user_model().objects.create_user("office.jingan", password="pw-office-123")
    office = StreetOffice.objects.create(name="静安寺街道", city="上海市", district="静安区")
    office.members.add(user)
    return user


def test_the_office_sees_its_districts_communities_of_every_company(client, jingan, officer):
    client.force_login(officer)
    text = client.get(reverse("coordination:office_index")).content.decode()
    assert "Green Jingan" in text and "Blue Jingan" in text
    for other in ("Green Xuhui", "Beijing Jingan", "No District"):
        assert other not in text


def test_the_office_list_is_ranked_by_score_in_few_queries(
    client, jingan, officer, django_assert_max_num_queries
):
    GateFactory(community=jingan["theirs"])
    services.friendliness_snapshot_take(community=jingan["ours"])
    services.friendliness_snapshot_take(community=jingan["theirs"])
    client.force_login(officer)
    with django_assert_max_num_queries(8):
        response = client.get(reverse("coordination:office_index"))
    text = response.content.decode()
    assert text.index("Blue Jingan") < text.index("Green Jingan")


def test_the_office_opens_each_index_page_of_its_district_only(client, jingan, officer):
    client.force_login(officer)
    for key in ("ours", "theirs"):
        url = reverse("coordination:office_community", args=[jingan[key].slug])
        response = client.get(url)
        assert response.status_code == 200
        assert "Components of the index" in response.content.decode()
    for key in ("xuhui", "beijing", "blank"):
        url = reverse("coordination:office_community", args=[jingan[key].slug])
        assert client.get(url).status_code == 404
    missing = reverse("coordination:office_community", args=["no-such-place"])
    assert client.get(missing).status_code == 404


def test_the_office_gets_no_staff_page_and_no_riders(client, jingan, officer, rider):
    AccessGrantFactory(rider=rider, community=jingan["ours"])
    client.force_login(officer)
    slug = jingan["ours"].slug
    for url in (
        reverse("coordination:staff_community", args=[slug]),
        f"/staff/c/{slug}/",
        f"/vote/staff/{slug}/",
        f"/staff/riders/{rider.pk}/",
    ):
        assert client.get(url).status_code == 404, url
    page = client.get(reverse("coordination:office_community", args=[slug])).content.decode()
    assert rider.name not in page
    # The staff list sends an office member to their district's list.
    response = client.get(reverse("coordination:staff_index"))
    assert response.status_code == 302
    assert response["Location"] == reverse("coordination:office_index")


def test_staff_who_are_no_office_get_404_at_the_office_pages(
    client, jingan, staff_user, other_staff_user
):
    for user in (staff_user, other_staff_user):
        client.force_login(user)
        assert client.get(reverse("coordination:office_index")).status_code == 404
        url = reverse("coordination:office_community", args=[jingan["ours"].slug])
        assert client.get(url).status_code == 404


def test_anonymous_visitors_are_sent_to_log_in(client, jingan):
    response = client.get(reverse("coordination:office_index"))
    assert response.status_code == 302 and "login" in response["Location"]


def test_the_office_filters_its_list_by_district_exactly(client, company, officer):
    StreetOffice.objects.create(name="徐家汇街道", city="上海市", district="徐汇区").members.add(
        officer
    )
    CommunityFactory(company=company, name="Green Jingan", city="上海市", district="静安区")
    CommunityFactory(company=company, name="Green Xuhui", city="上海市", district="徐汇区")
    client.force_login(officer)
    url = reverse("coordination:office_index")
    text = client.get(url).content.decode()
    assert "Green Jingan" in text and "Green Xuhui" in text
    text = client.get(url, {"district": "徐汇区"}).content.decode()
    assert "Green Xuhui" in text and "Green Jingan" not in text


def test_the_helper_never_grants_change_and_ignores_inactive_members(jingan, officer):
    slug = jingan["theirs"].slug
    assert district_community_for_user(officer, slug) == jingan["theirs"]
    with pytest.raises(Http404):
        district_community_for_user(officer, slug, perm=CHANGE)
    officer.is_active = False
    officer.save()
    assert not district_communities_for_user(officer).exists()
