"""Staff texts in two languages (#21 item 6): the rules page, the finder and the API show
the value in the page's language; a Chinese-only value on an English page is marked
lang="zh-Hans" with a hint; sentences are never glued from two languages."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.cache import cache

from communities import services
from communities.models import EntryPolicy
from communities.tests.factories import (
    BuildingFactory,
    DeliveryFacilityFactory,
    GateFactory,
    ParkingZoneFactory,
    UnitFactory,
)
from communities.views import PAGE_MEMO
from core.i18n_text import EN, ZH, both, has_han, localized

EN_PAGE = {"HTTP_ACCEPT_LANGUAGE": "en"}
ZH_PAGE = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    PAGE_MEMO.clear()
    yield
    cache.clear()
    PAGE_MEMO.clear()


@pytest.fixture
def bilingual(community):
    b7 = BuildingFactory(community=community, number="7", x_pct=Decimal("80"), y_pct=Decimal("20"))
    UnitFactory(building=b7, entrance="2", number="1503")
    GateFactory(
        community=community,
        name="南门",
        name_en="South Gate",
        notes="正门，保安值守",
        notes_en="Main gate, guard on duty",
        x_pct=Decimal("75"),
        y_pct=Decimal("5"),
    )
    ParkingZoneFactory(
        community=community,
        name="A 区",
        name_en="Zone A",
        x_pct=Decimal("85"),
        y_pct=Decimal("30"),
    )
    # Chinese only: an English page falls back to it, marked.
    DeliveryFacilityFactory(community=community, name="东门取餐柜", notes="仅限外卖")
    services.rules_publish(
        community=community, acting_user=None, entry_policy=EntryPolicy.REGISTERED
    )
    return community


def _page(client, community, headers, query: str = "") -> str:
    response = client.get(f"/c/{community.slug}/{query}", **headers)
    assert response.status_code == 200
    return response.content.decode()


# --- the helper ------------------------------------------------------------------------


def test_localized_picks_the_pages_language_and_says_when_it_fell_back(db):
    gate = GateFactory.build(name="南门", name_en="South Gate")
    assert (localized(gate, "name", "en").text, localized(gate, "name", "en").fallback) == (
        "South Gate",
        False,
    )
    assert localized(gate, "name", "zh-hans").text == "南门"
    only_chinese = GateFactory.build(name="北门", name_en="")
    value = localized(only_chinese, "name", "en")
    assert (value.text, value.lang, value.fallback) == ("北门", ZH, True)
    only_english = GateFactory.build(name="", notes="", notes_en="Cars only")
    value = localized(only_english, "notes", "zh-hans")
    assert (value.text, value.lang, value.fallback) == ("Cars only", EN, True)
    # A value with no Chinese character reads the same in English: not marked.
    assert not localized(GateFactory.build(name="Gate 3"), "name", "en").fallback
    assert has_han("南门") and not has_han("Gate 3")
    assert both(gate, "name") == {"zh-Hans": "南门", "en": "South Gate"}


# --- the rules page --------------------------------------------------------------------


def test_the_rules_page_shows_names_and_notes_in_the_pages_language(client, bilingual):
    english = _page(client, bilingual, EN_PAGE)
    assert "<h3>South Gate</h3>" in english and "Main gate, guard on duty" in english
    assert "<h3>Zone A</h3>" in english
    assert "南门" not in english.split('id="gate-')[1].split("</li>")[0]
    chinese = _page(client, bilingual, ZH_PAGE)
    assert "<h3>南门</h3>" in chinese and "正门，保安值守" in chinese
    assert "South Gate" not in chinese and "Main gate" not in chinese


def test_a_chinese_only_value_on_the_english_page_is_marked_and_hinted(client, bilingual):
    english = _page(client, bilingual, EN_PAGE)
    assert (
        '<h4><span lang="zh-Hans">东门取餐柜</span> '
        '<small class="lang-hint">(Chinese only)</small></h4>' in english
    )
    assert '<span lang="zh-Hans">仅限外卖</span>' in english
    chinese = _page(client, bilingual, ZH_PAGE)
    assert "<h4>东门取餐柜</h4>" in chinese and "lang-hint" not in chinese


def test_the_hand_off_point_and_rules_notes_follow_the_page(client, community):
    services.rules_publish(
        community=community,
        acting_user=None,
        entry_policy=EntryPolicy.NO_ENTRY,
        handoff_point="南门外取餐台",
        handoff_point_en="Table outside the South Gate",
        notes="骑手不得进入",
    )
    english = _page(client, community, EN_PAGE)
    assert "Hand the food over at: <strong>Table outside the South Gate</strong>" in english
    assert '<div lang="zh-Hans"><p>骑手不得进入</p></div> <small class="lang-hint">' in english
    chinese = _page(client, community, ZH_PAGE)
    assert "<strong>南门外取餐台</strong>" in chinese and "Table outside" not in chinese


# --- the finder ------------------------------------------------------------------------


def test_the_finders_sentence_is_one_language(client, bilingual):
    url = f"/c/{bilingual.slug}/find?q=7-2-1503"
    english = client.get(url, **EN_PAGE).json()
    assert english["message"].startswith("Building 7: enter by South Gate, park at Zone A.")
    assert english["gate"]["name"] == "South Gate"
    assert english["gate"]["names"] == {"zh-Hans": "南门", "en": "South Gate"}
    chinese = client.get(url, **ZH_PAGE).json()
    assert chinese["message"].startswith("7栋：从南门进入，停车于A 区。")
    assert chinese["gate"]["name"] == "南门"
    assert "South" not in chinese["message"]


def test_the_finder_without_javascript_answers_in_the_pages_language(client, bilingual):
    assert "从南门进入" in _page(client, bilingual, ZH_PAGE, "?q=7-2-1503")
    assert "enter by South Gate" in _page(client, bilingual, EN_PAGE, "?q=7-2-1503")


# --- the API ---------------------------------------------------------------------------


def test_the_api_gives_both_values_whatever_the_language(client, bilingual):
    for headers in (EN_PAGE, ZH_PAGE):
        body = client.get(f"/api/v1/communities/{bilingual.slug}/", **headers).json()
        gate = body["gates"][0]
        assert (gate["name"], gate["name_en"]) == ("南门", "South Gate")
        assert (gate["notes"], gate["notes_en"]) == ("正门，保安值守", "Main gate, guard on duty")
        facility = body["facilities"][0]
        assert (facility["name"], facility["name_en"]) == ("东门取餐柜", "")
        assert "handoff_point_en" in body["rules"]
