"""Issue 21.1 and 20.10: every gate page and every gate's poster say what is true at that
gate (register here, use another gate, or hand off), from one selector; staff are told
which printed posters went out of date."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from communities.models import EntryPolicy
from communities.selectors.gate_advice import (
    ADVICE_ENTER,
    ADVICE_HANDOFF,
    ADVICE_OTHER_GATE,
    gate_advice,
)
from communities.services import rules_publish
from communities.tests.factories import CommunityFactory, GateFactory
from riders.models import PosterPrint
from riders.poster_text import TITLE_EN, poster_text
from riders.posters import poster_bytes

pytestmark = pytest.mark.django_db

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


@pytest.fixture
def willow(company):
    """Willow Garden's shape: South and East admit riders, North does not."""
    community = CommunityFactory(company=company, name="Willow Garden", slug="willow")
    south = GateFactory(
        community=community, name="South Gate", x_pct=Decimal(50), y_pct=Decimal(98)
    )
    east = GateFactory(community=community, name="East Gate", x_pct=Decimal(98), y_pct=Decimal(40))
    north = GateFactory(
        community=community,
        name="North Gate",
        x_pct=Decimal(80),
        y_pct=Decimal(2),
        open_to_riders=False,
    )
    return community, south, east, north


@pytest.fixture
def sky(company):
    """Sky Harbour's shape: no entry for riders, and no gate admits them anyway."""
    community = CommunityFactory(
        company=company,
        name="Sky Harbour",
        slug="sky",
        entry_policy=EntryPolicy.NO_ENTRY,
        handoff_point="Table outside the South Gate",
    )
    south = GateFactory(community=community, name="South Gate", open_to_riders=False)
    return community, south


def test_gate_advice_sends_riders_from_a_closed_gate_to_the_nearest_rider_gate(willow):
    _, south, east, north = willow
    advice = gate_advice(north)
    assert advice.kind == ADVICE_OTHER_GATE
    # North (80, 2) is nearer East (98, 40) than South (50, 98).
    assert list(advice.use_gates) == [east, south]
    assert gate_advice(south).kind == ADVICE_ENTER


def test_gate_advice_is_handoff_when_no_entry_or_no_gate_admits_riders(sky, company):
    _, south = sky
    advice = gate_advice(south)
    assert advice.kind == ADVICE_HANDOFF
    assert advice.handoff_point == "Table outside the South Gate"
    # "registered" rules but every gate closed: nowhere to go in either.
    closed = CommunityFactory(company=company, slug="closed")
    only = GateFactory(community=closed, open_to_riders=False)
    assert gate_advice(only).kind == ADVICE_HANDOFF


def test_closed_gate_page_names_the_gate_to_use_with_the_map_and_no_form(client, willow):
    _, _south, _east, north = willow
    response = client.get(reverse("riders:register", args=[north.entry_code]), **EN)
    assert response.status_code == 200
    html = response.content.decode()
    assert "This gate is closed to riders" in html
    assert "Use this gate instead:" in html
    assert html.index("East Gate") < html.index("South Gate", html.index("Use this gate"))
    assert 'class="register-form"' not in html
    assert 'id="map-title"' in html


def test_no_entry_gate_page_gives_the_handoff_point_not_another_gate(client, sky):
    _, south = sky
    response = client.get(reverse("riders:register", args=[south.entry_code]), **EN)
    html = response.content.decode()
    assert "Riders may not enter here" in html
    assert "Table outside the South Gate" in html
    assert "use another gate" not in html.lower() and "Use this gate instead" not in html
    assert 'class="register-form"' not in html


def test_no_rider_gate_at_all_sends_riders_to_the_office(client, company):
    community = CommunityFactory(company=company, slug="nowhere")
    gate = GateFactory(community=community, open_to_riders=False)
    html = client.get(reverse("riders:register", args=[gate.entry_code]), **EN).content.decode()
    assert "No gate here admits riders" in html
    assert "Ask the property office where to hand deliveries over." in html
    assert 'class="register-form"' not in html


