"""Issue 20, items 1–2: the dashboard's figures lead to their lists, and one navigation
joins the staff pages (dashboard, riders, votes, feedback, gates and posters, admin)."""

import pytest
from django.urls import reverse

from communities.tests.factories import CommunityFactory
from riders.models import GrantStatus
from riders.tests.factories import AccessGrantFactory

pytestmark = pytest.mark.django_db

NAV = ["/staff/", "/staff/riders/", "/staff/go/votes/", "/staff/go/feedback/", "/guard/", "/admin/"]


def test_dashboard_figures_link_to_their_lists(client, staff_user, community):
    AccessGrantFactory(community=community, status=GrantStatus.PENDING)
    client.force_login(staff_user)
    page = client.get(reverse("dashboard:home")).content.decode()
    assert f"/staff/riders/?show=pending&amp;community={community.pk}" in page
    assert reverse("governance:staff_feedback", args=[community.slug]) in page


@pytest.mark.parametrize(
    "url",
    ["/staff/", "/staff/riders/", "/guard/", "/staff/go/votes/"],
)
def test_every_staff_page_carries_the_same_navigation(client, staff_user, company, url):
    CommunityFactory(company=company)
    CommunityFactory(company=company)  # two: votes and feedback ask which community
    client.force_login(staff_user)
    page = client.get(url).content.decode()
    assert 'class="staff-nav' in page
    for target in NAV:
        assert f'href="{target}"' in page, target


def test_votes_and_feedback_go_straight_to_the_only_community(client, staff_user, community):
    client.force_login(staff_user)
    response = client.get(reverse("dashboard:go", args=["votes"]))
    assert response["Location"] == reverse("governance:staff_list", args=[community.slug])
    response = client.get(reverse("dashboard:go", args=["feedback"]))
    assert response["Location"] == reverse("governance:staff_feedback", args=[community.slug])
    assert client.get(reverse("dashboard:go", args=["nothing"])).status_code == 404


def test_another_companys_communities_are_not_offered(client, other_staff_user, community, company):
    CommunityFactory(company=company, name="Mine too")
    client.force_login(other_staff_user)
    page = client.get(reverse("dashboard:go", args=["votes"])).content.decode()
    assert community.name not in page and "Mine too" not in page


def test_the_admins_view_site_goes_to_the_staff_dashboard(client, staff_user):
    client.force_login(staff_user)
    page = client.get("/admin/").content.decode()
    assert 'href="/staff/"' in page
