"""The landing page: find a community by name or address, without JavaScript."""

from __future__ import annotations

import pytest

from communities import services
from communities.tests.factories import CommunityFactory

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


@pytest.fixture
def communities(company):
    made = [
        CommunityFactory(
            company=company, slug="garden-court", name="Garden Court", address="18 Jade River Road"
        ),
        CommunityFactory(
            company=company, slug="pine-hill", name="Pine Hill", address="3 Garden Street"
        ),
        CommunityFactory(
            company=company, slug="lake-view", name="Lake View 湖景苑", address="99 Lake Road"
        ),
    ]
    services.rules_publish(
        community=made[2], acting_user=None, entry_policy="no_entry", handoff_point="Gate desk"
    )
    return made


def test_the_landing_page_lists_communities_with_links(client, communities):
    html = client.get("/", **EN).content.decode()
    for c in communities:
        assert f'href="/c/{c.slug}/"' in html
    assert 'type="search"' in html and 'name="q"' in html


def test_search_matches_name_or_address_case_insensitively(client, communities):
    html = client.get("/", {"q": "GARDEN"}, **EN).content.decode()
    assert 'href="/c/garden-court/"' in html  # by name
    assert 'href="/c/pine-hill/"' in html  # by address
    assert 'href="/c/lake-view/"' not in html
    assert "2 communities match “GARDEN”" in html


def test_search_finds_chinese_names(client, communities):
    html = client.get("/", {"q": "湖景"}, **EN).content.decode()
    assert 'href="/c/lake-view/"' in html and 'href="/c/garden-court/"' not in html


def test_each_result_shows_its_current_entry_policy(client, communities):
    html = client.get("/", {"q": "Lake"}, **EN).content.decode()
    assert "policy-tag--no_entry" in html


def test_no_match_says_so(client, communities):
    html = client.get("/", {"q": "Nowhere at all"}, **EN).content.decode()
    assert "No community matches that" in html


def test_results_are_limited_to_20_a_page_in_constant_queries(
    client, company, django_assert_max_num_queries
):
    for n in range(45):
        CommunityFactory(company=company, slug=f"estate-{n:02d}", name=f"Estate {n:02d}")
    with django_assert_max_num_queries(3):
        html = client.get("/", {"q": "estate"}, **EN).content.decode()
    assert html.count('href="/c/estate-') == 20
    assert "Page 1 of 3" in html and "page=2" in html
    html = client.get("/", {"q": "estate", "page": "3"}, **EN).content.decode()
    assert html.count('href="/c/estate-') == 5


def test_odd_input_never_breaks_the_page(client, communities):
    for params in ({"q": "x" * 5000}, {"page": "abc"}, {"page": "999"}, {"q": "%_'\""}):
        assert client.get("/", params, **EN).status_code == 200


def test_the_landing_page_needs_no_log_in_and_rejects_posts(client, communities):
    assert client.get("/").status_code == 200
    assert client.post("/").status_code == 405