def test_open_gate_page_keeps_the_registration_form(client, willow):
    _, south, _, _ = willow
    html = client.get(reverse("riders:register", args=[south.entry_code]), **EN).content.decode()
    assert 'class="register-form"' in html


def test_posters_say_what_is_true_at_each_gate(willow, sky):
    _, south, east, north = willow
    assert poster_text(south).title_en == TITLE_EN
    closed = poster_text(north)
    assert closed.title_en == "This gate is closed to delivery riders"
    assert "East Gate" in closed.lines[0][1] and "East Gate" in closed.lines[0][0]
    assert all("register here" not in en.lower() for _, en in closed.lines)
    handoff = poster_text(sky[1])
    assert handoff.title_en == "No entry for delivery riders"
    assert "Table outside the South Gate" in handoff.lines[0][1]
    # The drawing uses these words (and still renders for every kind).
    for gate in (south, north, sky[1]):
        assert poster_bytes(gate, size="a5", fmt="png")[:8] == b"\x89PNG\r\n\x1a\n"


def test_poster_words_change_when_the_rules_change(willow, staff_user):
    community, south, _, _ = willow
    before = poster_text(south)
    rules_publish(
        community=community,
        acting_user=staff_user,
        entry_policy=EntryPolicy.NO_ENTRY,
        handoff_point="Guard booth",
    )
    after = poster_text(south)
    assert after.fingerprint != before.fingerprint
    assert after.title_en == "No entry for delivery riders"


def test_staff_are_told_which_printed_posters_to_reprint(
    client, willow, staff_user, other_staff_user
):
    community, south, _, north = willow
    client.force_login(staff_user)
    assert client.get(reverse("riders:gate_poster", args=[south.pk, "png"])).status_code == 200
    zip_url = reverse("riders:gate_posters_zip")
    assert client.get(zip_url, {"ids": f"{north.pk}"}).status_code == 200
    assert PosterPrint.objects.filter(gate__in=[south, north]).count() == 2
    dashboard = reverse("dashboard:home")
    assert "Posters to print again" not in client.get(dashboard, **EN).content.decode()

    # The owners close the community to riders: both printed posters now lie.
    rules_publish(
        community=community,
        acting_user=staff_user,
        entry_policy=EntryPolicy.NO_ENTRY,
        handoff_point="Guard booth",
    )
    html = client.get(dashboard, **EN).content.decode()
    assert "Posters to print again" in html
    assert "South Gate" in html and "North Gate" in html
    console = client.get(reverse("riders:guard_console", args=[south.entry_code]), **EN)
    assert "Print this gate's poster again" in console.content.decode()

    # Printed again: no longer listed.
    client.get(reverse("riders:gate_poster", args=[south.pk, "pdf"]))
    html = client.get(dashboard, **EN).content.decode()
    assert "Posters to print again" in html and "North Gate" in html
    assert html.count("/poster.pdf?size=a4") == 1

    # Another company's staff never see these gates.
    client.force_login(other_staff_user)
    assert "Posters to print again" not in client.get(dashboard, **EN).content.decode()


