"""The platforms' delivery-info API: signed by an active platform for this audience,
ETag/304, at most eight queries, in the OpenAPI schema."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from communities.models import EntryPolicy
from communities.services import rules_publish
from communities.tests.factories import CommunityFactory, GateFactory, ParkingZoneFactory
from coordination.api.views import delivery_info_audience
from coordination.services import friendliness_snapshot_take
from riders.tests.factories import PlatformFactory, sign_assertion

pytestmark = pytest.mark.django_db


@pytest.fixture
def info_community(community):
    GateFactory(community=community, name="North Gate")
    GateFactory(community=community, name="Staff Gate", open_to_riders=False)
    ParkingZoneFactory(community=community, name="E-bike bay")
    friendliness_snapshot_take(community=community)
    return community


def _get(client, community, token=None, **headers):
    url = reverse("coordination-delivery-info", args=[community.slug])
    if token is not None:
        headers["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    return client.get(url, **headers)


def _token(platform, **claims):
    return sign_assertion(platform, aud=delivery_info_audience(), **claims)


def test_a_signed_platform_gets_policy_gates_parking_and_the_index(
    client, info_community, platform
):
    response = _get(client, info_community, _token(platform))
    assert response.status_code == 200
    body = response.json()
    assert body["entry_policy"] == "registered"
    assert [g["name"] for g in body["gates"]] == ["North Gate"]  # only gates open to riders
    assert body["gates"][0]["register_url"].endswith("/")
    assert [z["name"] for z in body["parking"]] == ["E-bike bay"]
    assert body["friendliness"]["score"] is not None
    assert {c["key"] for c in body["friendliness"]["components"]} >= {"gate_hours", "facilities"}
    assert response["ETag"]


def test_no_entry_lists_no_gate_and_gives_the_hand_off(client, info_community, platform):
    rules_publish(
        community=info_community,
        acting_user=None,
        entry_policy=EntryPolicy.NO_ENTRY,
        handoff_point="North gate kiosk",
    )
    body = _get(client, info_community, _token(platform)).json()
    assert body["gates"] == []
    assert body["handoff"]["point"] == "North gate kiosk"


def test_an_unsigned_request_is_refused(client, info_community):
    response = _get(client, info_community)
    assert response.status_code == 401
    assert response.json()["code"] == "missing"


def test_a_token_for_another_audience_is_refused(client, info_community, platform):
    # A one-click registration assertion (aud = the portal) is not an API credential.
    response = _get(client, info_community, sign_assertion(platform))
    assert response.status_code == 401
    assert response.json()["code"] == "wrong_audience"


def test_an_inactive_platform_is_refused(client, info_community):
    platform = PlatformFactory(code="gone", active=False)
    response = _get(client, info_community, _token(platform))
    assert response.status_code == 401
    assert response.json()["code"] == "platform_inactive"


def test_an_expired_token_is_refused(client, info_community, platform):
    token = _token(platform, iat=1_000_000, exp=1_000_300)
    assert _get(client, info_community, token).json()["code"] == "expired"


def test_an_unknown_community_is_404_for_a_signed_platform(client, platform):
    url = reverse("coordination-delivery-info", args=["nowhere"])
    response = client.get(url, HTTP_AUTHORIZATION=f"Bearer {_token(platform)}")
    assert response.status_code == 404


def test_the_same_answer_again_is_304_with_the_etag(client, info_community, platform):
    first = _get(client, info_community, _token(platform))
    etag = first["ETag"]
    again = _get(client, info_community, _token(platform), HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304
    assert again.content == b""
    assert again["ETag"] == etag
    # A change in the community changes the answer and its ETag.
    GateFactory(community=info_community, name="East Gate")
    changed = _get(client, info_community, _token(platform), HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200
    assert changed["ETag"] != etag


def test_the_answer_takes_at_most_eight_queries_whatever_the_community_size(
    client, company, platform, django_assert_max_num_queries
):
    big = CommunityFactory(company=company)
    for i in range(30):
        GateFactory(community=big, opens_at=dt.time(6), closes_at=dt.time(23), name=f"G{i}")
        ParkingZoneFactory(community=big)
    friendliness_snapshot_take(community=big)
    token = _token(platform)
    with django_assert_max_num_queries(8) as captured:
        response = _get(client, big, token)
    assert response.status_code == 200
    assert len(response.json()["gates"]) == 30
    assert len(captured) == 5


def test_the_rate_limit_refuses_a_platform_over_its_allowance(
    client, info_community, platform, settings
):
    settings.SECURITY_RATELIMIT_ENABLED = True
    settings.SECURITY_RATE_LIMITS = {**settings.SECURITY_RATE_LIMITS, "delivery-info": "2/m"}
    from django.core.cache import cache

    cache.clear()
    token = _token(platform)
    codes = [_get(client, info_community, token).status_code for _ in range(3)]
    assert codes == [200, 200, 429]


def test_the_api_is_in_the_openapi_schema(client):
    schema = client.get(reverse("api-schema"), {"format": "json"}).json()
    operation = schema["paths"]["/api/v1/communities/{slug}/delivery-info"]["get"]
    assert "200" in operation["responses"] and "304" in operation["responses"]
    assert any(p["name"] == "Authorization" for p in operation["parameters"])


def test_the_ranking_lists_communities_by_score_filtered_by_district(
    client, company, other_company, platform, django_assert_max_num_queries
):
    high = CommunityFactory(company=company, name="High", city="上海市", district="静安区")
    low = CommunityFactory(company=other_company, name="Low", city="上海市", district="静安区")
    CommunityFactory(company=company, name="Elsewhere", city="上海市", district="徐汇区")
    CommunityFactory(company=company, name="Address only", address="静安区 9 Road")
    GateFactory(community=high)
    friendliness_snapshot_take(community=high)
    friendliness_snapshot_take(community=low)
    url = reverse("coordination-ranking")
    auth = {"HTTP_AUTHORIZATION": f"Bearer {_token(platform)}"}
    with django_assert_max_num_queries(4):
        response = client.get(url, {"city": "上海市", "district": "静安区"}, **auth)
    body = response.json()
    assert body["count"] == 2
    assert [r["name"] for r in body["results"]] == ["High", "Low"]
    assert body["results"][0]["rank"] == 1
    assert (body["results"][0]["city"], body["results"][0]["district"]) == ("上海市", "静安区")
    assert (body["city"], body["district"]) == ("上海市", "静安区")
    # A district of another city is another district.
    assert client.get(url, {"city": "北京市", "district": "静安区"}, **auth).json()["count"] == 0
    # ETag: the same answer again is a 304.
    again = client.get(
        url, {"city": "上海市", "district": "静安区"}, HTTP_IF_NONE_MATCH=response["ETag"], **auth
    )
    assert again.status_code == 304
    assert client.get(url).status_code == 401
    bad = client.get(url, {"page": "x"}, **auth)
    assert bad.status_code == 400


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_names_and_the_hand_off_come_in_both_languages_whatever_the_request(
    client, community, platform, language
):
    GateFactory(community=community, name="南门", name_en="South Gate")
    ParkingZoneFactory(community=community, name="A 区")  # Chinese only
    body = _get(client, community, _token(platform), HTTP_ACCEPT_LANGUAGE=language).json()
    assert [(g["name"], g["name_en"]) for g in body["gates"]] == [("南门", "South Gate")]
    assert [(z["name"], z["name_en"]) for z in body["parking"]] == [("A 区", "")]
    rules_publish(
        community=community,
        acting_user=None,
        entry_policy=EntryPolicy.NO_ENTRY,
        handoff_point="南门外取餐台",
        handoff_point_en="Table outside the South Gate",
    )
    handoff = _get(client, community, _token(platform), HTTP_ACCEPT_LANGUAGE=language).json()[
        "handoff"
    ]
    assert (handoff["point"], handoff["point_en"]) == (
        "南门外取餐台",
        "Table outside the South Gate",
    )


def test_the_schema_documents_both_values(client):
    schema = client.get(reverse("api-schema"), {"format": "json"}).json()
    gate = schema["components"]["schemas"]["DeliveryInfoGate"]["properties"]
    assert "name_en" in gate and "English" in gate["name_en"]["description"]


def test_the_ranking_still_takes_the_older_area_text(client, company, platform):
    """docs/api.md keeps `?area=` (address text) for callers written before the fields."""
    CommunityFactory(company=company, name="Old Road", address="静安区 1 Road")
    CommunityFactory(company=company, name="Xuhui", address="徐汇区 3 Road")
    body = client.get(
        reverse("coordination-ranking"),
        {"area": "静安区"},
        HTTP_AUTHORIZATION=f"Bearer {_token(platform)}",
    ).json()
    assert [r["name"] for r in body["results"]] == ["Old Road"]