def test_every_demo_gate_page_and_poster_say_what_is_true_there(client, settings, tmp_path):
    """#20 "done when": the posters of every demo gate say what is true at that gate."""
    import io

    from django.core.management import call_command

    from communities.models import Gate

    settings.MEDIA_ROOT = tmp_path / "media"
    call_command("seed_demo", stdout=io.StringIO())
    gates = list(Gate.objects.select_related("community").order_by("community__name", "name"))
    assert gates
    seen = set()
    for gate in gates:
        advice = gate_advice(gate)
        text = poster_text(gate)
        html = client.get(reverse("riders:register", args=[gate.entry_code]), **EN).content.decode()
        seen.add(advice.kind)
        if advice.kind == ADVICE_ENTER:
            assert text.title_en == TITLE_EN and 'class="register-form"' in html
            continue
        # Nowhere does a gate riders may not use say "register here".
        assert text.title_en != TITLE_EN and 'class="register-form"' not in html, gate
        if advice.kind == ADVICE_OTHER_GATE:
            for use in advice.use_gates:
                # Each side of the poster in its own language; the English page in English.
                assert use.open_to_riders and use.name in text.lines[0][0]
                assert use.name_en in text.lines[0][1] and use.name_en in html
                assert use.name not in text.lines[0][1]
        else:
            assert advice.handoff_point in text.lines[0][0]
            assert advice.handoff_point_en in text.lines[0][1]
            assert advice.handoff_point_en in html and advice.handoff_point not in html
    willow_north = next(g for g in gates if "Willow" in g.community.name and "North" in g.name_en)
    assert gate_advice(willow_north).kind == ADVICE_OTHER_GATE
    sky = [g for g in gates if "Sky Harbour" in g.community.name]
    assert sky and all(gate_advice(g).kind == ADVICE_HANDOFF for g in sky)
    assert seen == {ADVICE_ENTER, ADVICE_OTHER_GATE, ADVICE_HANDOFF}


def test_reprint_list_and_closed_gate_page_cost_a_fixed_number_of_queries(
    client, willow, staff_user, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from communities.models import Community
    from riders.selectors import posters_to_reprint

    community, south, east, north = willow

    def cost(fn) -> int:
        with CaptureQueriesContext(connection) as ctx:
            fn()
        return len(ctx.captured_queries)

    for gate in (south, east, north):
        PosterPrint.objects.create(gate=gate, fingerprint="old")
    communities = Community.objects.filter(pk=community.pk)
    few = cost(lambda: posters_to_reprint(communities))
    page = cost(lambda: client.get(reverse("riders:register", args=[north.entry_code])))
    for n in range(6):
        gate = GateFactory(community=community, name=f"Side Gate {n}", open_to_riders=n % 2 == 0)
        PosterPrint.objects.create(gate=gate, fingerprint="old")
    assert len(posters_to_reprint(communities)) == 9
    assert cost(lambda: posters_to_reprint(communities)) == few <= 3
    assert cost(lambda: client.get(reverse("riders:register", args=[north.entry_code]))) == page
    with django_assert_max_num_queries(12):
        client.get(reverse("riders:register", args=[north.entry_code]))


@pytest.mark.django_db
def test_the_gate_page_names_gates_in_the_pages_language(client, company):
    community = CommunityFactory(company=company, slug="two-languages")
    closed = GateFactory(community=community, name="北门", name_en="", open_to_riders=False)
    GateFactory(community=community, name="南门", name_en="South Gate")
    url = reverse("riders:register", args=[closed.entry_code])
    english = client.get(url, **EN).content.decode()
    assert "<strong>South Gate</strong>" in english and "<strong>南门</strong>" not in english
    # This gate has no English name: shown in Chinese, marked, with a hint.
    assert (
        '<p class="where"><span lang="zh-Hans">北门</span> '
        '<small class="lang-hint">(Chinese only)</small></p>'
    ) in english
    chinese = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "<strong>南门</strong>" in chinese and "South Gate" not in chinese
    assert '<p class="where">北门</p>' in chinese


@pytest.mark.django_db
def test_each_side_of_a_poster_is_in_its_own_language(company):
    community = CommunityFactory(company=company, slug="poster-languages")
    rules_publish(
        community=community,
        acting_user=None,
        entry_policy=EntryPolicy.NO_ENTRY,
        handoff_point="南门外取餐台",
        handoff_point_en="Table outside the South Gate",
    )
    gate = GateFactory(community=community, name="南门", name_en="South Gate")
    zh, en = poster_text(gate).lines[0]
    assert zh == "请在此交接外卖：南门外取餐台"
    assert en == "Hand deliveries over at: Table outside the South Gate"
